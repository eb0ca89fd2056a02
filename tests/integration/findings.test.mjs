// findings.test.mjs — driver attribution and findings over HTTP: the field story's verdict
// and numbers (etlgen expectations), windows and CPU filters, errors, stored findings, the
// KB version in /api/health, and the real PerfView sample's kernel drivers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { uploadAndWait, getJson, shared } from '../support/server.mjs';
import { startStoryServer } from '../support/story.mjs';
import { perCpuCsv } from '../support/perfmon.mjs';

let srv, field, runId;
before(async () => {
  let runs;
  ({ srv, runs } = await startStoryServer());
  field = runs['field-before'];
  runId = field.id;
});
after(async () => { await srv.stop(); });

const expectedModule = (name) => field.expected.modules.find((m) => m.name === name);

test('health names the driver knowledge base version', async () => {
  const r = await getJson(`${srv.url}/api/health`);
  assert.match(r.body.kb_version, /^\d+ drivers, [0-9a-f]{12}$/);
});

test('findings: the field story, verdict first, ranked, with numbers and links', async () => {
  const r = await getJson(`${srv.url}/api/runs/${runId}/findings`);
  assert.equal(r.status, 200);
  const d = r.body;
  assert.equal(d.verdict.severity, 'critical');
  // The verdict names the IDS filter doing the work inside ndis.sys's DPCs first; the
  // teaming driver only shares the CPUs.
  assert.match(d.verdict.sentence, /^Problem found: .*CPUs 0, 2, 4 and 6.*mostly in idsvia64\.sys .*running inside ndis\.sys .*; iansw60e\.sys \(Intel, NIC teaming\) only shares those CPUs/);
  assert.doesNotMatch(d.verdict.sentence, /likelier/);
  assert.deepEqual(d.findings.map((f) => f.rank), d.findings.map((_, i) => i + 1));
  const byId = Object.fromEntries(d.findings.map((f) => [f.id, f]));
  assert.deepEqual(Object.keys(byId).sort(), ['cpu-dpcisr-saturated', 'dpc-average', 'dpc-p99', 'process-cpu-sustained', 'security-driver-cpu']);
  const ndis = expectedModule('ndis.sys');
  const avg = byId['dpc-average'];
  assert.equal(avg.numbers.module, 'ndis.sys');
  assert.equal(avg.numbers.count, ndis.dpc.count);
  assert.equal(avg.numbers.avg_us, Math.round((ndis.dpc.total_ns / ndis.dpc.count / 1000) * 10) / 10);
  assert.deepEqual(avg.numbers.cpus, [0, 2, 4, 6]);
  assert.deepEqual(avg.link, { panel: 'dpcisr', params: { module: String(avg.numbers.module_id) } });
  assert.equal(avg.numbers.inside.samples, ndis.inside.samples);
  assert.equal(avg.numbers.inside.leaf_module, 'idsvia64.sys');
  assert.equal(avg.numbers.inside.leaf_samples, ndis.inside.leaf['idsvia64.sys']);
  assert.equal(avg.numbers.inside.third_party_leaf, true);
  assert.deepEqual(byId['cpu-dpcisr-saturated'].numbers.cpus, [0, 2, 4, 6]);
  assert.equal(byId['cpu-dpcisr-saturated'].link.params.cpus, '0,2,4,6');
  const edr = expectedModule('tedrdrv.sys');
  const sec = d.findings.find((f) => f.id === 'security-driver-cpu' && f.numbers.module === 'tedrdrv.sys');
  assert.equal(sec.numbers.inclusive_samples, edr.samples_on_stack);
  assert.equal(sec.numbers.exclusive_samples, edr.samples_ip);
  // busy samples: all but the idle loop's — the Idle thread's outside ndis.sys's DPCs,
  // whose samples all interrupted it (interrupted_process 0 in the scenario)
  const idle = field.expected.process_samples.find((p) => p.pid === 0).samples - ndis.inside.samples;
  assert.equal(sec.numbers.non_idle_samples, field.expected.samples - idle);
  assert.equal(sec.numbers.inclusive_share, edr.samples_on_stack / (field.expected.samples - idle));
  assert.deepEqual(sec.link, { panel: 'drivers', params: { dq: 'tedrdrv.sys' } });
  // Stored at ingest: a second request (a share link) gives the identical document.
  const again = await getJson(`${srv.url}/api/runs/${runId}/findings`);
  assert.deepEqual(again.body, d);
});

test('drivers: vendors, categories, DPC/ISR and sampled CPU per module, roll-ups', async () => {
  const r = await getJson(`${srv.url}/api/runs/${runId}/drivers`);
  assert.equal(r.status, 200);
  const rows = Object.fromEntries(r.body.drivers.map((x) => [x.name, x]));
  const edr = rows['tedrdrv.sys'];
  assert.equal(edr.vendor, 'Palo Alto Networks');
  assert.equal(edr.category, 'edr');
  assert.equal(edr.microsoft, false);
  assert.equal(edr.cpu.inclusive, expectedModule('tedrdrv.sys').samples_on_stack);
  assert.equal(edr.cpu.exclusive, expectedModule('tedrdrv.sys').samples_ip);
  assert.equal(rows['iansw60e.sys'].category, 'nic-teaming');
  assert.equal(rows['iansw60e.sys'].vendor, 'Intel');
  const ndis = rows['ndis.sys'];
  assert.equal(ndis.dpc.count, expectedModule('ndis.sys').dpc.count);
  assert.equal(ndis.dpc.total_ms, expectedModule('ndis.sys').dpc.total_ns / 1e6);
  assert.deepEqual(ndis.dpc.cpus, [0, 2, 4, 6]);
  assert.equal(ndis.isr.count, expectedModule('ndis.sys').isr_msi.count);
  assert.equal(rows['app.exe'].category, 'user-mode');
  assert.equal(r.body.totals.samples, field.expected.samples);
  assert.equal(r.body.outside_modules, null);
  const ms = r.body.vendors.find((v) => v.vendor === 'Microsoft');
  const msDpc = r.body.drivers.filter((x) => x.microsoft).reduce((a, x) => a + x.dpc.total_ms, 0);
  assert.ok(Math.abs(ms.dpc_ms - msDpc) < 1e-6);
  assert.ok(r.body.categories.some((c) => c.category === 'edr' && c.inclusive_max_share === edr.cpu.inclusive_share));
});

test('drivers: CPU and time windows, and errors', async () => {
  const odd = await getJson(`${srv.url}/api/runs/${runId}/drivers?cpus=1,3,5,7-9`);
  assert.equal(odd.status, 200);
  assert.deepEqual(odd.body.window.cpus, [1, 3, 5, 7, 8, 9]);
  assert.equal(odd.body.drivers.find((x) => x.name === 'ndis.sys').dpc.count, 0);
  const run = (await getJson(`${srv.url}/api/runs/${runId}`)).body;
  const half = await getJson(`${srv.url}/api/runs/${runId}/drivers?from=${run.start}&to=${run.start + 5000}`);
  assert.equal(half.status, 200);
  assert.equal(half.body.window.duration_ms, 5000);
  const n = half.body.drivers.find((x) => x.name === 'ndis.sys').dpc.count;
  assert.ok(n > 0 && n < expectedModule('ndis.sys').dpc.count, String(n));
  assert.equal((await getJson(`${srv.url}/api/runs/${runId}/drivers?cpus=x`)).status, 400);
  assert.equal((await getJson(`${srv.url}/api/runs/${runId}/drivers?cpus=5000`)).status, 400);
  assert.equal((await getJson(`${srv.url}/api/runs/${'0'.repeat(32)}/drivers`)).status, 404);
  assert.equal((await getJson(`${srv.url}/api/runs/${'0'.repeat(32)}/findings`)).status, 404);
  const csv = await uploadAndWait(srv.url, Buffer.from(perCpuCsv({ cpus: 2, seconds: 30 })), 'p.csv');
  const pd = await getJson(`${srv.url}/api/runs/${csv.body.run.id}/drivers`);
  assert.equal(pd.status, 404);
  assert.match(pd.body.error, /no ETW data/);
  const pf = await getJson(`${srv.url}/api/runs/${csv.body.run.id}/findings`);
  assert.equal(pf.status, 200);
  // Only % Processor Time was logged: DPC and interrupt time are not recorded, not "ok".
  assert.equal(pf.body.verdict.severity, 'warning');
  assert.match(pf.body.verdict.sentence, /^Cannot judge driver load: This log did not record % DPC Time, % Interrupt Time/);
  assert.ok(pf.body.findings.some((f) => f.id === 'perfmon-not-recorded'));
});

const perfview = join(shared, 'samples', 'etl', 'perfview-net452-x64-compressed.etl');
test('the PerfView sample: 132 kernel drivers, Microsoft ones resolved, the third party named', { skip: !existsSync(perfview) }, async () => {
  const up = await uploadAndWait(srv.url, readFileSync(perfview), 'perfview.etl');
  assert.equal(up.body.state, 'done');
  // MANIFEST: computer "BRIANROB-W8" — the run's machine, in the run and in the list
  assert.deepEqual((await getJson(`${srv.url}/api/runs/${up.body.run.id}`)).body.machines, ['BRIANROB-W8']);
  const listed = (await getJson(`${srv.url}/api/runs`)).body.runs.find((x) => x.id === up.body.run.id);
  assert.deepEqual(listed.machines, ['BRIANROB-W8']);
  const r = await getJson(`${srv.url}/api/runs/${up.body.run.id}/drivers`);
  const sys = new Map();
  for (const x of r.body.drivers) if (/\.sys$/i.test(x.name)) sys.set(x.name.toLowerCase(), x);
  assert.equal(sys.size, 132); // MANIFEST's 264 counts .sys Image events, DCStart + DCEnd (test_etl_samples)
  const third = [...sys.values()].filter((x) => !x.microsoft);
  assert.deepEqual(third.map((x) => [x.name, x.vendor]), [['secdrv.SYS', 'Macrovision']]);
  assert.ok([...sys.values()].every((x) => x.category !== 'unknown-third-party'));
  const f = await getJson(`${srv.url}/api/runs/${up.body.run.id}/findings`);
  // MANIFEST: no DPC/INTERRUPT group → the trace cannot judge latency.
  assert.ok(f.body.findings.some((x) => x.id === 'dpcisr-not-traced'));
  assert.equal(f.body.verdict.severity, 'warning');
});
