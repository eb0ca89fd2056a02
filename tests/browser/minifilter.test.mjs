// minifilter.test.mjs — the Mini-filter delays panel in headless Chromium on etlgen traces:
// "one third-party filter delays every file create" (csagent.sys, CrowdStrike Ltd. in
// kb/drivers.csv: pre-create 2 ms / 12 ms alternately, post-create 0.5 ms, 300 creates)
// shows the verdict and the numbers worked out by hand, a hostile file name stays text, the
// story without FileIo events says "file not identified" wherever a file would be, and
// the same story with MajorFunction first shows the "did not validate" verdict and no table;
// compare shows the pre-create callback worse when it takes twice as long.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer, uploadAndWait } from '../support/server.mjs';
import { launch, openPage } from '../support/browser.mjs';
import { generate } from '../support/etlgen.mjs';

const FILE = 'C:\\data\\<img src=x onerror=alert(1)>.mdf';
const scenario = (majorFirst) => ({
  cpus: 2, pointer_size: 8, duration_s: 0, sample_rate_hz: 0, process_pid: 777,
  modules: [
    { name: 'ntoskrnl.exe', base: '0xfffff80000000000', size: 16777216 },
    { name: 'csagent.sys', base: '0xfffff88002000000', size: 262144 },
  ],
  minifilter: { module: 'csagent.sys', creates: 300, cpu: 1, tid: 4100, file: FILE,
                file_object: '0xffffd00012345670', pre_us: [2000, 12000], post_us: [500], gap_us: 100,
                major_first: majorFirst },
});

let srv, browser;
const ids = {};
before(async () => {
  srv = await startServer();
  browser = await launch();
  const slow = scenario(false); // the pre-create callback twice as slow: 4 ms / 24 ms
  slow.minifilter = { ...slow.minifilter, pre_us: [4000, 24000] };
  const nofio = scenario(false); // no FileIo event: the FileObject cannot be pinned
  nofio.minifilter = { ...nofio.minifilter, no_file_events: true };
  for (const [name, scen] of [['ok', scenario(false)], ['refused', scenario(true)], ['slow', slow], ['nofio', nofio]]) {
    const g = generate(srv.dir, name, scen, false);
    const up = await uploadAndWait(srv.url, readFileSync(g.path), `${name}.etl`, name);
    assert.equal(up.body.state, 'done', JSON.stringify(up.body));
    ids[name] = up.body.run.id;
  }
});
after(async () => { await browser.close(); await srv.stop(); });

const rows = (page, id) => page.$$eval(`#${id} tbody tr`, (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));

test('the delays of one filter: verdict, driver, functions, files, slowest', async () => {
  const page = await openPage(browser);
  await page.goto(`${srv.url}/runs/${ids.ok}`);
  await page.waitForFunction(() => document.getElementById('flt-panel').dataset.ready === 'done');
  assert.equal(await page.textContent('#flt-verdict'),
    'Minifilter layout validated on this trace: 256 of 256 records checked fit (900 events).');
  const drivers = await rows(page, 'flt-drivers');
  assert.equal(drivers.length, 1);
  // pre 2.1 s, post 0.15 s, total 2.25 s, 600 callbacks, 150 over 10 ms
  assert.deepEqual([drivers[0][0], drivers[0][1], drivers[0][3], drivers[0][4], drivers[0][5], drivers[0][6], drivers[0][7]],
    ['csagent.sys', 'CrowdStrike Ltd.', '2.1 s', '150 ms', '2.3 s', '600', '150']);
  const fn = await rows(page, 'flt-rows');
  assert.deepEqual(fn.map((r) => r.slice(1)), [
    ['IRP_MJ_CREATE', 'pre', '300', '2.1 s', '7.0 ms', '12 ms', '300', '150', '0'],
    ['IRP_MJ_CREATE', 'post', '300', '150 ms', '500 µs', '500 µs', '0', '0', '0']]);
  assert.equal(await page.textContent('#flt-file-note'),
    "Files: the records' FileObject pointer is the file object — 256 of 256 deciding records held one of the trace's FileIo file objects there.");
  const files = await rows(page, 'flt-files');
  assert.deepEqual(files.map((r) => r[1]), [FILE]);
  assert.equal(await page.$$eval('#flt-files img', (x) => x.length), 0);
  const slow = await rows(page, 'flt-slowest');
  assert.equal(slow.length, 20);
  assert.deepEqual(slow[0], ['12 ms', 'csagent.sys', 'IRP_MJ_CREATE', 'pre', '777', '4100', FILE]);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('no FileIo events: the delays shown, every file "file not identified"', async () => {
  const page = await openPage(browser);
  await page.goto(`${srv.url}/runs/${ids.nofio}`);
  await page.waitForFunction(() => document.getElementById('flt-panel').dataset.ready === 'done');
  assert.equal(await page.textContent('#flt-file-note'),
    "File not identified: no pointer of the minifilter records clearly matched the trace's FileIo file objects (0 seen). Record FileIO and Filename events with the minifilter ones to see files.");
  const files = await rows(page, 'flt-files');
  assert.deepEqual(files.map((r) => [r[0], r[1]]), [['csagent.sys', 'file not identified']]);
  const slow = await rows(page, 'flt-slowest');
  assert.equal(slow.length, 20);
  assert.deepEqual([...new Set(slow.map((r) => r[6]))], ['file not identified']);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('a layout the trace refuses: the verdict, no table', async () => {
  const page = await openPage(browser);
  await page.goto(`${srv.url}/runs/${ids.refused}`);
  await page.waitForFunction(() => document.getElementById('flt-panel').dataset.ready === 'done');
  assert.match(await page.textContent('#flt-verdict'), /^Minifilter events present \(900\); their layout did not validate on this trace: 0 of 256 checked\./);
  assert.equal(await page.isVisible('#flt-body'), false);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('compare: the delay per callback, judged against the baseline', async () => {
  const page = await openPage(browser);
  await page.goto(`${srv.url}/compare?runs=${ids.ok},${ids.slow},${ids.refused}&base=${ids.ok}`);
  await page.waitForSelector('#cmp-io-panel:not([hidden])');
  const cells = await page.evaluate(() => [...document.querySelectorAll('#cmp-minifilter tbody tr')]
    .map((tr) => [...tr.children].map((td) => td.textContent.trim())));
  assert.equal(cells.length, 2);
  const pre = cells.find((r) => r[1] === 'IRP_MJ_CREATE pre');
  assert.equal(pre[0], 'csagent.sys');
  assert.deepEqual(pre.slice(2, 4), ['300', '7.0 ms']); // baseline callbacks, average
  assert.match(pre.join('|'), /worse/);                 // 14 ms after
  assert.equal(pre.filter((c) => c === 'not measured').length, 2, pre.join('|')); // refused layout
  assert.deepEqual(page.problems, []);
  await page.context().close();
});
