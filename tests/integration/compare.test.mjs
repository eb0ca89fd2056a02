// compare.test.mjs — before/after comparison over HTTP with the field story: three traces
// from the trace writer (ndis.sys DPCs on CPUs 0, 2, 4, 6: ~163,000 at 220 µs; ~55,000 at
// 682 µs; ~127,000 at 90 µs in 10 s). The compare document must return exactly the counts
// and averages the writer reports, and the right deltas against the first run.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { startServer, getJson, uploadAndWait, repo } from '../support/server.mjs';
import { etlgenBin as etlgen } from '../support/etlgen.mjs';

const stories = ['field-before', 'field-after-update', 'field-after-removal'];
let srv;
const runs = [];
const expected = [];

before(async () => {
  srv = await startServer();
  for (const s of stories) {
    const etl = join(srv.dir, `${s}.etl`), exp = join(srv.dir, `${s}.json`);
    execFileSync(etlgen, [join(repo, 'demo', 'scenarios', `${s}.json`), etl, exp]);
    expected.push(JSON.parse(readFileSync(exp, 'utf8')));
    const up = await uploadAndWait(srv.url, readFileSync(etl), `${s}.etl`, s);
    assert.equal(up.body.state, 'done', JSON.stringify(up.body));
    runs.push(up.body.run.id);
  }
});
after(async () => { await srv.stop(); });

function ndis(e) {
  const m = e.modules.find((x) => x.name === 'ndis.sys');
  return m.dpc;
}

test('the field story: counts, averages and maxima come back exactly, with deltas', async () => {
  const r = await getJson(`${srv.url}/api/compare?runs=${runs.join(',')}`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const d = r.body;
  assert.equal(d.kind, 'dpc');
  assert.equal(d.guideline_us, 100);
  assert.equal(d.per_second, false, 'same-length runs are compared as they are');
  assert.equal(d.runs.length, 3);
  const m = d.modules.find((x) => x.module === 'ndis.sys');
  assert.ok(m, 'ndis.sys row');
  const want = expected.map(ndis);
  // The field story's figures, as the writer drew them.
  assert.ok(Math.abs(want[0].count - 163000) < 2000 && Math.abs(want[0].total_ns / want[0].count / 1e3 - 220) < 5);
  assert.ok(Math.abs(want[1].count - 55000) < 1500 && Math.abs(want[1].total_ns / want[1].count / 1e3 - 682) < 15);
  assert.ok(Math.abs(want[2].count - 127000) < 2000 && Math.abs(want[2].total_ns / want[2].count / 1e3 - 90) < 3);
  m.runs.forEach((s, i) => {
    assert.equal(s.count, want[i].count, `run ${i} count`);
    assert.equal(s.total_ms, want[i].total_ns / 1e6, `run ${i} total`);
    assert.equal(s.avg_us, want[i].total_ns / want[i].count / 1e3, `run ${i} average`);
    assert.equal(s.max_us, want[i].max_ns / 1e3, `run ${i} max`);
  });
  for (const i of [1, 2]) {
    const dl = m.delta[i - 1];
    assert.equal(dl.count.abs, want[i].count - want[0].count);
    assert.ok(Math.abs(dl.count.rel - (want[i].count - want[0].count) / want[0].count) < 1e-12);
    const a = want[0].total_ns / want[0].count / 1e3, b = want[i].total_ns / want[i].count / 1e3;
    assert.ok(Math.abs(dl.avg_us.abs - (b - a)) < 1e-9);
  }
  // The teaming driver is removed in the second run (and the DPCs got longer still).
  const team = d.modules.find((x) => x.module === 'iansw60e.sys');
  assert.ok(team.runs[0] && team.runs[1] === null && team.runs[2] === null);
  // Per-CPU: CPUs 0, 2, 4, 6 spend most of their time in DPCs before; odd CPUs do not.
  const cpus = d.runs[0].cpus.busy_share;
  assert.equal(cpus.length, 24);
  for (const c of [0, 2, 4, 6]) assert.ok(cpus[c] > 0.8, `CPU ${c}: ${cpus[c]}`);
  for (const c of [1, 3, 5, 7]) assert.ok(cpus[c] < 0.05, `CPU ${c}: ${cpus[c]}`);
  // Histograms on identical edges; their sums are the DPC totals of each run.
  assert.equal(d.edges_us.length, 41);
  d.runs.forEach((run, i) => {
    const total = ['dpc', 'threaded_dpc', 'timer_dpc'].reduce((a, k) => a + expected[i].totals[k].count, 0);
    assert.equal(run.histogram.buckets.reduce((a, b) => a + b, 0), total);
    assert.equal(run.histogram.count, total);
  });
});

test('findings that appeared, disappeared or changed against the baseline', async () => {
  const d = (await getJson(`${srv.url}/api/compare?runs=${runs.join(',')}`)).body;
  assert.ok(d.findings.baseline_verdict.sentence.length > 0);
  const [update, removal] = d.findings.changes;
  assert.equal(update.run, runs[1]);
  // After removing the teaming software ndis.sys DPCs are longer still: the same finding, changed.
  const avg = update.changed.find((c) => c.after.id === 'dpc-average');
  assert.ok(avg, JSON.stringify(update.changed.map((c) => c.after.id)));
  assert.match(avg.before.sentence, /220 µs/);
  assert.match(avg.after.sentence, /68\d µs/);
  // After removing the IDS filter the CPUs are no longer saturated.
  assert.ok(removal.disappeared.some((f) => f.id === 'cpu-dpcisr-saturated'), JSON.stringify(removal));
  assert.ok(!removal.appeared.some((f) => f.id === 'cpu-dpcisr-saturated'));
});

test('ISR comparison and runs of different lengths compared per second', async () => {
  const isr = await getJson(`${srv.url}/api/compare?runs=${runs[0]},${runs[2]}&kind=isr`);
  assert.equal(isr.status, 200);
  assert.equal(isr.body.guideline_us, 25);
  // A shorter trace of the same story: counts become per second.
  const short = JSON.parse(readFileSync(join(repo, 'demo', 'scenarios', 'field-before.json'), 'utf8'));
  short.duration_s = 4;
  const sc = join(srv.dir, 'short.json');
  const fs = await import('node:fs');
  fs.writeFileSync(sc, JSON.stringify(short));
  execFileSync(etlgen, [sc, join(srv.dir, 'short.etl')]);
  const up = await uploadAndWait(srv.url, readFileSync(join(srv.dir, 'short.etl')), 'short.etl');
  const d = (await getJson(`${srv.url}/api/compare?runs=${runs[0]},${up.body.run.id}`)).body;
  assert.equal(d.per_second, true);
  assert.match(d.normalisation, /per second/);
  const m = d.modules.find((x) => x.module === 'ndis.sys');
  assert.ok(Math.abs(m.runs[0].per_second - m.runs[1].per_second) / m.runs[0].per_second < 0.05, 'same rate');
  assert.ok('per_second' in m.delta[0]);
});

test('bad compare requests get clear errors', async () => {
  for (const [q, st] of [['', 400], [`runs=${runs[0]}`, 400], [`runs=${runs[0]},${runs[0]}`, 400],
    [`runs=${runs[0]},${'0'.repeat(32)}`, 404], [`runs=${runs[0]},../x`, 404], [`runs=${runs.join(',')},${runs[0]},${runs[1]}`, 400],
    [`runs=${runs[0]},${runs[1]}&kind=xyz`, 400]]) {
    const r = await getJson(`${srv.url}/api/compare?${q}`);
    assert.equal(r.status, st, q);
    assert.equal(typeof r.body.error, 'string');
  }
});
