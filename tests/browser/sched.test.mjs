// sched.test.mjs — browser test of the syscalls and scheduling panel: the EDR syscall story
// (3.3 µs per NtDelayExecution-like call, samples inside through tedrdrv.sys) and a thread
// readied by DPCs show with fmt-formatted numbers; a trace without the events says "not
// recorded" with the xperf flags that record them; no console errors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer, uploadAndWait } from '../support/server.mjs';
import { launch, openPage } from '../support/browser.mjs';
import { generate } from '../support/etlgen.mjs';

let srv, browser;
const ids = {};
const story = {
  cpus: 4, pointer_size: 8, buffer_size: 65536, duration_s: 0, seed: 1, sample_rate_hz: 0,
  modules: [
    { name: 'ntoskrnl.exe', base: '0xfffff80000000000', size: 8388608, samples: { weight: 0, stack: ['tedrdrv.sys'] } },
    { name: 'tedrdrv.sys', base: '0xfffff80010000000', size: 1048576 },
    { name: 'ndis.sys', base: '0xfffff80020000000', size: 1048576 },
  ],
  syscalls: { count: 1000, cpu: 0, tid: 2000, module: 'ntoskrnl.exe', offset: 4096, duration_us: 3.3, gap_us: 10, sample_every: 10 },
  ready_wait: { count: 100, cpu: 1, tid: 3000, wait_reason: 15, dpc_module: 'ndis.sys', run_us: 50, wait_us: 500, ready_us: 200 },
};
const plain = { cpus: 2, duration_s: 0.01, modules: [{ name: 'ndis.sys', base: '0xfffff80020000000', size: 65536,
  dpc: { rate: 1000, duration_us: { dist: 'fixed', value: 5 } } }] };

before(async () => {
  srv = await startServer();
  browser = await launch();
  for (const [name, scen] of [['story', story], ['plain', plain]]) {
    const g = generate(srv.dir, name, scen, false);
    const up = await uploadAndWait(srv.url, readFileSync(g.path), `${name}.etl`, name);
    ids[name] = up.body.run.id;
  }
});
after(async () => { await browser.close(); await srv.stop(); });

const cells = (page, body) => page.$$eval(`#${body} tr`, (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));

test('the panel shows syscall cost, stack modules, threads and who readied them', async () => {
  const page = await openPage(browser);
  await page.goto(`${srv.url}/runs/${ids.story}`);
  await page.waitForFunction(() => document.getElementById('sched-panel').dataset.ready);
  assert.equal(await page.isHidden('#sched-syscalls-none'), true);
  assert.deepEqual(await cells(page, 'sched-syscalls-body'),
    [['pid (4242)', 'ntoskrnl.exe+0x1000', '1,000', '3.3 ms', '3.3 µs', '3.3 µs', '3.3 µs', '100']]);
  assert.deepEqual((await cells(page, 'sched-stackmods-body')).map((r) => r[1]).sort(), ['ntoskrnl.exe', 'tedrdrv.sys']);
  const threads = await cells(page, 'sched-threads-body');
  // 101 × 50 µs = 5.05 ms: fmt keeps one decimal below 10, and 5.05 is 5.0499… in binary
  assert.deepEqual(threads[0], ['3000', 'pid (4242)', '5.0 ms', '20 ms', '50 ms', '101', 'WrQueue 101× 50 ms']);
  assert.deepEqual(await cells(page, 'sched-ready-body'),
    [['3000 — pid (4242)', 'a DPC (interrupting thread 0)', '100', '20 ms']]);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('a trace without syscalls or context switches says they were not recorded, and how to record them', async () => {
  const page = await openPage(browser);
  await page.goto(`${srv.url}/runs/${ids.plain}`);
  await page.waitForFunction(() => document.getElementById('sched-panel').dataset.ready);
  for (const id of ['sched-syscalls-none', 'sched-threads-none']) {
    assert.equal(await page.isVisible(`#${id}`), true);
    const t = await page.textContent(`#${id}`);
    assert.match(t, /not recorded/);
    assert.match(t, /xperf -on PROC_THREAD\+LOADER\+CSWITCH\+DISPATCHER\+SYSCALL -stackwalk CSwitch\+ReadyThread/);
  }
  assert.deepEqual(page.problems, []);
  await page.context().close();
});
