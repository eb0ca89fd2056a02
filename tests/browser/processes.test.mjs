// processes.test.mjs — the run page's "Top processes by CPU" panel in headless Chromium:
// drawn for a Russian Windows-1251 perfmon log (Процесс(*)\% загруженности процессора),
// busiest process first, _Total and Idle left out; hidden for a log without Process(*).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, uploadAndWait } from '../support/server.mjs';
import { launch, openPage } from '../support/browser.mjs';
import { perCpuCsv, ruCp1251Csv } from '../support/perfmon.mjs';

let srv, browser;
before(async () => { srv = await startServer(); browser = await launch(); });
after(async () => { await browser.close(); await srv.stop(); });

test('a Windows-1251 log shows its top processes over time, busiest first', async () => {
  const up = await uploadAndWait(srv.url, ruCp1251Csv(), 'ru.csv');
  assert.equal(up.body.state, 'done');
  const page = await openPage(browser);
  await page.goto(`${srv.url}/runs/${up.body.run.id}`);
  await page.waitForSelector('#proc-panel[data-ready]');
  const chart = await page.evaluate(() => {
    const c = window.Chart.getChart(document.getElementById('proc-lines'));
    return { labels: c.data.datasets.map((d) => d.label), ys: c.data.datasets.map((d) => d.data.map((p) => p.y)) };
  });
  assert.deepEqual(chart.labels, ['sqlservr', 'svchost']);
  assert.deepEqual(chart.ys, [[150, 100, 50], [5, 15, 40]]);
  const rows = await page.$$eval('#proc-body tr', (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
  assert.deepEqual(rows.map((r) => r[0]), ['sqlservr', 'svchost']);
  assert.match(await page.textContent('#proc-count'), /top 2 of 2/);
  // the per-CPU panel works on the localised Processor columns too
  await page.waitForFunction(() => window.Chart.getChart(document.getElementById('cpu-lines')));
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('a log without Process(*) columns hides the panel', async () => {
  const up = await uploadAndWait(srv.url, Buffer.from(perCpuCsv({ cpus: 2, seconds: 5 })), 'cpu.csv');
  const page = await openPage(browser);
  await page.goto(`${srv.url}/runs/${up.body.run.id}`);
  await page.waitForFunction(() => window.Chart && window.Chart.getChart(document.getElementById('cpu-lines')));
  await page.waitForLoadState('networkidle');
  assert.equal(await page.isHidden('#proc-panel'), true);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});
