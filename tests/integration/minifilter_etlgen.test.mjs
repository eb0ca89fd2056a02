// minifilter_etlgen.test.mjs — GET /api/runs/{id}/minifilter on etlgen traces (issue 15):
// "one third-party filter delays every file create" — csagent.sys (CrowdStrike, EDR in
// kb/drivers.csv) pre-create callbacks take 2 ms and 12 ms alternately, its post-create
// 0.5 ms, 300 creates of one file by thread 4100 of pid 777, plus 2 pre-create failures and
// 3 truncated events — for both pointer sizes, with every number worked out by hand below;
// the same story written with MajorFunction first must give no table (layout refused), a
// run without minifilter events a 404, and the filter (pid, module, window) must apply.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer, getJson, uploadAndWait } from '../support/server.mjs';
import { generate } from '../support/etlgen.mjs';

const FILE = 'C:\\data\\orders.mdf';
const LDF = 'C:\\data\\orders.ldf';
const scenario = (P, majorFirst) => ({
  cpus: 2, pointer_size: P, duration_s: 0, sample_rate_hz: 0, process_pid: 777,
  processes: [{ pid: 777, name: 'sqlservr.exe' }],
  // the process's file I/O time: 20 FileIo reads of 300 ms each = 6 s
  diskio: { cpu: 1, tid: 4100, file: FILE, file_object: P === 8 ? '0xffffd00012345670' : '0xc1234560',
            file_reads: 20, file_read_size: 4096, file_latency_us: 300000, gap_us: 100 },
  modules: [
    { name: 'ntoskrnl.exe', base: P === 8 ? '0xfffff80000000000' : '0x80000000', size: 16777216 },
    { name: 'csagent.sys', base: P === 8 ? '0xfffff88002000000' : '0x8a000000', size: 262144 },
  ],
  minifilter: { module: 'csagent.sys', creates: 300, failures: 2, truncated: 3, cpu: 1, tid: 4100,
                file: FILE, file_object: P === 8 ? '0xffffd00012345670' : '0xc1234560',
                pre_us: [2000, 12000], post_us: [500], gap_us: 100, major_first: majorFirst },
});
// by hand: pre 150 × 2 ms + 150 × 12 ms = 2.1 s, all over 1 ms, 150 over 10 ms;
// post 300 × 0.5 ms = 0.15 s, none over 1 ms
const PRE = { count: 300, total_ns: 2100000000, avg_ns: 7000000, over_1ms: 300, over_10ms: 150 };
const POST = { count: 300, total_ns: 150000000, avg_ns: 500000, over_1ms: 0, over_10ms: 0 };
const BOTH = { count: 600, total_ns: 2250000000, avg_ns: 3750000, over_1ms: 300, over_10ms: 150 };

let srv;
const ids = {};

before(async () => {
  srv = await startServer();
  const runs = [['c8', scenario(8, false)], ['c4', scenario(4, false)], ['m8', scenario(8, true)],
                ['none', { ...scenario(8, false), minifilter: undefined }]];
  const slow = scenario(8, false); // the pre-create callback twice as slow: 4 ms / 24 ms
  slow.minifilter = { ...slow.minifilter, pre_us: [4000, 24000] };
  runs.push(['slow', slow]);
  // the file object in the IrpPtr slot, a second file on the odd (12 ms) creates
  const irp = scenario(8, false);
  irp.minifilter = { ...irp.minifilter, file_slot: 'IrpPtr', file2: LDF, file_object2: '0xffffd00012349990' };
  runs.push(['irp8', irp]);
  // no FileIo event at all: the FileObject cannot be pinned
  const nofio = { ...scenario(8, false), diskio: undefined };
  nofio.minifilter = { ...nofio.minifilter, no_file_events: true };
  runs.push(['nofio', nofio]);
  for (const [name, scen] of runs) {
    const g = generate(srv.dir, name, scen, false);
    if (scen.minifilter && name !== 'slow' && name !== 'irp8') {
      const e = g.expected.minifilter;
      assert.deepEqual([e.pre.count, e.pre.total_ns, e.pre.over_10ms, e.post.total_ns, e.inits],
                       [300, 2100000000, 150, 150000000, 300]);
    }
    const up = await uploadAndWait(srv.url, readFileSync(g.path), `${name}.etl`, name);
    assert.equal(up.body.state, 'done', JSON.stringify(up.body));
    ids[name] = up.body.run.id;
  }
});
after(async () => { await srv.stop(); });

const sums = (o) => ({ count: o.count, total_ns: o.total_ns, avg_ns: o.avg_ns,
                       over_1ms: o.over_1ms, over_10ms: o.over_10ms });

for (const P of [8, 4]) {
  test(`the Mini-Filter Delays table equals the scenario (pointer size ${P})`, async () => {
    const r = await getJson(`${srv.url}/api/runs/${ids[`c${P}`]}/minifilter`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const b = r.body;
    assert.equal(b.decoded, true);
    assert.equal(b.layout.state, 'decoded');
    assert.equal(b.layout.events, 905);
    assert.equal(b.layout.short_payloads, 3);
    assert.deepEqual([b.layout.checked, b.layout.valid], [256, 256]);
    assert.equal(b.files_identified, true);
    assert.deepEqual([b.layout.file_object.slot, b.layout.file_object.pinned,
                      b.layout.file_object.matches.FileObject, b.layout.file_object.matches.IrpPtr],
                     ['FileObject', true, 256, 0]);
    const rows = b.selection.rows;
    assert.equal(rows.length, 2);
    for (const row of rows) {
      assert.equal(row.module, 'csagent.sys');
      assert.equal(row.vendor, 'CrowdStrike Ltd.');
      assert.equal(row.category, 'edr');
      assert.equal(row.major_function, 'IRP_MJ_CREATE');
    }
    assert.equal(rows[0].operation, 'pre'); // the larger total first
    assert.deepEqual(sums(rows[0]), PRE);
    assert.equal(rows[1].operation, 'post');
    assert.deepEqual(sums(rows[1]), POST);
    const [d] = b.selection.drivers;
    assert.equal(b.selection.drivers.length, 1);
    assert.deepEqual([sums(d.pre), sums(d.post), sums(d.total)], [PRE, POST, BOTH]);
    assert.equal(b.selection.processes.length, 1);
    assert.equal(b.selection.processes[0].pid, 777);
    assert.deepEqual(sums(b.selection.processes[0]), BOTH);
    assert.equal(b.selection.stored, true);
    // whole trace, from the stored rows: the max delays, inits, failures, files, slowest
    const w = b.whole_trace;
    assert.deepEqual(w.rows.map((x) => [x.operation, x.major_function, x.module, x.count, x.total_ns,
                                        x.max_ns, x.over_100ms, x.inits, x.failures]),
                     [['pre', 'IRP_MJ_CREATE', 'csagent.sys', 300, 2100000000, 12000000, 0, 300, 2],
                      ['post', 'IRP_MJ_CREATE', 'csagent.sys', 300, 150000000, 500000, 0, 0, 0]]);
    assert.deepEqual(w.by_file.map((x) => [x.file, x.count, x.total_ns, x.max_ns]),
                     [[FILE, 600, 2250000000, 12000000]]);
    assert.deepEqual(w.by_process.map((x) => [x.pid, x.count, x.total_ns, x.vendor]),
                     [[777, 600, 2250000000, 'CrowdStrike Ltd.']]);
    assert.equal(w.slowest.length, 20);
    for (const s of w.slowest)
      assert.deepEqual([s.delay_ns, s.tid, s.pid, s.file, s.operation, s.major_function, s.module],
                       [12000000, 4100, 777, FILE, 'pre', 'IRP_MJ_CREATE', 'csagent.sys']);
  });
}

// by hand: orders.ldf has the 150 odd creates, 150 × 12 ms pre + 150 × 0.5 ms post = 1.875 s;
// orders.mdf the 150 even ones, 150 × 2 ms + 150 × 0.5 ms = 0.375 s
test('the FileObject in the IrpPtr slot: pinned by the FileIo names, the exact files', async () => {
  const b = (await getJson(`${srv.url}/api/runs/${ids.irp8}/minifilter`)).body;
  assert.equal(b.decoded, true);
  assert.equal(b.files_identified, true);
  assert.deepEqual([b.layout.file_object.slot, b.layout.file_object.matches.IrpPtr,
                    b.layout.file_object.matches.FileObject], ['IrpPtr', 256, 0]);
  assert.deepEqual(b.whole_trace.by_file.map((x) => [x.file, x.count, x.total_ns, x.max_ns]),
                   [[LDF, 300, 1875000000, 12000000], [FILE, 300, 375000000, 2000000]]);
  assert.equal(b.whole_trace.slowest.length, 20);
  for (const s of b.whole_trace.slowest)
    assert.deepEqual([s.delay_ns, s.file], [12000000, LDF]);
});

test('no FileIo events: the delays, but no file anywhere, and the run says why', async () => {
  const b = (await getJson(`${srv.url}/api/runs/${ids.nofio}/minifilter`)).body;
  assert.equal(b.decoded, true);
  assert.equal(b.files_identified, false);
  assert.deepEqual([b.layout.file_object.slot, b.layout.file_object.pinned,
                    b.layout.file_object.file_objects_seen], [null, false, 0]);
  assert.deepEqual(b.whole_trace.by_file.map((x) => [x.file, x.count, x.total_ns]),
                   [[null, 600, 2250000000]]);
  assert.equal(b.whole_trace.slowest.length, 20);
  assert.deepEqual([...new Set(b.whole_trace.slowest.map((s) => s.file))], [null]);
  const run = await getJson(`${srv.url}/api/runs/${ids.nofio}`);
  assert.match(JSON.stringify(run.body), /minifilter_file_unpinned/);
});

test('the filter applies: another pid, another module, the module itself', async () => {
  const base = `${srv.url}/api/runs/${ids.c8}/minifilter`;
  const all = (await getJson(base)).body;
  const mod = all.selection.rows[0].module_id;
  const other = (await getJson(`${base}?pid=778`)).body;
  assert.deepEqual(other.selection.rows, []);
  const same = (await getJson(`${base}?pid=777&module=${mod}`)).body;
  assert.deepEqual(sums(same.selection.drivers[0].total), BOTH);
  const none = (await getJson(`${base}?module=${mod + 1}`)).body;
  assert.deepEqual(none.selection.rows, []);
  assert.equal(all.applies.module, true);
  const bad = await getJson(`${base}?module=x`);
  assert.equal(bad.status, 400);
});

test('MajorFunction first: the layout is refused, no table, the run warns', async () => {
  const r = await getJson(`${srv.url}/api/runs/${ids.m8}/minifilter`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.decoded, false);
  assert.equal(r.body.layout.state, 'layout_rejected');
  assert.deepEqual([r.body.layout.checked, r.body.layout.valid], [256, 0]);
  assert.equal(r.body.selection, undefined);
  const run = await getJson(`${srv.url}/api/runs/${ids.m8}`);
  assert.match(JSON.stringify(run.body), /minifilter_layout_rejected/);
});

test('the finding: the driver, the delay per create, the callbacks over 10 ms, the share', async () => {
  const r = await getJson(`${srv.url}/api/runs/${ids.c8}/findings`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const f = r.body.findings.filter((x) => x.id === 'minifilter-delay');
  assert.equal(f.length, 1, JSON.stringify(r.body.findings.map((x) => x.id)));
  // 2.25 s over 300 creates = 7.5 ms each; 150 of 600 callbacks over 10 ms; 2.25 s of 6 s
  assert.match(f[0].sentence, /^csagent\.sys \(CrowdStrike Ltd\.[^)]*\) added 7\.5 ms to each file create \(150 of 600 callbacks over 10 ms\), 37\.5 % of sqlservr\.exe \(pid 777\)'s file I\/O time\.$/);
  assert.equal(f[0].severity, 'warning');
  assert.equal(f[0].numbers.operations, 300);
  assert.equal(f[0].numbers.total_ms, 2250);
  assert.equal(f[0].numbers.top_pid_file_io_ms, 6000);
  const none = await getJson(`${srv.url}/api/runs/${ids.m8}/findings`);
  assert.equal(none.body.findings.filter((x) => x.id === 'minifilter-delay').length, 0);
});

test('compare: delay per callback before/after, runs without a decoded layout null', async () => {
  const r = await getJson(`${srv.url}/api/compare?runs=${ids.c8},${ids.slow},${ids.m8},${ids.none}`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const rows = new Map(r.body.minifilter.map((x) => [`${x.driver} ${x.function}`, x]));
  assert.deepEqual([...rows.keys()].sort(), ['csagent.sys IRP_MJ_CREATE post', 'csagent.sys IRP_MJ_CREATE pre']);
  const pre = rows.get('csagent.sys IRP_MJ_CREATE pre');
  // 7 ms per pre-create callback before, (150 × 4 + 150 × 24) / 300 = 14 ms after
  assert.deepEqual(pre.runs.map((x) => x && [x.count, x.avg_ns, x.max_ns]),
                   [[300, 7000000, 12000000], [300, 14000000, 24000000], null, null]);
  assert.equal(pre.delta[0].judgement, 'worse');
  assert.equal(pre.delta[0].avg_ns.abs, 7000000);
  assert.deepEqual(pre.delta.slice(1), [null, null]);
  assert.equal(rows.get('csagent.sys IRP_MJ_CREATE post').delta[0].judgement, 'same');
});

test('a run without minifilter events: 404 with the recording hint', async () => {
  const r = await getJson(`${srv.url}/api/runs/${ids.none}/minifilter`);
  assert.equal(r.status, 404);
  assert.match(r.body.error, /FLT_IO/);
});
