// sched.test.mjs — /syscalls and /scheduling over HTTP on etlgen traces, against numbers
// worked out by hand from the scenarios (not from etlgen's or the product's arithmetic):
// the EDR syscall-cost story (1000 NtDelayExecution-like syscalls, 0.1 µs before, 3.3 µs
// after, samples inside them through tedrdrv.sys) and a thread ready-waiting behind DPCs;
// runs without the events say "not recorded"; bad filters are 400.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer, getJson, uploadAndWait } from '../support/server.mjs';
import { generate } from '../support/etlgen.mjs';

let srv;
const runs = {};

const scenario = (syscallUs) => ({
  cpus: 4, pointer_size: 8, buffer_size: 65536, duration_s: 0, seed: 1, sample_rate_hz: 0,
  modules: [
    { name: 'ntoskrnl.exe', path: '\\SystemRoot\\system32\\ntoskrnl.exe', base: '0xfffff80000000000',
      size: 8388608, samples: { weight: 0, stack: ['tedrdrv.sys'] } },
    { name: 'tedrdrv.sys', base: '0xfffff80010000000', size: 1048576 },
    { name: 'ndis.sys', base: '0xfffff80020000000', size: 1048576 },
  ],
  syscalls: { count: 1000, cpu: 0, tid: 2000, module: 'ntoskrnl.exe', offset: 4096,
              duration_us: syscallUs, gap_us: 10, sample_every: syscallUs >= 0.2 ? 10 : 0 },
  ready_wait: { count: 100, cpu: 1, tid: 3000, wait_reason: 15, dpc_module: 'ndis.sys',
                run_us: 50, wait_us: 500, ready_us: 200 },
});

before(async () => {
  srv = await startServer();
  // a thread readied by DPCs of ndis.sys that hold its CPU 2 ms each time (93 % DPC)
  const pegged = { ...scenario(3.3), syscalls: undefined,
    ready_wait: { count: 20, cpu: 1, tid: 3000, wait_reason: 15, dpc_module: 'ndis.sys', run_us: 50, wait_us: 100, ready_us: 2000 } };
  // syscalls dispatched into the EDR driver itself (a hooked service)
  const hooked = { ...scenario(3.3), ready_wait: undefined };
  hooked.syscalls = { ...hooked.syscalls, module: 'tedrdrv.sys', count: 50, sample_every: 0 };
  for (const [name, scen] of [['before', scenario(0.1)], ['after', scenario(3.3)], ['pegged', pegged], ['hooked', hooked],
    ['none', { cpus: 2, duration_s: 0.01, modules: [{ name: 'ndis.sys', base: '0xfffff80020000000', size: 65536,
      dpc: { rate: 1000, duration_us: { dist: 'fixed', value: 5 } } }] }]]) {
    const g = generate(srv.dir, name, scen, false);
    const up = await uploadAndWait(srv.url, readFileSync(g.path), `${name}.etl`, name);
    assert.equal(up.body.state, 'done', JSON.stringify(up.body));
    runs[name] = `${srv.url}/api/runs/${up.body.run.id}`;
  }
});
after(async () => { await srv.stop(); });

const get = async (url) => {
  const r = await getJson(url);
  assert.equal(r.status, 200, `${url}: ${JSON.stringify(r.body)}`);
  return r.body;
};

test('syscalls: the EDR story, 0.1 µs per call before and 3.3 µs after', async () => {
  for (const [name, ns, samples] of [['before', 100, 0], ['after', 3300, 100]]) {
    const b = await get(`${runs[name]}/syscalls`);
    assert.equal(b.recorded, true);
    assert.deepEqual(b.events, { SysClEnter: 1000, SysClExit: 1000 });
    assert.equal(b.syscalls.length, 1);
    const s = b.syscalls[0];
    assert.equal(s.pid, 4242);
    assert.equal(s.address, '0xfffff80000001000');
    assert.equal(s.module, 'ntoskrnl.exe');
    assert.equal(s.offset, '0x1000');
    assert.equal(s.count, 1000);
    assert.equal(s.total_ns, 1000 * ns);
    assert.equal(s.avg_ns, ns);
    assert.equal(s.max_ns, ns);
    assert.equal(s.p99_ns, ns); // every call in one bucket: capped at the max
    assert.equal(s.samples, samples);
    const mods = Object.fromEntries(b.stack_modules.map((m) => [m.module, m.samples]));
    assert.deepEqual(mods, samples ? { 'ntoskrnl.exe': 100, 'tedrdrv.sys': 100 } : {});
  }
});

test('scheduling: a thread ready-waiting behind DPCs, readied from a DPC', async () => {
  const b = await get(`${runs.after}/scheduling?tid=3000`);
  assert.equal(b.recorded, true);
  // CSwitch: the syscall thread's switch-in (1) + the ready_wait story's first switch-in,
  // 100 × (out, in) and the last switch-out (202) = 203; one ReadyThread per round
  assert.deepEqual(b.events, { CSwitch: 203, ReadyThread: 100 });
  assert.equal(b.threads.length, 1);
  const t = b.threads[0];
  // 101 runs of 50 µs; 100 waits of 500 µs + 1 tick (ReadyThread 0.1 µs into the DPC);
  // 100 ready spells of 200 µs - 1 tick
  assert.deepEqual({ tid: t.tid, pid: t.pid, running_ns: t.running_ns, ready_ns: t.ready_ns,
    waiting_ns: t.waiting_ns, switches: t.switches },
  { tid: 3000, pid: 4242, running_ns: 101 * 50000, ready_ns: 100 * 199900,
    waiting_ns: 100 * 500100, switches: 101 });
  assert.deepEqual(t.wait_reasons, [{ reason: 15, name: 'WrQueue', count: 101, wait_ns: 100 * 500100 }]);
  assert.equal(b.readied_by.length, 1);
  assert.deepEqual(b.readied_by[0], { tid: 3000, pid: 4242, process: '', by_tid: 0, by_pid: 0,
    by_process: '', from_dpc: true, count: 100, ready_ns: 100 * 199900 });
  const all = await get(`${runs.after}/scheduling`);
  assert.deepEqual(all.threads.map((x) => x.tid).sort(), [2000, 3000]);
  const none = await get(`${runs.after}/scheduling?pid=1`);
  assert.equal(none.threads.length, 0);
});

test('runs without the events: recorded false, empty tables', async () => {
  const s = await get(`${runs.none}/syscalls`);
  assert.equal(s.recorded, false);
  assert.deepEqual(s.syscalls, []);
  const c = await get(`${runs.none}/scheduling`);
  assert.equal(c.recorded, false);
  assert.deepEqual(c.threads, []);
});

test('bad filters are 400 with an error', async () => {
  for (const q of ['pid=x', 'tid=-1', 'limit=0', 'limit=5001', 'pid=4294967295']) {
    const r = await getJson(`${runs.after}/scheduling?${q}`);
    assert.equal(r.status, 400, q);
    assert.equal(typeof r.body.error, 'string');
  }
});

const findings = async (name) => (await get(`${runs[name]}/findings`)).findings;

test('findings: syscalls passing through the EDR driver; none before it', async () => {
  const f = (await findings('after')).find((x) => x.id === 'syscall-security-hooks');
  assert.ok(f, 'syscall-security-hooks missing');
  assert.equal(f.severity, 'warning');
  assert.equal(f.sentence, 'Syscalls from pid 4242 average 3.3 µs (1,000 calls); 100.0 % of the CPU samples inside them '
    + 'pass through tedrdrv.sys (Palo Alto Networks, EDR): its hooks add to the cost of every system call.');
  assert.equal(f.numbers.count, 1000);
  assert.equal(f.numbers.samples, 100);
  assert.equal(f.numbers.module_samples, 100);
  assert.equal(f.link.panel, 'sched');
  assert.equal((await findings('before')).some((x) => x.id === 'syscall-security-hooks'), false);
});

test('findings: a thread ready-waiting behind DPC-pegged CPUs', async () => {
  const all = await findings('pegged');
  assert.ok(all.some((x) => x.id === 'cpu-dpcisr-saturated'), JSON.stringify(all.map((x) => x.id)));
  const f = all.find((x) => x.id === 'thread-ready-behind-dpc');
  assert.ok(f, 'thread-ready-behind-dpc missing');
  // 20 ready spells of 2 ms - 1 tick (0.1 µs) = 39.998 ms
  assert.equal(f.numbers.ready_ms, 20 * 1.9999);
  assert.equal(f.numbers.count, 20);
  assert.deepEqual(f.numbers.cpus, [1]);
  // the per-slice tie: each spell [t + 0.1 µs, t + 2 ms) lies in an ndis.sys DPC on CPU 1
  // running [t, t + 1999.9 µs): 1999.8 µs behind it, 20 × = 39.996 ms (99.995 % of the
  // ready time), all in slice 0; the trace ends at the last switch-out, 1.8 µs + 20 ×
  // 2150 µs + 50 µs = 43.0518 ms (43 051 µs stored)
  assert.equal(f.numbers.behind_dpc_ms, 20 * 1.9998);
  assert.deepEqual(f.numbers.behind_dpc_by_cpu, [{ cpu: 1, ms: 20 * 1.9998 }]);
  assert.equal(f.numbers.from_s, 0);
  assert.equal(f.numbers.to_s, 0.043051);
  assert.equal(f.link.params.cpus, '1');
  assert.match(f.sentence, /^Thread 3000 of pid 4242 waited 40 ms ready but not running after DPCs readied it \(20 times, 2\.0 ms each on average\); for 40 ms of it \(100\.0 %\) DPCs and ISRs were running on CPU 1, the CPU it then ran on, between 0 s and 43 ms into the trace \(DPCs and ISRs took more than 50 % of CPU 1\)\.$/);
  // the syscall-cost story's DPCs stay under the limit: no such finding there
  assert.equal((await findings('after')).some((x) => x.id === 'thread-ready-behind-dpc'), false);
});

test('compare: cost per call before and after the EDR, per process and syscall', async () => {
  const id = (name) => runs[name].split('/').pop();
  const r = await getJson(`${srv.url}/api/compare?runs=${id('before')},${id('after')},${id('none')}&base=${id('before')}`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.deepEqual(r.body.syscalls, [{
    process: 'pid 4242', syscall: 'ntoskrnl.exe+0x1000',
    runs: [{ count: 1000, total_ns: 100000, avg_ns: 100, max_ns: 100 },
      { count: 1000, total_ns: 3300000, avg_ns: 3300, max_ns: 3300 },
      null], // the third run did not record syscalls
    delta: [{ avg_ns: { abs: 3200, rel: 32 }, judgement: 'worse' }, null], // 33× dearer
  }]);
});

test('scheduling timeline: per CPU and slice, what ran (top threads, idle)', async () => {
  const b = await get(`${runs.after}/scheduling?timeline=1`);
  const cpu1 = b.timeline.filter((s) => s.cpu === 1);
  let ran = 0, idle = 0, other = 0;
  for (const s of b.timeline) {
    const sum = s.top.reduce((a, t) => a + t.ns, 0) + s.other_ns + s.idle_ns;
    assert.ok(sum <= 1e6 + 1e-9, `slice ${s.cpu}/${s.slice} holds ${sum} ns of a 1 ms slice`);
  }
  for (const s of cpu1) {
    for (const t of s.top) if (t.tid === 3000) ran += t.ns;
    idle += s.idle_ns;
    other += s.other_ns;
  }
  // thread 3000 ran 101 × 50 µs; between its runs CPU 1 idled 100 × (500 + 200) µs; the
  // syscall thread on CPU 0 never switched out, so CPU 0 has no closed interval
  assert.equal(ran, 101 * 50000);
  assert.equal(idle, 100 * 700000);
  assert.equal(other, 0);
  assert.equal(b.timeline.filter((s) => s.cpu === 0).length, 0);
  assert.equal((await get(`${runs.after}/scheduling`)).timeline, undefined);
  // merged into at most 10 points per CPU: the same sums, wider slices
  const m = (await get(`${runs.after}/scheduling?timeline=1&points=10`)).timeline.filter((s) => s.cpu === 1);
  assert.ok(m.length <= 10 && m.length > 1, `${m.length} points`);
  assert.equal(m.reduce((a, s) => a + s.top.filter((t) => t.tid === 3000).reduce((x, t) => x + t.ns, 0), 0), 101 * 50000);
  assert.equal(m.reduce((a, s) => a + s.idle_ns, 0), 100 * 700000);
  assert.ok(m.every((s) => s.slice_s > 0.001 && Math.abs(s.t_s - s.slice * s.slice_s) < 1e-9));
  assert.equal((await getJson(`${runs.after}/scheduling?timeline=2`)).status, 400);
  assert.equal((await getJson(`${runs.after}/scheduling?timeline=1&points=0`)).status, 400);
});

test('findings: syscalls entering a third-party module (a hook); none for ntoskrnl.exe', async () => {
  const f = (await findings('hooked')).find((x) => x.id === 'syscall-third-party-target');
  assert.ok(f, 'syscall-third-party-target missing');
  assert.equal(f.sentence, '50 syscalls from 1 process entered tedrdrv.sys (Palo Alto Networks, EDR) at +0x1000, '
    + "not Windows' own kernel (average 3.3 µs): a third-party driver sits where system services are dispatched, i.e. it hooks them.");
  assert.equal(f.numbers.count, 50);
  assert.equal((await findings('after')).some((x) => x.id === 'syscall-third-party-target'), false);
});
