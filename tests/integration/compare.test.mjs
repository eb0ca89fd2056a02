// compare.test.mjs — before/after comparison over HTTP with the field story: three traces
// from the trace writer (ndis.sys DPCs on CPUs 0, 2, 4, 6: ~163,000 at 220 µs; ~55,000 at
// 682 µs; ~127,000 at 90 µs in 10 s). The compare document must return exactly the counts
// and averages the writer reports, and the right deltas against the first run.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { getJson, uploadAndWait, repo } from '../support/server.mjs';
import { startStoryServer } from '../support/story.mjs';
import { perCpuCsv } from '../support/perfmon.mjs';
import { etlgenBin as etlgen, generate, select, stats, DPC_KINDS } from '../support/etlgen.mjs';

const stories = ['field-before', 'field-after-update', 'field-after-removal'];
let srv;
const runs = [];
const expected = [];

before(async () => {
  // all three come uploaded, once per suite (tests/support/story.mjs)
  const story = await startStoryServer([], { update: true });
  srv = story.srv;
  for (const s of stories) {
    expected.push(story.runs[s].expected);
    runs.push(story.runs[s].id);
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
  // Those runs have DPCs, so it is a measured zero there, not "not measured".
  const team = d.modules.find((x) => x.module === 'iansw60e.sys');
  assert.ok(team.runs[0] && team.runs[0].count > 0);
  for (const r of [1, 2]) {
    assert.equal(team.runs[r].count, 0);
    assert.equal(team.runs[r].total_ms, 0);
  }
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

test('deltas are judged by time above the guideline: fewer but longer DPCs are worse', async () => {
  const d = (await getJson(`${srv.url}/api/compare?runs=${runs.join(',')}`)).body;
  const m = d.modules.find((x) => x.module === 'ndis.sys');
  // The writer's own records of ndis.sys DPCs, summed here (the same scenarios, so the same draws).
  const want = stories.slice(0, 2).map((st) => {
    const g = generate(srv.dir, `${st}-records`, readFileSync(join(repo, 'demo', 'scenarios', `${st}.json`), 'utf8'));
    assert.equal(g.expected.modules.find((x) => x.name === 'ndis.sys').dpc.count, ndis(expected[stories.indexOf(st)]).count, 'same draws');
    return stats(select(g.records, { modules: new Set(['ndis.sys']), kinds: new Set(DPC_KINDS) }));
  });
  // After the update: about a third of the DPCs (count down) but each three times longer.
  const up = m.delta[0];
  assert.ok(up.count.abs < 0, 'fewer DPCs');
  assert.ok(Math.abs(up.total_ms.abs - (want[1].total_ns - want[0].total_ns) / 1e6) < 1e-6);
  assert.ok(Math.abs(up.above_ms.abs - (want[1].above_total_ns - want[0].above_total_ns) / 1e6) < 1e-6);
  // 34.6 s → 37.3 s above the guideline (+7.6 %), 220 µs → 682 µs each: worse, though fewer.
  assert.ok(want[1].above_total_ns > want[0].above_total_ns * 1.05, 'the scenario has more time above the guideline after');
  assert.equal(up.judgement, 'worse');
  assert.deepEqual(up.judged_by, ['time_above_guideline', 'average_above_guideline']);
  const secs = d.runs.map((r) => r.duration_s);
  assert.ok(Math.abs(up.above_share_of_time.abs - (want[1].above_total_ns / 1e9 / secs[1] - want[0].above_total_ns / 1e9 / secs[0])) < 1e-12);
  // After removing the teaming software: 90 µs DPCs, below the guideline: better.
  assert.equal(m.delta[1].judgement, 'better');
  assert.deepEqual(m.delta[1].judged_by, ['time_above_guideline', 'total_time', 'average_above_guideline']);
});

test('the baseline: ?base= picks it, else the earliest trace start; it is runs[0]', async () => {
  const early = perCpuCsv({ cpus: 4, seconds: 30, pegged: [] }).replace(/01\/15\/2026/g, '01/14/2026');
  const late = perCpuCsv({ cpus: 4, seconds: 30, pegged: [] });
  const a = (await uploadAndWait(srv.url, Buffer.from(late), 'late.csv', 'late')).body.run.id;
  const b = (await uploadAndWait(srv.url, Buffer.from(early), 'early.csv', 'early')).body.run.id;
  let d = (await getJson(`${srv.url}/api/compare?runs=${a},${b}`)).body;
  assert.equal(d.baseline, b, 'the earlier trace is the default baseline');
  assert.equal(d.runs[0].id, b);
  assert.equal(d.runs[0].baseline, true);
  assert.equal(d.runs[1].baseline, false);
  assert.equal(d.baseline_rule, 'the earliest trace start');
  d = (await getJson(`${srv.url}/api/compare?runs=${a},${b}&base=${a}`)).body;
  assert.equal(d.baseline, a);
  assert.deepEqual(d.runs.map((r) => r.id), [a, b]);
  // Three runs, the last as baseline: it moves first, the others keep their order.
  // The field story's traces start together: the first named of them.
  d = (await getJson(`${srv.url}/api/compare?runs=${runs[1]},${runs[0]}`)).body;
  assert.equal(d.baseline, runs[1]);
  assert.equal(d.baseline_rule, 'the first run named of those that start earliest');
  d = (await getJson(`${srv.url}/api/compare?runs=${runs[0]},${runs[1]},${runs[2]}&base=${runs[2]}`)).body;
  assert.deepEqual(d.runs.map((r) => r.id), [runs[2], runs[0], runs[1]]);
  assert.deepEqual(d.findings.changes.map((c) => c.run), [runs[0], runs[1]]);
  const r = await getJson(`${srv.url}/api/compare?runs=${a},${b}&base=${runs[0]}`);
  assert.equal(r.status, 400);
  assert.match(r.body.error, /base/);
});

test('what a run did not measure is null ("not measured"), never zero', async () => {
  const csv = perCpuCsv({ cpus: 4, seconds: 30, pegged: [] });
  const pm = (await uploadAndWait(srv.url, Buffer.from(csv), 'pm.csv', 'perfmon only')).body.run.id;
  const d = (await getJson(`${srv.url}/api/compare?runs=${runs[0]},${pm}&base=${runs[0]}`)).body;
  assert.equal(d.runs[1].has_dpcisr, false);
  const m = d.modules.find((x) => x.module === 'ndis.sys');
  assert.equal(m.runs[1], null, 'a perfmon log measured no module');
  assert.equal(m.delta[0], null, 'no change against something not measured');
  // And the other way: the ETW trace has no counters.
  const c = d.counters.find((x) => x.counter === '% Processor Time');
  assert.ok(c);
  assert.equal(c.runs[0], null);
  assert.ok(c.runs[1]);
  // The trace's DPC findings are not "gone" in a perfmon log: it could not have made them.
  const ch = d.findings.changes[0];
  assert.ok(ch.not_measured.some((f) => f.id === 'dpc-average'), JSON.stringify(ch));
  assert.ok(!ch.disappeared.some((f) => f.id === 'dpc-average' || f.id === 'cpu-dpcisr-saturated'));
});

test('perfmon compare shows the hot CPUs, not only the mean over all CPUs', async () => {
  const hot = perCpuCsv({ cpus: 24, seconds: 60, pegged: [3, 7, 11, 15] });
  const calm = perCpuCsv({ cpus: 24, seconds: 60, pegged: [] }).replace(/01\/15\/2026/g, '01/16/2026');
  const a = (await uploadAndWait(srv.url, Buffer.from(hot), 'hot.csv', 'hot')).body.run.id;
  const b = (await uploadAndWait(srv.url, Buffer.from(calm), 'calm.csv', 'calm')).body.run.id;
  const d = (await getJson(`${srv.url}/api/compare?runs=${a},${b}`)).body;
  const c = d.counters.find((x) => x.counter === '% Processor Time');
  const [h, k] = c.runs;
  assert.equal(h.threshold, 90);
  assert.deepEqual(h.cpus_above, [3, 7, 11, 15]);
  assert.deepEqual(k.cpus_above, []);
  // perCpuCsv: pegged CPUs at 99.5 %, the others 10 + ((t·3 + c·11) mod 40) — at most 49.
  for (const e of h.per_cpu_max) assert.equal(e.max, [3, 7, 11, 15].includes(e.cpu) ? 99.5 : Math.max(...Array.from({ length: 60 }, (_, t) => 10 + ((t * 3 + e.cpu * 11) % 40))));
  assert.ok(h.max.every((v) => v === 99.5), 'the hottest CPU at every time');
  assert.ok(h.mean.every((v) => v < 60), 'the mean hides them');
});
