// io_window.test.mjs — the shared filter (window, CPUs, pid, tid) of /syscalls,
// /scheduling and /diskio (issue 15), answered in `selection` from the per-slice facts.
// One etlgen trace, every number worked out by hand from the scenario below (trace times
// in ns from the trace start; the writer starts the stories 1.7 µs in, one after another):
// - syscalls on CPU 0, thread 2000: call i enters at 1 900 + i·2 ms and lasts 1 ms; a call
//   counts in the 100 ms slice of its exit, so calls 0–49 are in slice 0, 50–99 in slice 1.
// - ready_wait on CPU 1, thread 3000, round i from s_i = 200 002 100 + i·1 ms: runs 50 µs,
//   waits 450.1 µs, is ready 499.9 µs (readied from a DPC); 150 rounds, then a last run.
//   Rounds 0–98 lie in slice 2, round 99's ready spell ends 2.1 µs into slice 3, rounds
//   100–149 and the last run (i = 150) lie in slice 3.
// - disk 2 on CPU 2, thread 4100: 30 reads of 8 KiB at 5 ms issued 10 ms apart from
//   350 052 300, completing at 355 052 300 + j·10 ms (j 0–4 slice 3, 5–14 slice 4, 15–24
//   slice 5, 25–29 slice 6); then 12 writes of 64 KiB at 1.5 ms, 6.5 ms apart, completing at
//   651 552 300 + k·6.5 ms (k 0–7 slice 6, 8–11 slice 7).
// - then 40 FileIo reads of 4 KiB on the same thread and CPU, each 2 ms to its
//   OperationEnd, starting 5 ms after the last completion (723 052 300) and 7 ms apart:
//   read i starts at 728 052 300 + i·7 ms (i 0–10 slice 7, 11–24 slice 8, 25–38 slice 9,
//   39 slice 10); the trace ends at read 39's end, 1 003 052 300.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer, getJson, uploadAndWait } from '../support/server.mjs';
import { generate } from '../support/etlgen.mjs';
import { ioWindowScenario as scenario } from '../support/io_window.mjs';

const PID = 4242; // the writer's process
const ADDR = '0xfffff80000001000';

let srv, base, startMs;
before(async () => {
  srv = await startServer();
  const g = generate(srv.dir, 'window', scenario, false);
  const up = await uploadAndWait(srv.url, readFileSync(g.path), 'window.etl', 'window');
  assert.equal(up.body.state, 'done', JSON.stringify(up.body));
  base = `${srv.url}/api/runs/${up.body.run.id}`;
  startMs = (await getJson(base)).body.summary.start_utc_us / 1000;
});
after(async () => { await srv.stop(); });

// `@N` in a query: N ms after the trace start, as ms since the epoch
const withTimes = (q) => q.replace(/@([0-9.]+)/g, (_, ms) => String(startMs + Number(ms)));
const sel = async (what, q) => {
  q = withTimes(q);
  const r = await getJson(`${base}/${what}?${q}`);
  assert.equal(r.status, 200, `${what}?${q}: ${JSON.stringify(r.body)}`);
  assert.deepEqual(r.body.applies, { window: true, cpus: true, pid: true, tid: true, to: 'selection' });
  assert.equal(r.body.selection.stored, true);
  return r.body.selection;
};
const at = (ms) => `@${ms}`;

// [query, expected syscall rows (count, total_ns)]
const SYSCALLS = [
  ['', 100],
  [`from=${at(100)}&to=${at(300)}`, 50],            // slices 1–2: calls 50–99
  [`to=${at(100)}`, 50],                            // slice 0
  [`from=${at(50)}&to=${at(150)}`, 100],            // overlaps slices 0 and 1: whole slices
  ['cpus=1-3', 0],
  ['cpus=0', 100],
  [`cpus=0&from=${at(100)}&pid=${PID}&tid=2000`, 50],
  ['tid=3000', 0],
];
for (const [q, n] of SYSCALLS) {
  test(`syscalls selection ?${q}: ${n} calls of 1 ms`, async () => {
    const s = await sel('syscalls', q);
    assert.deepEqual(s.rows, n ? [{ pid: PID, address: ADDR, count: n, total_ns: n * 1e6, avg_ns: 1e6 }] : []);
    assert.deepEqual(s.totals, { count: n, total_ns: n * 1e6, avg_ns: n ? 1e6 : null });
  });
}

const thread3000 = (r) => ({ pid: PID, tid: 3000, ...r });
// Each ready spell [s_i + 500.1 µs, s_i + 1 ms) lies inside an ndis.sys DPC on CPU 1 that
// runs [s_i + 500 µs, s_i + 999.9 µs): 499.8 µs of it are behind the DPC. Round 99's
// overlap [299 502 200, 300 002 000) puts 497.8 µs in slice 2 and 2.0 µs in slice 3.
// whole trace: 151 runs of 50 µs, 150 ready spells of 499.9 µs, 150 waits of 450.1 µs
// (151 switch-outs into a wait: the last one never ends)
const ALL3000 = thread3000({ running_ns: 151 * 50000, switches: 151, ready_ns: 150 * 499900,
  ready_spells: 150, waiting_ns: 150 * 450100, waits: 151, ready_behind_dpc_ns: 150 * 499800 });
// slice 3 on: runs 100–150, round 99's last 2.1 µs ready + rounds 100–149
const LATE3000 = thread3000({ running_ns: 51 * 50000, switches: 51, ready_ns: 2100 + 50 * 499900,
  ready_spells: 50, waiting_ns: 50 * 450100, waits: 51, ready_behind_dpc_ns: 2000 + 50 * 499800 });
// slice 2: rounds 0–98 whole, round 99 but the last 2.1 µs of its ready spell
const MID3000 = thread3000({ running_ns: 100 * 50000, switches: 100, ready_ns: 99 * 499900 + 497800,
  ready_spells: 100, waiting_ns: 100 * 450100, waits: 100, ready_behind_dpc_ns: 99 * 499800 + 497800 });
const T2000 = { pid: PID, tid: 2000, running_ns: 0, switches: 1, ready_ns: 0, ready_spells: 0,
  waiting_ns: 0, waits: 0, ready_behind_dpc_ns: 0 }; // switched in once, never out

const SCHED = [
  ['', [ALL3000, T2000]],
  [`from=${at(300)}`, [LATE3000]],
  [`from=${at(200)}&to=${at(300)}`, [MID3000]],
  [`from=${at(250)}&to=${at(250.5)}`, [MID3000]],   // inside slice 2: the whole slice
  ['cpus=0', [T2000]],
  ['cpus=1', [ALL3000]],
  [`cpus=1,3&from=${at(300)}`, [LATE3000]],
  ['cpus=2-3', []],
  ['tid=2000', [T2000]],
  [`pid=${PID + 1}`, []],
];
for (const [q, rows] of SCHED) {
  test(`scheduling selection ?${q}`, async () => {
    const s = await sel('scheduling', q);
    assert.deepEqual(s.rows, rows);
    const keys = ['running_ns', 'switches', 'ready_ns', 'ready_spells', 'waiting_ns', 'waits', 'ready_behind_dpc_ns'];
    assert.deepEqual(s.totals, Object.fromEntries(keys.map((k) => [k, rows.reduce((a, r) => a + r[k], 0)])));
  });
}

const disk = (op, count, size, latNs) => ({ pid: PID, disk: 2, op, count, bytes: count * size,
  total_ns: count * latNs, avg_ns: latNs });
const READS = (n) => disk('read', n, 8192, 5e6);
const WRITES = (n) => disk('write', n, 65536, 1.5e6);
const DISK = [
  ['', [READS(30), WRITES(12)]],
  [`from=${at(400)}&to=${at(600)}`, [READS(20)]],                 // slices 4–5
  [`from=${at(600)}`, [READS(5), WRITES(12)]],                    // slices 6–7
  [`from=${at(700)}`, [WRITES(4)]],                               // slice 7
  [`to=${at(400)}`, [READS(5)]],                                  // slices 0–3
  ['cpus=0,1,3', []],
  ['cpus=2&tid=4100', [READS(30), WRITES(12)]],
];
for (const [q, rows] of DISK) {
  test(`diskio selection ?${q}`, async () => {
    const s = await sel('diskio', q);
    const strip = ({ pid, disk: d, op, count, bytes, total_ns, avg_ns }) => ({ pid, disk: d, op, count, bytes, total_ns, avg_ns });
    // most time first
    assert.deepEqual(s.rows.map(strip), rows.slice().sort((a, b) => b.total_ns - a.total_ns));
    const count = rows.reduce((a, r) => a + r.count, 0);
    const total = rows.reduce((a, r) => a + r.total_ns, 0);
    assert.equal(s.totals.count, count);
    assert.equal(s.totals.bytes, rows.reduce((a, r) => a + r.bytes, 0));
    assert.equal(s.totals.total_ns, total);
    assert.equal(s.totals.avg_ns, count ? Math.floor(total / count) : null);
    for (const r of rows) assert.deepEqual(s.totals.by_op[r.op], { count: r.count, bytes: r.bytes, total_ns: r.total_ns, avg_ns: r.avg_ns });
  });
}

const FILE = [
  ['', 40],
  [`from=${at(800)}&to=${at(1000)}`, 28],  // slices 8–9
  [`to=${at(800)}`, 11],
  [`from=${at(1000)}`, 1],
  ['cpus=2', 40],
  ['cpus=0-1,3', 0],
  ['tid=4100&pid=4242', 40],
];
for (const [q, n] of FILE) {
  test(`fileio selection ?${q}: ${n} reads of 4 KiB in 2 ms`, async () => {
    const s = await sel('fileio', q);
    const sums = { count: n, completed: n, bytes: n * 4096, total_ns: n * 2e6, avg_ns: n ? 2e6 : null };
    assert.deepEqual(s.rows, n ? [{ pid: PID, type: 67, op: 'Read', ...sums }] : []);
    assert.deepEqual(s.totals, sums);
  });
}

test('the selection window is whole 100 ms slices, clipped to the trace', async () => {
  const s = await sel('diskio', `from=${at(450)}&to=${at(512.5)}`);
  assert.deepEqual(s.window, { from: startMs + 400, to: startMs + 600, from_s: 0.4, to_s: 0.6, resolution_ms: 100 });
  const all = await sel('diskio', '');
  assert.equal(all.window.from_s, 0);
  assert.equal(all.window.to_s, 1.003052); // the run's duration: 1 003 052 µs
  assert.equal(all.cpus, null);
  assert.deepEqual((await sel('diskio', 'cpus=2,0')).cpus, [0, 2]);
});

test('bad filters are 400 on every endpoint', async () => {
  for (const what of ['syscalls', 'scheduling', 'diskio', 'fileio'])
    for (const q of ['cpus=x', 'cpus=3-1', 'from=abc', `from=${at(10)}&to=${at(5)}`, 'pid=-1', 'tid=x', 'limit=0']) {
      const r = await getJson(`${base}/${what}?${withTimes(q)}`);
      // /fileio has no file events in this trace: 404 comes only after the filter passed
      assert.equal(r.status, 400, `${what}?${q}: ${JSON.stringify(r.body)}`);
      assert.equal(typeof r.body.error, 'string');
    }
});

// The per-CPU timeline follows the window and CPUs too (stored slices of 3 ms: the trace's
// 1.003 s / 500, rounded up to whole ms). CPU 1 from 300 ms: thread 3000's runs 100–150
// (51 × 50 µs) and the idle time between them — the 2.1 µs of round 99's idle spell past
// 300 ms and 50 × 950 µs; before 300 ms: runs 0–99 and 99 × 950 µs + 947.9 µs idle.
test('scheduling timeline over a window and CPU subset, decimated on request', async () => {
  const tl = async (q) => {
    const r = await getJson(`${base}/scheduling?timeline=1&${withTimes(q)}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.timeline;
  };
  const sums = (t) => ({
    ran: t.reduce((a, s) => a + s.top.filter((x) => x.tid === 3000).reduce((b, x) => b + x.ns, 0), 0),
    idle: t.reduce((a, s) => a + s.idle_ns, 0),
    cpus: [...new Set(t.map((s) => s.cpu))],
  });
  assert.deepEqual(sums(await tl('from=@300&cpus=1')), { ran: 51 * 50000, idle: 2100 + 50 * 950000, cpus: [1] });
  assert.deepEqual(sums(await tl('to=@300')), { ran: 100 * 50000, idle: 99 * 950000 + 947900, cpus: [1] });
  assert.deepEqual(sums(await tl('cpus=0,2')), { ran: 0, idle: 0, cpus: [] });
  const late = await tl('from=@300&cpus=1');
  assert.ok(late.every((s) => s.t_s >= 0.3 && Math.abs(s.slice_s - 0.003) < 1e-12));
  // at most 10 points: the stored slices 100..116 in groups of 2 from 300 ms, same sums
  const dec = await tl('from=@300&cpus=1&points=10');
  assert.ok(dec.length <= 10, `${dec.length} points`);
  const whole = (x) => Math.abs(x - Math.round(x)) < 1e-6;
  assert.ok(dec.every((s) => Math.abs(s.slice_s - 0.006) < 1e-12 && whole((s.t_s - 0.3) / 0.006)), JSON.stringify(dec.map((s) => s.t_s)));
  assert.deepEqual(sums(dec), { ran: 51 * 50000, idle: 2100 + 50 * 950000, cpus: [1] });
});
