// text_exports.test.mjs — xperf -a dpcisr reports and WPA CSV exports through the whole
// pipeline over HTTP: the real xperf sample becomes a run whose histograms read back per
// module on the report's own edges; the same DPC/ISR records exported in en-US and de-DE
// number formats give identical runs; WPA exports of other tables are refused clearly.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, getJson, uploadAndWait, shared, run, tempDir } from '../support/server.mjs';

let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv.stop(); });

test('the xperf dpcisr sample reads back as per-module histograms on its own edges', async () => {
  const file = join(shared, 'samples', 'xperf', 'djdallmann_KeyboardDPCandInterruptLatency-PS2vsUSB.txt');
  const up = await uploadAndWait(srv.url, readFileSync(file), 'keyboard.txt');
  assert.equal(up.body.state, 'done', JSON.stringify(up.body));
  const run = (await getJson(`${srv.url}/api/runs/${up.body.run.id}`)).body;
  assert.equal(run.format, 'xperf-dpcisr');
  assert.equal(run.summary.histogram_blocks, 5);
  assert.deepEqual(run.summary.sections, ['dpc', 'isr']);
  assert.equal(run.summary.counted.dpc, 921 + 920 + 938 + 937);
  assert.equal(run.summary.counted.isr, 937);
  const h = await getJson(`${srv.url}/api/runs/${up.body.run.id}/report-histograms`);
  assert.equal(h.status, 200);
  assert.equal(h.body.edges, 'report');
  const got = h.body.blocks.map((b) => [b.kind, b.module, b.total]);
  assert.deepEqual(got, [['dpc', 'kbdhid.sys', 921], ['dpc', 'kbdhid.sys', 920],
    ['dpc', 'i8042prt.sys', 938], ['dpc', 'i8042prt.sys', 937], ['isr', 'i8042prt.sys', 937]]);
  const isr = h.body.blocks[4];
  assert.deepEqual(isr.buckets.at(-1), { lo_us: 16, hi_us: 32, count: 929 });
  assert.equal(isr.guideline_us, 25);
  // (16, 32] straddles the 25 µs ISR guideline: between 0 and 929 ISRs were above it
  assert.deepEqual(isr.above_guideline, { at_least: 0, at_most: 929 });
  assert.deepEqual(h.body.usage, []);
});

// The same records in WPA's en-US and de-DE number formats.
const recs = Array.from({ length: 200 }, (_, i) => ({
  isr: i % 3 === 0,
  module: ['ndis.sys', 'storport.sys', 'Unknown'][i % 3 === 0 ? 0 : (i % 2) + 1],
  cpu: i % 8,
  t: 1000000000n * BigInt(i) + 123456789n, // ns
  incl: 1000 + i * 997, // ns
  frag: i % 5 === 1,
}));

function fixed(v, digits, de) { // v: BigInt scaled by 10^digits
  const p = 10n ** BigInt(digits);
  const ip = (v / p).toString().replace(/\B(?=(\d{3})+(?!\d))/g, de ? '.' : ',');
  const s = digits ? `${ip}${de ? ',' : '.'}${(v % p).toString().padStart(digits, '0')}` : ip;
  return s.includes(',') ? `"${s}"` : s;
}

function wpaCsv(de) {
  const lines = ['Type,DPC Type,Module,Function,CPU,Count (DPCs/ISRs),Fragment,DPC/ISR Enter Time (s),Duration (Fragmented) (ms),Exclusive Duration (ms),Inclusive Duration (ms)'];
  for (const r of recs) {
    const t = fixed(r.t, 9, de), d = fixed(BigInt(r.incl), 6, de);
    const row = (count) => `${r.isr ? 'Interrupt' : 'DPC'},${r.isr ? '' : 'Regular'},${r.module},f,${r.cpu},${count},${r.frag ? 'True' : 'False'},${t},${d},${d},${d}`;
    if (r.frag) lines.push(row(0));
    lines.push(row(1));
  }
  return (de ? '\ufeff' : '') + lines.join('\r\n') + '\r\n';
}

test('a WPA DPC/ISR export gives the same run in en-US and de-DE number formats', async () => {
  const runs = [];
  for (const de of [false, true]) {
    const up = await uploadAndWait(srv.url, Buffer.from(wpaCsv(de), 'utf8'), de ? 'dpc_de.csv' : 'dpc_en.csv');
    assert.equal(up.body.state, 'done', JSON.stringify(up.body));
    const run = (await getJson(`${srv.url}/api/runs/${up.body.run.id}`)).body;
    assert.equal(run.format, 'wpa-csv');
    assert.equal(run.summary.locale, de ? 'de-DE' : 'en-US');
    runs.push(run);
  }
  const [en, de] = runs.map((r) => r.summary);
  assert.equal(en.dpcisr, recs.length);
  assert.equal(en.isr, recs.filter((r) => r.isr).length);
  assert.equal(en.fragment_rows, recs.filter((r) => r.frag).length);
  assert.equal(en.duration_column, 'Inclusive Duration');
  assert.equal(en.t_last_ns, Number(recs.at(-1).t));
  for (const k of ['dpcisr', 'dpc', 'isr', 'fragment_rows', 'modules', 'ncpus', 't_first_ns', 't_last_ns']) {
    assert.equal(de[k], en[k], k);
  }
  // not a report run: no pre-bucketed histograms
  const h = await getJson(`${srv.url}/api/runs/${runs[0].id}/report-histograms`);
  assert.equal(h.status, 404);
});

test('WPA exports of other tables and clipboard copies are refused with a clear message', async () => {
  const disk = join(shared, 'samples', 'wpa', 'etwanalyzer_Disk_Usage_Utilization_by_Disk.csv');
  const up = await uploadAndWait(srv.url, readFileSync(disk), 'disk.csv');
  assert.equal(up.body.state, 'failed');
  assert.match(up.body.error, /not a DPC\/ISR table/);
  const clip = 'Line #, DPC/ISR, Module, Stack, Count, Process, Weight (in view) (ms), TimeStamp (s), % Weight\n'
    + '6, , ,   |    |- ACPI.sys!ACPIWorkerThread, 40246, , 39.992,941063, , 4,13\n';
  const c = await uploadAndWait(srv.url, Buffer.from(clip), 'clip.txt');
  assert.equal(c.body.state, 'failed');
  assert.match(c.body.error, /Ctrl\+C/);
});

test('etlscope ingest --json reports the format and what each text export held', () => {
  const dir = tempDir();
  try {
    const csv = join(dir, 'dpc_de.csv');
    writeFileSync(csv, wpaCsv(true));
    const xperf = join(shared, 'samples', 'xperf', 'djdallmann_KeyboardDPCandInterruptLatency-PS2vsUSB.txt');
    const r = run(['ingest', '--db', join(dir, 'e.db'), '--data-dir', join(dir, 'data'), '--json', xperf, csv]);
    assert.equal(r.status, 0, r.stderr);
    const [x, w] = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(x.format, 'xperf-dpcisr');
    assert.equal(x.summary.histogram_blocks, 5);
    assert.equal(x.summary.blocks[0].module, 'kbdhid.sys');
    assert.deepEqual(x.summary.blocks[0].max_bucket_us, [32, 64]);
    assert.equal(w.format, 'wpa-csv');
    assert.equal(w.summary.locale, 'de-DE');
    assert.equal(w.summary.dpcisr, recs.length);
    const bad = run(['ingest', '--db', join(dir, 'e.db'), '--data-dir', join(dir, 'data'), join(shared, 'samples', 'wpa', 'etwanalyzer_Disk_Usage_Utilization_by_Disk_DE.csv')]);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /not a DPC\/ISR table/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('etlscope --help names every format ingest detects, and no "later releases"', () => {
  const r = run(['--help']);
  assert.equal(r.status, 0, r.stderr);
  for (const f of [/\.etl/, /\.blg/, /PDH-CSV\/TSV/, /xperf -a dpcisr/, /WPA CSV/]) assert.match(r.stdout, f);
  assert.doesNotMatch(r.stdout, /later releases/);
});
