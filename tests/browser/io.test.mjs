// io.test.mjs — the Disk I/O panel in headless Chromium on the real PerfView sample: the
// summary and tables show the API's numbers (1 231 disk I/Os, the slowest first, the
// per-type counts of DiskIo and FileIo), the latency histogram is drawn with Chart.js, hostile
// file names would be inert (text only), and a trace without disk I/O gets the empty state
// that links to "Record a trace".
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, getJson, uploadAndWait, shared } from '../support/server.mjs';
import { launch, openPage } from '../support/browser.mjs';

let srv, browser;
before(async () => { srv = await startServer(); browser = await launch(); });
after(async () => { await browser.close(); await srv.stop(); });

test('the PerfView sample: summary, histogram, tables and event counts', async () => {
  const up = await uploadAndWait(srv.url, readFileSync(join(shared, 'samples', 'etl', 'perfview-net452-x64-compressed.etl')), 'perfview.etl');
  const id = up.body.run.id;
  const api = (await getJson(`${srv.url}/api/runs/${id}/diskio`)).body;
  const page = await openPage(browser);
  await page.goto(`${srv.url}/runs/${id}`);
  await page.waitForFunction(() => document.getElementById('io-panel').dataset.ready === 'done');
  assert.match(await page.textContent('#io-summary'), /^1,231 disk I\/Os, /);
  const chart = await page.evaluate(() => {
    const c = window.Chart.getChart(document.getElementById('io-hist'));
    return c && { type: c.config.type, labels: c.data.datasets.map((d) => d.label), sum: c.data.datasets.map((d) => d.data.reduce((a, x) => a + x, 0)) };
  });
  assert.deepEqual(chart, { type: 'bar', labels: ['Read', 'Write', 'Flush'], sum: [1208, 21, 2] });
  const queue = await page.evaluate(() => {
    const c = window.Chart.getChart(document.getElementById('io-queue'));
    return c && { type: c.config.type, labels: c.data.datasets.map((d) => d.label), points: c.data.datasets.map((d) => d.data.length) };
  });
  assert.deepEqual(queue, { type: 'line', labels: api.queue_depth.map((q) => `disk ${q.disk}`), points: api.queue_depth.map(() => 100) });
  const slowRows = await page.$$eval('#io-slowest tbody tr', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
  assert.equal(slowRows.length, 20);
  assert.equal(slowRows[0][3], String(api.slowest[0].pid));
  assert.equal(slowRows[0][5], api.slowest[0].file);
  const procRows = await page.$$eval('#io-procs tbody tr', (trs) => trs.length);
  assert.equal(procRows, api.by_process.length);
  const types = await page.$$eval('#io-types tbody tr', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
  assert.deepEqual(types.map((r) => `${r[0]} ${r[1]} ${r[2]}`), [
    'DiskIo Read 1,208', 'DiskIo Write 21', 'DiskIo ReadInit 1,208', 'DiskIo WriteInit 21', 'DiskIo Flush 2', 'DiskIo FlushInit 2',
    'FileIo FileCreate 16', 'FileIo FileDelete 14', 'FileIo FileRundown 3,054']);
  // The sample has file names but no file operations.
  assert.match(await page.textContent('#io-fileops-note'), /No file operations in this trace/);
  assert.equal(await page.$$eval('#io-fileops tbody tr', (trs) => trs.length), 0);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('a trace without disk I/O: the empty state links to the recording page', async () => {
  const up = await uploadAndWait(srv.url, readFileSync(join(shared, 'samples', 'etl', 'airbus-ShutdownPerfDiagLogger.etl')), 'shutdown.etl');
  const page = await openPage(browser);
  await page.goto(`${srv.url}/runs/${up.body.run.id}`);
  await page.waitForFunction(() => document.getElementById('io-panel').dataset.ready === 'empty');
  assert.match(await page.textContent('#io-empty'), /Disk I\/O was not recorded in this trace/);
  assert.equal(await page.getAttribute('#io-record-link', 'href'), '/record');
  assert.equal(await page.isVisible('#io-body'), false);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});
