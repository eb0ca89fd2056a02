// io.test.mjs — disk and file I/O of ETW runs (issue 15) against an independent decoder:
// on the real PerfView sample, DiskIo/FileIo event counts per type, disk I/O completions
// per op and per process (issuing thread → process) and the time in flight per disk from
// tests/support/etlscan.mjs's ioScan must equal GET /api/runs/{id}/diskio and /fileio; MANIFEST.md's totals (DiskIo
// 2 462, FileIo 3 084) hold; a trace without I/O events answers 404.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, uploadAndWait, getJson, shared } from '../support/server.mjs';
import { ioScan } from '../support/etlscan.mjs';

const perfview = join(shared, 'samples', 'etl', 'perfview-net452-x64-compressed.etl');
const shutdown = join(shared, 'samples', 'etl', 'airbus-ShutdownPerfDiagLogger.etl');
let srv, disk, fileio, oracle;

before(async () => {
  srv = await startServer();
  const up = await uploadAndWait(srv.url, readFileSync(perfview), 'perfview.etl');
  assert.equal(up.body.state, 'done', JSON.stringify(up.body));
  const id = up.body.run.id;
  disk = await getJson(`${srv.url}/api/runs/${id}/diskio`);
  fileio = await getJson(`${srv.url}/api/runs/${id}/fileio`);
  oracle = ioScan(perfview);
});
after(async () => { await srv.stop(); });

const typeMap = (rows) => new Map(rows.map((r) => [r.type, r.count]));
const oracleTypes = (g) => new Map([...oracle.types].filter(([k]) => k.startsWith(`${g}/`))
  .map(([k, n]) => [Number(k.split('/')[1]), n]));

test('DiskIo and FileIo counts per type equal the independent decoder and MANIFEST.md', () => {
  assert.equal(disk.status, 200);
  assert.equal(fileio.status, 200);
  assert.deepEqual(typeMap(disk.body.event_types), oracleTypes(1));
  assert.deepEqual(typeMap(fileio.body.event_types), oracleTypes(4));
  const sum = (rows) => rows.reduce((a, r) => a + r.count, 0);
  assert.equal(sum(disk.body.event_types), 2462);
  assert.equal(sum(fileio.body.event_types), 3084);
  assert.ok(disk.body.event_types.every((r) => r.undecoded === 0));
  assert.deepEqual(fileio.body.event_types.map((r) => r.name), ['FileCreate', 'FileDelete', 'FileRundown']);
});

test('disk I/O completions per op and per process equal the independent decoder', () => {
  const b = disk.body;
  const perOp = new Map();
  for (const r of b.rows) {
    const k = { read: 10, write: 11, flush: 14 }[r.op];
    const e = perOp.get(k) || { count: 0, bytes: 0 };
    e.count += r.count;
    e.bytes += r.bytes;
    perOp.set(k, e);
  }
  assert.ok(b.rows.length < 200, 'every row is listed (the API lists up to 200)');
  assert.deepEqual(perOp, oracle.byOp);
  const perPid = new Map(b.by_process.map((r) => [r.pid, { count: r.count, bytes: r.bytes }]));
  assert.deepEqual(perPid, oracle.byProcess);
  assert.equal(b.totals.count, 1208 + 21 + 2);
});

test('histograms, slowest I/Os and files are consistent with the rows', () => {
  const b = disk.body;
  for (const [op, n] of [['read', 1208], ['write', 21], ['flush', 2]])
    assert.equal(b.histogram[op].reduce((a, x) => a + x, 0), n, op);
  assert.equal(b.bucket_edges_us[0], 1);
  assert.ok(b.slowest.length === 20);
  for (let i = 1; i < b.slowest.length; i++) assert.ok(b.slowest[i - 1].duration_ns >= b.slowest[i].duration_ns);
  assert.equal(b.slowest[0].duration_ns, Math.max(...b.rows.map((r) => r.max_ns)));
  assert.equal(b.totals.max_ns, b.slowest[0].duration_ns);
  // Files come from the FileIo name events; a few I/Os (e.g. of the MFT) are not named.
  const named = b.by_file.filter((f) => f.file !== null);
  assert.ok(named.length > 10);
  assert.ok(named.every((f) => f.file.startsWith('\\Device\\')));
});

test('queue depth over time: the time in flight per disk equals the independent decoder', () => {
  const q = disk.body.queue_depth;
  const busy = oracle.busyByDisk(10e6); // MANIFEST.md: QPC 10 MHz
  assert.deepEqual(q.map((d) => d.disk), [...busy.keys()].sort((a, b) => a - b));
  for (const d of q) {
    assert.equal(d.busy_ns.length, 100);
    assert.equal(d.avg_in_flight.length, 100);
    const sum = d.busy_ns.reduce((a, x) => a + x, 0);
    // each slice is stored rounded to 1 ns; each I/O's latency is truncated to 1 ns
    assert.ok(Math.abs(sum - busy.get(d.disk)) <= 100 + disk.body.totals.count, `${sum} vs ${busy.get(d.disk)}`);
    assert.ok(d.avg_in_flight.some((x) => x > 1), 'the sample has moments with more than one I/O in flight');
  }
});

test('a trace without disk or file I/O events answers 404 with the recording hint', async () => {
  const up = await uploadAndWait(srv.url, readFileSync(shutdown), 'shutdown.etl');
  const r = await getJson(`${srv.url}/api/runs/${up.body.run.id}/diskio`);
  assert.equal(r.status, 404);
  assert.match(r.body.error, /no disk I\/O events.*\/record/);
  const f = await getJson(`${srv.url}/api/runs/${up.body.run.id}/fileio`);
  assert.equal(f.status, 404);
});
