// dpcisr_inside.test.mjs — GET /api/runs/{id}/dpcisr/inside over HTTP on the demo field
// story: the CPU samples inside ndis.sys's DPCs by leaf module, stack module and caller
// chain equal the trace writer's expectations; kind and module filter the rows; the CPU
// and window filters are declared as not applying; bad filters are 400; the run after the
// IDS filter was removed shows ndis.sys itself inside its DPCs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { getJson } from '../support/server.mjs';
import { startStoryServer } from '../support/story.mjs';

let srv;
const runs = {};
before(async () => {
  let story;
  ({ srv, runs: story } = await startStoryServer());
  Object.assign(runs, story);
});
after(async () => { await srv.stop(); });

const inside = (s, q = '') => getJson(`${srv.url}/api/runs/${runs[s].id}/dpcisr/inside${q}`);
const ndisExpected = (s) => runs[s].expected.modules.find((m) => m.name === 'ndis.sys').inside;

test('inside: ndis.sys DPCs hold the IDS filter, exactly as written', async () => {
  const r = await inside('field-before');
  assert.equal(r.status, 200);
  const want = ndisExpected('field-before');
  assert.ok(want.samples > 10000);
  assert.deepEqual(r.body.applies, { kind: true, module: true, cpus: false, window: false });
  assert.equal(r.body.recorded, true);
  // Only ndis.sys has samples inside its DPCs in this story (hal.dll's ISRs have none).
  assert.equal(r.body.groups.length, 1);
  const g = r.body.groups[0];
  assert.equal(g.module, 'ndis.sys');
  assert.equal(g.kind, 'normal_dpc');
  assert.equal(g.microsoft, true);
  assert.equal(g.samples, want.samples);
  assert.equal(g.flagged, want.flagged);
  assert.equal(g.with_stack, want.with_stack);
  assert.equal(r.body.totals.samples_inside, want.samples);
  assert.equal(r.body.totals.samples_flag_only, 0);
  const leaf = Object.fromEntries(g.leaf.map((x) => [x.module, x]));
  assert.deepEqual(Object.keys(leaf).sort(), Object.keys(want.leaf).sort());
  for (const [name, n] of Object.entries(want.leaf)) assert.equal(leaf[name].samples, n);
  assert.equal(g.leaf[0].module, 'idsvia64.sys'); // most samples first
  assert.equal(g.leaf[0].vendor, 'Symantec / NortonLifeLock (Broadcom)');
  assert.equal(g.leaf[0].category, 'antivirus');
  assert.equal(g.leaf[0].microsoft, false);
  assert.equal(g.leaf[0].share, want.leaf['idsvia64.sys'] / want.samples);
  const stack = Object.fromEntries(g.on_stack.map((x) => [x.module, x.samples]));
  assert.deepEqual(stack, want.on_stack);
  // Chains at module level, leaf first: the scenario's two sample kinds.
  assert.deepEqual(g.chains.map((c) => [c.modules, c.samples]), [
    [['idsvia64.sys', 'ndis.sys', 'ntoskrnl.exe'], want.leaf['idsvia64.sys']],
    [['ndis.sys', 'ntoskrnl.exe'], want.leaf['ndis.sys']],
  ]);
  assert.equal(g.other_chains_samples, 0);
});

test('inside: kind and module filter the rows', async () => {
  const all = await inside('field-before');
  const ndisId = all.body.groups[0].module_id;
  assert.equal((await inside('field-before', '?kind=isr')).body.groups.length, 0);
  assert.equal((await inside('field-before', `?module=${ndisId}`)).body.groups.length, 1);
  const other = await inside('field-before', `?module=${ndisId + 1}`);
  assert.equal(other.status, 200);
  assert.equal(other.body.groups.length, 0);
  // The shared CPU filter parses but does not narrow this whole-run document.
  const cpus = await inside('field-before', '?cpus=1');
  assert.equal(cpus.body.groups[0].samples, all.body.groups[0].samples);
});

test('inside: bad filters and unknown runs are errors', async () => {
  assert.equal((await inside('field-before', '?kind=bogus')).status, 400);
  assert.equal((await inside('field-before', '?cpus=x')).status, 400);
  const r = await getJson(`${srv.url}/api/runs/0123456789abcdef0123456789abcdef/dpcisr/inside`);
  assert.equal(r.status, 404);
});

test('inside: after removing the IDS filter, ndis.sys runs its own code inside its DPCs', async () => {
  const r = await inside('field-after-removal');
  const want = ndisExpected('field-after-removal');
  const g = r.body.groups[0];
  assert.equal(g.module, 'ndis.sys');
  assert.equal(g.samples, want.samples);
  assert.deepEqual(g.leaf.map((x) => [x.module, x.samples]), [['ndis.sys', want.leaf['ndis.sys']]]);
});
