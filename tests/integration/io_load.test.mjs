// io_load.test.mjs — the busy-machine benchmark scenario (bench/io_busy.json, issue 15) cut
// to 0.6 s on 6 CPUs, both pointer sizes: /syscalls, /scheduling, /diskio and /fileio over
// HTTP must answer exactly what etlgen says it wrote (its per-thread and per-process
// expectations, an independent account of the events), for the whole trace and for one
// process.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, getJson, uploadAndWait, repo } from '../support/server.mjs';
import { generate } from '../support/etlgen.mjs';

const bench = JSON.parse(readFileSync(join(repo, 'bench', 'io_busy.json'), 'utf8'));
const small = (P) => ({
  ...bench, cpus: 4, pointer_size: P, load: { ...bench.load, duration_s: 2.3, processes: 5, threads_per_cpu: 3 },
  // the 64-bit bench's addresses, cut to 32 bits for P 4
  modules: bench.modules.map((m) => (P === 8 ? m : { ...m, base: `0x${(0x80000000 + Number(BigInt(m.base) & 0xfffffffn)).toString(16)}` })),
});

let srv;
const runs = {};
const expected = {};
const starts = {};

before(async () => {
  srv = await startServer();
  for (const P of [4, 8]) {
    const g = generate(srv.dir, `busy${P}`, small(P), false);
    expected[P] = g.expected.load;
    const up = await uploadAndWait(srv.url, readFileSync(g.path), `busy${P}.etl`, `busy${P}`);
    assert.equal(up.body.state, 'done', JSON.stringify(up.body));
    runs[P] = `${srv.url}/api/runs/${up.body.run.id}`;
    starts[P] = (await get(runs[P])).start;
  }
});
after(async () => { await srv.stop(); });

const get = async (url) => {
  const r = await getJson(url);
  assert.equal(r.status, 200, `${url}: ${JSON.stringify(r.body)}`);
  return r.body;
};
const SCHED = ['running_ns', 'switches', 'ready_ns', 'ready_spells', 'waiting_ns', 'waits', 'ready_behind_dpc_ns'];
const pick = (o, keys) => Object.fromEntries(keys.map((k) => [k, o[k]]));
const OPS = { read: 67, write: 68 };
const DISK_OPS = ['read', 'write'];
// rows of a selection summed per pid (and per op name when given)
const perPid = (rows, keys, opOf = () => '') => {
  const m = new Map();
  for (const r of rows) {
    const k = `${r.pid}/${opOf(r)}`;
    const s = m.get(k) || Object.fromEntries(keys.map((x) => [x, 0]));
    for (const x of keys) s[x] += r[x];
    m.set(k, s);
  }
  return m;
};

for (const P of [4, 8]) {
  test(`scheduling: every thread's selection row and the totals (pointer size ${P})`, async () => {
    const e = expected[P];
    assert.ok(e.scheduling.switches > 500 && e.scheduling.ready_behind_dpc_ns > 0, 'a busy trace');
    const b = await get(`${runs[P]}/scheduling?limit=5000`);
    assert.equal(b.recorded, true);
    assert.deepEqual(pick(b.selection.totals, SCHED), e.scheduling);
    const rows = new Map(b.selection.rows.map((r) => [r.tid, r]));
    assert.equal(rows.size, e.threads.length);
    for (const t of e.threads)
      assert.deepEqual(pick(rows.get(t.tid), ['pid', ...SCHED]), pick(t, ['pid', ...SCHED]), `tid ${t.tid}`);
    // the whole-trace table counts the same spells
    const whole = new Map(b.threads.map((r) => [r.tid, r]));
    for (const t of e.threads)
      assert.deepEqual(pick(whole.get(t.tid), ['running_ns', 'ready_ns', 'waiting_ns', 'switches']),
        pick(t, ['running_ns', 'ready_ns', 'waiting_ns', 'switches']), `tid ${t.tid}`);
  });

  test(`syscalls, disk and file I/O per process and in total (pointer size ${P})`, async () => {
    const e = expected[P];
    const sc = await get(`${runs[P]}/syscalls?limit=5000`);
    assert.deepEqual(pick(sc.selection.totals, ['count', 'total_ns']), pick(e.syscalls, ['count', 'total_ns']));
    const scWhole = perPid(sc.syscalls, ['count', 'total_ns', 'samples']);
    const scSel = perPid(sc.selection.rows, ['count', 'total_ns']);
    const dk = await get(`${runs[P]}/diskio?limit=5000`);
    const dkSel = perPid(dk.selection.rows, ['count', 'bytes', 'total_ns'], (r) => r.op);
    const fi = await get(`${runs[P]}/fileio?limit=5000`);
    const fiSel = perPid(fi.selection.rows, ['count', 'completed', 'bytes', 'total_ns'], (r) => r.type);
    for (const p of e.processes) {
      assert.deepEqual(scSel.get(`${p.pid}/`), pick(p.syscalls, ['count', 'total_ns']), p.name);
      assert.deepEqual(scWhole.get(`${p.pid}/`), p.syscalls, p.name);
      for (const op of DISK_OPS) {
        assert.deepEqual(dkSel.get(`${p.pid}/${op}`), p.diskio[op], `${p.name} disk ${op}`);
        const f = p.fileio[op];
        assert.deepEqual(fiSel.get(`${p.pid}/${OPS[op]}`), { count: f.count, completed: f.count, bytes: f.bytes, total_ns: f.total_ns },
          `${p.name} file ${op}`);
      }
    }
    for (const op of DISK_OPS)
      assert.deepEqual(pick(dk.selection.totals.by_op[op], ['count', 'bytes', 'total_ns']), e.diskio[op]);
    const types = new Map(fi.event_types.map((t) => [t.type, t.count]));
    for (const op of DISK_OPS) assert.equal(types.get(OPS[op]), e.fileio[op].count);
  });

  test(`one process: its selection is its own share (pointer size ${P})`, async () => {
    const p = expected[P].processes[1];
    const sc = await get(`${runs[P]}/syscalls?pid=${p.pid}`);
    assert.deepEqual(pick(sc.selection.totals, ['count', 'total_ns']), pick(p.syscalls, ['count', 'total_ns']));
    const sched = await get(`${runs[P]}/scheduling?pid=${p.pid}`);
    assert.deepEqual(pick(sched.selection.totals, SCHED), p.scheduling);
    const dk = await get(`${runs[P]}/diskio?pid=${p.pid}`);
    for (const op of DISK_OPS)
      assert.deepEqual(pick(dk.selection.totals.by_op[op], ['count', 'bytes', 'total_ns']), p.diskio[op]);
  });
}

for (const P of [4, 8]) {
  test(`two windows split at 1.3 s add up to the whole trace (pointer size ${P})`, async () => {
    const e = expected[P];
    const cut = Math.round(starts[P] + 1300);
    const halves = [`to=${cut}`, `from=${cut}`];
    const sum = (a, b, keys) => Object.fromEntries(keys.map((k) => [k, a[k] + b[k]]));
    const sched = await Promise.all(halves.map((q) => get(`${runs[P]}/scheduling?${q}`)));
    assert.ok(sched.every((b) => b.selection.totals.switches > 0), 'both halves hold switches');
    assert.deepEqual(sum(sched[0].selection.totals, sched[1].selection.totals, SCHED), e.scheduling);
    const sc = await Promise.all(halves.map((q) => get(`${runs[P]}/syscalls?${q}`)));
    assert.deepEqual(sum(sc[0].selection.totals, sc[1].selection.totals, ['count', 'total_ns']),
      pick(e.syscalls, ['count', 'total_ns']));
    const dk = await Promise.all(halves.map((q) => get(`${runs[P]}/diskio?${q}`)));
    for (const op of DISK_OPS)
      assert.deepEqual(sum(dk[0].selection.totals.by_op[op], dk[1].selection.totals.by_op[op], ['count', 'bytes', 'total_ns']),
        e.diskio[op]);
  });
}
