// io_window.test.mjs — browser test: the syscall/scheduling and disk/file I/O panels follow
// the page's time window and CPU selection (issue 15). The trace is the scenario of
// tests/support/io_window.mjs; the numbers are the ones integration/io_window.test.mjs
// works out by hand (formatted with the page's fmt, tested on its own in fmt tests).
// Without a selection the blocks stay hidden; changing the selection reloads them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer, uploadAndWait, getJson } from '../support/server.mjs';
import { launch, openPage } from '../support/browser.mjs';
import { generate } from '../support/etlgen.mjs';
import { ioWindowScenario } from '../support/io_window.mjs';

let srv, browser, id, startMs;
before(async () => {
  srv = await startServer();
  browser = await launch();
  const g = generate(srv.dir, 'window', ioWindowScenario, false);
  const up = await uploadAndWait(srv.url, readFileSync(g.path), 'window.etl', 'window');
  id = up.body.run.id;
  startMs = (await getJson(`${srv.url}/api/runs/${id}`)).body.summary.start_utc_us / 1000;
});
after(async () => { await browser.close(); await srv.stop(); });

const rows = (page, box) => page.$$eval(`#${box} tbody tr`, (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
const waitQuery = (page, panel, q) => page.waitForFunction(([p, v]) => document.getElementById(p).dataset.query === v, [panel, q]);

test('no selection: the selection blocks are hidden', async () => {
  const page = await openPage(browser);
  await page.goto(`${srv.url}/runs/${id}`);
  await waitQuery(page, 'sched-panel', '');
  await waitQuery(page, 'io-panel', '');
  for (const box of ['sched-sel-syscalls', 'sched-sel-threads', 'io-sel-disk', 'io-sel-file'])
    assert.equal(await page.isHidden(`#${box}`), true, box);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('window from 300 ms on CPU 1, then CPU 0 only: the tables follow', async () => {
  const page = await openPage(browser);
  const from = startMs + 300;
  await page.goto(`${srv.url}/runs/${id}?from=${from}&cpus=1`);
  await waitQuery(page, 'sched-panel', `from=${from}&cpus=1`);
  // thread 3000 from slice 3 on: 51 runs of 50 µs, 2.1 µs + 50 × 499.9 µs ready,
  // 50 × 450.1 µs waiting, 51 switches; 2.0 µs + 50 × 499.8 µs of the ready time inside
  // the DPCs on CPU 1
  const want = await page.evaluate(() => [51 * 50000, 2100 + 50 * 499900, 50 * 450100, 2000 + 50 * 499800].map((ns) => fmt.ms(ns / 1e6)));
  assert.deepEqual(await rows(page, 'sched-sel-threads'), [['3000', 'pid (4242)', ...want.slice(0, 3), '51', want[3]]]);
  assert.deepEqual(await rows(page, 'sched-sel-syscalls'), [['Nothing in the selection.']]);
  const note = await page.textContent('#sched-sel-threads p');
  assert.match(note, /CPUs 1\b/);
  // the page's CPU selection changes: CPU 0, whole trace — the 100 syscalls of 1 ms
  await page.evaluate(() => view.set({ from: null, cpus: '0' }));
  await waitQuery(page, 'sched-panel', 'cpus=0');
  const calls = await page.evaluate(() => [100 * 1e6, 1e6].map((ns) => fmt.us(ns / 1e3)));
  assert.deepEqual(await rows(page, 'sched-sel-syscalls'), [['pid (4242)', 'ntoskrnl.exe+0x1000', '100', ...calls]]);
  assert.deepEqual((await rows(page, 'sched-sel-threads')).map((r) => [r[0], r[5]]), [['2000', '1']]);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('disk and file I/O in the window 400–600 ms and 800–1000 ms', async () => {
  const page = await openPage(browser);
  const q = `from=${startMs + 400}&to=${startMs + 600}`;
  await page.goto(`${srv.url}/runs/${id}?${q}`);
  await waitQuery(page, 'io-panel', q);
  // reads 5–24 complete in slices 4–5: 20 × 8 KiB at 5 ms
  const disk = await page.evaluate(() => [fmt.bytes(20 * 8192), ...[20 * 5e6, 5e6].map((ns) => fmt.us(ns / 1000))]);
  assert.deepEqual(await rows(page, 'io-sel-disk'), [['4242', '2', 'Read', '20', ...disk]]);
  // file reads 11–38 start in slices 8–9: none here, 28 after the change
  assert.deepEqual(await rows(page, 'io-sel-file'), [['Nothing in the selection.']]);
  const q2 = `from=${startMs + 800}&to=${startMs + 1000}`;
  await page.evaluate(([a, b]) => view.set({ from: a, to: b }), [startMs + 800, startMs + 1000]);
  await waitQuery(page, 'io-panel', q2);
  const file = await page.evaluate(() => [fmt.bytes(28 * 4096), fmt.us(28 * 2e6 / 1000)]);
  assert.deepEqual(await rows(page, 'io-sel-file'), [['4242', 'Read', '28', '28', ...file]]);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

// The timeline of 300–351 ms: CPU 1 only (CPU 0's syscall thread never switched out, no
// other CPU has DPCs); the stored slice [318, 321) ms holds thread 3000's runs at 318.0021,
// 319.0021 and 320.0021 ms: 3 × 50 µs. Its ready spells sit inside ndis.sys DPCs, so the
// lane's DPC band is red somewhere.
test('the per-CPU timeline is drawn for the window, with the DPC band and a per-slice hover', async () => {
  const page = await openPage(browser);
  const q = `from=${startMs + 300}&to=${startMs + 351}`;
  await page.goto(`${srv.url}/runs/${id}?${q}`);
  await page.waitForFunction((v) => document.getElementById('sched-tl').dataset.drawn === v, q);
  assert.equal(await page.isHidden('#sched-tl'), false);
  const box = await page.$eval('#sched-tl canvas', (c) => {
    c.scrollIntoView({ block: 'center' });
    const r = c.getBoundingClientRect();
    return { x: r.left, y: r.top, w: r.width, h: r.height };
  });
  assert.equal(box.h, 22 + 18); // one lane
  // red pixels in the lane's DPC band (its lowest 7 px above the 2 px gap)
  const red = await page.$eval('#sched-tl canvas', (c) => {
    const g = c.getContext('2d'), d = window.devicePixelRatio || 1;
    const px = g.getImageData(0, Math.round(14 * d), c.width, Math.round(6 * d)).data;
    let n = 0;
    for (let i = 0; i < px.length; i += 4) if (px[i] > 200 && px[i + 1] < 80 && px[i + 2] < 80) n++;
    return n;
  });
  assert.ok(red > 0, 'the DPC band is drawn');
  const left = 56, t = 319.5; // ms from the trace start, inside the stored slice [318, 321)
  // Relative to the canvas where it is when the pointer moves (panels drawn later above it
  // may move it after the box was read), once it is stable.
  await page.locator('#sched-tl canvas').hover({ position: { x: left + ((t - 300) / 51) * (box.w - left), y: 8 } });
  await page.waitForFunction(() => document.querySelector('#sched-tl .tl-hover').textContent !== '');
  const text = await page.textContent('#sched-tl .tl-hover');
  const ran = await page.evaluate(() => fmt.us(150000 / 1000));
  assert.match(text, /^CPU 1 at /);
  assert.ok(text.includes(`thread 3000 (pid 4242) ran ${ran}`), text);
  assert.match(text, /DPC \d/);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});
