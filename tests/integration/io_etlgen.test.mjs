// io_etlgen.test.mjs — GET /api/runs/{id}/diskio on etlgen traces (issue 15): a database
// file read 30 × 8 KiB at 250 µs and written 12 × 64 KiB at 1.5 ms on disk 2 by one thread
// of sqlservr (pid 777), for both pointer sizes; every table must carry the numbers worked
// out by hand below (and the writer's own expected aggregates must agree with them). Compare:
// the same story with writes at 15 ms is "worse" for pid 777, a run without DiskIo is null.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer, getJson, uploadAndWait } from '../support/server.mjs';
import { generate } from '../support/etlgen.mjs';

const FILE = 'C:\\data\\orders.mdf';
const scenario = (P) => ({
  cpus: 2, pointer_size: P, duration_s: 0, sample_rate_hz: 0, process_pid: 777,
  modules: [{ name: 'ntoskrnl.exe', base: P === 8 ? '0xfffff80000000000' : '0x80000000', size: 65536 }],
  diskio: { reads: 30, writes: 12, cpu: 1, tid: 4100, disk: 2, file: FILE,
            file_object: P === 8 ? '0xffffa0008a001000' : '0x8a001000',
            read_size: 8192, write_size: 65536, read_latency_us: 250, write_latency_us: 1500, gap_us: 100 },
});
// by hand: 30 × 8192 B, 30 × 250 µs; 12 × 65536 B, 12 × 1.5 ms
const READ = { count: 30, bytes: 245760, total_ns: 7500000, max_ns: 250000 };
const WRITE = { count: 12, bytes: 786432, total_ns: 18000000, max_ns: 1500000 };
const ALL = { count: 42, bytes: 1032192, total_ns: 25500000, max_ns: 1500000 };

let srv;
const bodies = {};
const ids = {};

before(async () => {
  srv = await startServer();
  for (const P of [4, 8]) {
    const g = generate(srv.dir, `disk${P}`, scenario(P), false);
    assert.deepEqual(g.expected.diskio, { read: READ, write: WRITE });
    const up = await uploadAndWait(srv.url, readFileSync(g.path), `disk${P}.etl`, `disk${P}`);
    assert.equal(up.body.state, 'done', JSON.stringify(up.body));
    const r = await getJson(`${srv.url}/api/runs/${up.body.run.id}/diskio`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    bodies[P] = r.body;
    ids[P] = up.body.run.id;
  }
  const slow = scenario(8);
  slow.diskio = { ...slow.diskio, write_latency_us: 15000 };
  const none = { ...scenario(8), diskio: undefined };
  for (const [name, scen] of [['slow', slow], ['none', none]]) {
    const g = generate(srv.dir, name, scen, false);
    const up = await uploadAndWait(srv.url, readFileSync(g.path), `${name}.etl`, name);
    assert.equal(up.body.state, 'done', JSON.stringify(up.body));
    ids[name] = up.body.run.id;
  }
});
after(async () => { await srv.stop(); });

const sums = (o) => ({ count: o.count, bytes: o.bytes, total_ns: o.total_ns, max_ns: o.max_ns });

for (const P of [4, 8]) {
  test(`diskio tables equal the scenario (pointer size ${P})`, () => {
    const b = bodies[P];
    const types = new Map(b.event_types.map((t) => [t.type, t]));
    assert.equal(types.get(10).count, 30);
    assert.equal(types.get(11).count, 12);
    assert.ok(b.event_types.every((t) => t.undecoded === 0));
    assert.deepEqual(sums(b.totals), ALL);
    assert.equal(b.totals.avg_ns, Math.floor(ALL.total_ns / ALL.count)); // 607 142 ns
    assert.deepEqual(b.by_disk.map((d) => [d.disk, sums(d)]), [[2, ALL]]);
    assert.deepEqual(b.by_process.map((d) => [d.pid, sums(d)]), [[777, ALL]]);
    assert.deepEqual(b.by_file.map((d) => [d.file, sums(d)]), [[FILE, ALL]]);
    // most time first: the writes' 18 ms before the reads' 7.5 ms
    assert.deepEqual(b.rows.map((r) => [r.disk, r.op, r.pid, r.file, sums(r)]),
      [[2, 'write', 777, FILE, WRITE], [2, 'read', 777, FILE, READ]]);
    // 250 µs in [128, 256) µs and 1500 µs in [1024, 2048) µs on the log edges
    const bucket = (us) => b.bucket_edges_us.findIndex((e) => us < e);
    assert.equal(b.histogram.read[bucket(250)], 30);
    assert.equal(b.histogram.read.reduce((a, n) => a + n, 0), 30);
    assert.equal(b.histogram.write[bucket(1500)], 12);
    assert.equal(b.histogram.write.reduce((a, n) => a + n, 0), 12);
    assert.equal(b.slowest.length, 20);
    const s = b.slowest[0];
    assert.deepEqual([s.duration_ns, s.disk, s.op, s.pid, s.tid, s.size, s.file],
      [1500000, 2, 'write', 777, 4100, 65536, FILE]);
    assert.equal(b.slowest.filter((x) => x.op === 'write').length, 12);
    // the disk is busy 25.5 ms in all, one I/O at a time
    const q = b.queue_depth.find((d) => d.disk === 2);
    assert.equal(q.busy_ns.reduce((a, n) => a + n, 0), ALL.total_ns);
  });
}

test('compare: disk I/O per process before/after, judged on latency per I/O; not recorded is null', async () => {
  const r = await getJson(`${srv.url}/api/compare?runs=${ids[8]},${ids.slow},${ids.none}`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.diskio.length, 1);
  const row = r.body.diskio[0];
  assert.equal(row.process, 'pid 777');
  // after: 30 × 250 µs + 12 × 15 ms = 187.5 ms over 42 I/Os
  const after = { count: 42, bytes: 1032192, total_ns: 187500000, max_ns: 15000000 };
  for (const [k, want] of [[0, ALL], [1, after]]) {
    assert.deepEqual(sums(row.runs[k]), want);
    assert.ok(Math.abs(row.runs[k].avg_ns - want.total_ns / 42) < 1e-6, 'avg (cJSON prints 15 digits)');
  }
  assert.equal(row.runs[2], null);
  assert.equal(row.delta[0].judgement, 'worse');
  assert.ok(Math.abs(row.delta[0].avg_ns.rel - (187500000 / 25500000 - 1)) < 1e-9);
  assert.equal(row.delta[1], null);
  // the same run against itself is "same"
  const same = await getJson(`${srv.url}/api/compare?runs=${ids[8]},${ids[4]}`);
  assert.equal(same.body.diskio[0].delta[0].judgement, 'same');
});
