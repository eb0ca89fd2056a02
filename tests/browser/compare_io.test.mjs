// compare_io.test.mjs — the compare page's "Syscall cost and disk I/O" panel in headless
// Chromium on etlgen disk stories: the baseline reads and writes a database file at 250 µs /
// 1.5 ms, the second run writes at 15 ms (worse), the third has no DiskIo events ("not
// measured"); numbers worked out by hand: 42 I/Os, 1 008 KiB, avg 607 µs → 4.46 ms.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer, uploadAndWait } from '../support/server.mjs';
import { generate } from '../support/etlgen.mjs';
import { launch, openPage } from '../support/browser.mjs';

let srv, browser;
const ids = [];
const story = (writeUs) => ({
  cpus: 2, pointer_size: 8, duration_s: 0, sample_rate_hz: 0, process_pid: 777,
  modules: [{ name: 'ntoskrnl.exe', base: '0xfffff80000000000', size: 65536 }],
  diskio: writeUs ? { reads: 30, writes: 12, cpu: 1, tid: 4100, disk: 2, file: 'C:\\data\\orders.mdf',
    file_object: '0xffffa0008a001000', read_size: 8192, write_size: 65536, read_latency_us: 250,
    write_latency_us: writeUs, gap_us: 100 } : undefined,
});

before(async () => {
  srv = await startServer();
  browser = await launch();
  for (const [name, w] of [['before', 1500], ['after', 15000], ['none', 0]]) {
    const g = generate(srv.dir, name, story(w), false);
    const up = await uploadAndWait(srv.url, readFileSync(g.path), `${name}.etl`, name);
    assert.equal(up.body.state, 'done', JSON.stringify(up.body));
    ids.push(up.body.run.id);
  }
});
after(async () => { await browser.close(); await srv.stop(); });

test('compare shows disk I/O per process, judged, with "not measured" for a run without it', async () => {
  const page = await openPage(browser);
  await page.goto(`${srv.url}/compare?runs=${ids.join(',')}&base=${ids[0]}`);
  await page.waitForSelector('#cmp-io-panel:not([hidden])');
  const cells = await page.evaluate(() => [...document.querySelectorAll('#cmp-diskio tbody tr')]
    .map((tr) => [...tr.children].map((td) => td.textContent.trim())));
  assert.equal(cells.length, 1);
  const row = cells[0];
  assert.equal(row[0], 'pid 777');
  assert.equal(row[1], '42');                    // baseline I/Os
  assert.match(row.join('|'), /worse/);         // 15 ms writes
  assert.equal(row.filter((c) => c === 'not measured').length, 2, row.join('|')); // third run: figures and change
  const syscalls = await page.evaluate(() => document.querySelectorAll('#cmp-syscalls tbody tr').length);
  assert.equal(syscalls, 0);
});
