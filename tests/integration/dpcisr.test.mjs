// dpcisr.test.mjs — the DPC/ISR endpoints over HTTP on etlgen traces: histogram, module
// table, timeline and events must give back exactly what etlgen wrote (its expected JSON,
// and figures computed from every record for windows, CPU subsets, modules and kinds);
// the field story's ndis.sys numbers; bad filters are 400; runs without ETW data 404.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getJson, uploadAndWait, shared } from '../support/server.mjs';
import { startStoryServer } from '../support/story.mjs';
import { generate, select, stats, bucketOf, guidelineNs, KIND_NAMES, DPC_KINDS, ISR_KINDS } from '../support/etlgen.mjs';

let srv, story, mix, run, ids, base, startMs;

// 8 CPUs, 2 s: a NIC pinned to even CPUs, a storage driver with threaded DPCs and line
// ISRs, the kernel's timer DPCs, and a driver whose durations sit exactly on the 25 and
// 100 µs guideline edges (not above: the buckets are (lo, hi]).
const scenario = {
  cpus: 8, pointer_size: 8, compressed: false, buffer_size: 65536, duration_s: 2, seed: 7,
  sample_rate_hz: 0,
  modules: [
    { name: 'ntoskrnl.exe', path: '\\SystemRoot\\system32\\ntoskrnl.exe', base: '0xfffff80070600000', size: 11534336,
      dpc: { rate: 4000, kind: 'timer', duration_us: { dist: 'lognormal', median: 4, sigma: 0.5 } } },
    { name: 'ndis.sys', base: '0xfffff80072a00000', size: 1572864, cpus: [0, 2, 4, 6],
      dpc: { rate: 6000, duration_us: { dist: 'lognormal', median: 80, sigma: 0.6 } },
      isr: { rate: 2000, msi: true, duration_us: { dist: 'lognormal', median: 6, sigma: 0.8 } } },
    { name: 'storport.sys', base: '0xfffff80073000000', size: 1048576,
      dpc: { rate: 3000, kind: 'threaded', duration_us: { dist: 'uniform', min: 5, max: 150 } },
      isr: { rate: 1000, duration_us: { dist: 'uniform', min: 1, max: 40 } } },
    { name: 'edge.sys', base: '0xfffff80074000000', size: 65536, cpus: [1],
      dpc: { rate: 300, duration_us: { dist: 'fixed', value: 100 } },
      isr: { rate: 300, duration_us: { dist: 'fixed', value: 25 } } },
  ],
};

before(async () => {
  // the three field story runs come uploaded, once per suite (tests/support/story.mjs)
  ({ srv, runs: story } = await startStoryServer([], { update: true }));
  mix = generate(srv.dir, 'mix', scenario);
  const up = await uploadAndWait(srv.url, readFileSync(mix.path), 'mix.etl', 'dpc mix');
  assert.equal(up.body.state, 'done', JSON.stringify(up.body));
  run = (await getJson(`${srv.url}/api/runs/${up.body.run.id}`)).body;
  base = `${srv.url}/api/runs/${run.id}`;
  startMs = run.summary.start_utc_us / 1000;
  const mods = (await getJson(`${base}/modules`)).body.modules;
  ids = new Map(mods.map((m) => [m.name, m.id]));
});
after(async () => { await srv.stop(); });

const get = async (path) => {
  const r = await getJson(`${base}/dpcisr/${path}`);
  assert.equal(r.status, 200, `${path}: ${JSON.stringify(r.body)}`);
  return r.body;
};

function sameStats(got, want, what) {
  for (const k of ['count', 'total_ns', 'max_ns', 'above_count']) assert.equal(got[k], want[k], `${what}: ${k}`);
  assert.equal(got.above_total_ms, want.above_total_ns / 1e6, `${what}: above_total_ms`);
  if (want.count) assert.equal(got.mean_us, want.total_ns / want.count / 1e3, `${what}: mean_us`);
}

test('the run document carries the ETW facts; modules lists the loaded images', async () => {
  assert.equal(run.format, 'etl');
  assert.equal(run.summary.dpcisr_enabled, true);
  assert.equal(run.summary.cpus, 8);
  assert.equal(run.summary.pointer_size, 8);
  for (const m of scenario.modules) assert.ok(ids.has(m.name), m.name);
  const mods = (await getJson(`${base}/modules`)).body.modules;
  const ndis = mods.find((m) => m.name === 'ndis.sys');
  assert.equal(ndis.base, '0xfffff80072a00000');
  assert.equal(ndis.size, 1572864);
  assert.equal(ndis.path, '\\SystemRoot\\System32\\drivers\\ndis.sys');
});

test('histogram: per-kind totals equal etlgen\'s expected aggregates, buckets equal the records', async () => {
  const h = await get('histogram');
  assert.equal(h.edges_us.length, 41);
  assert.equal(h.edges_us[0], 1);
  assert.equal(h.edges_us[40], 10000);
  assert.ok(h.edges_us.includes(25) && h.edges_us.includes(100));
  assert.equal(h.edges_us[h.dpc.first_above_bucket - 1], 100);
  assert.equal(h.edges_us[h.isr.first_above_bucket - 1], 25);
  assert.equal(h.dpc.guideline_us, 100);
  assert.equal(h.isr.guideline_us, 25);
  const etlgenKinds = ['dpc', 'threaded_dpc', 'timer_dpc', 'isr', 'isr_msi'];
  for (let k = 0; k < 5; k++) {
    const e = mix.expected.totals[etlgenKinds[k]], g = h.kinds[KIND_NAMES[k]];
    assert.equal(g.count, e.count, `${KIND_NAMES[k]} count`);
    assert.equal(g.total_ns, e.total_ns, `${KIND_NAMES[k]} total`);
    assert.equal(g.max_ns, e.max_ns, `${KIND_NAMES[k]} max`);
  }
  for (const [name, kinds] of [['dpc', DPC_KINDS], ['isr', ISR_KINDS]]) {
    const want = stats(select(mix.records, { kinds: new Set(kinds) }), h.edges_us);
    sameStats(h[name], want, name);
    assert.deepEqual(h[name].counts, want.counts, `${name} buckets`);
    assert.equal(h[name].above_share, want.above_count / want.count);
  }
  // edge.sys: exactly 100 µs / 25 µs is on the guideline, not above it.
  const edge = await get(`histogram?module=${ids.get('edge.sys')}`);
  assert.ok(edge.dpc.count > 0 && edge.isr.count > 0);
  assert.equal(edge.dpc.above_count, 0);
  assert.equal(edge.isr.above_count, 0);
  assert.equal(edge.dpc.counts[bucketOf(edge.edges_us, 100000)], edge.dpc.count);
  assert.equal(edge.edges_us[bucketOf(edge.edges_us, 100000)], 100);
});

test('modules: per-module DPC and ISR rows are exact (counts, totals, maxima, above, CPUs, shares)', async () => {
  const m = await get('modules');
  assert.match(m.estimates, /estimate/);
  const durNs = run.summary.duration_us * 1000;
  assert.equal(m.trace_cpu_ms, durNs * 8 / 1e6);
  for (const e of mix.expected.modules) {
    const row = m.modules.find((r) => r.name === e.name);
    assert.ok(row, e.name);
    assert.equal(row.id, ids.get(e.name));
    for (const [g, kinds] of [['dpc', DPC_KINDS], ['isr', ISR_KINDS]]) {
      const want = stats(select(mix.records, { modules: new Set([e.name]), kinds: new Set(kinds) }));
      const exp = { count: 0, total_ns: 0, max_ns: 0 };
      for (const k of (g === 'dpc' ? ['dpc', 'threaded_dpc', 'timer_dpc'] : ['isr', 'isr_msi'])) {
        exp.count += e[k].count; exp.total_ns += e[k].total_ns; exp.max_ns = Math.max(exp.max_ns, e[k].max_ns);
      }
      assert.equal(want.count, exp.count, `${e.name} ${g}: records agree with etlgen`);
      if (!exp.count) { assert.equal(row[g], null, `${e.name} has no ${g}`); continue; }
      sameStats(row[g], want, `${e.name} ${g}`);
      assert.deepEqual(row[g].cpus, want.cpus, `${e.name} ${g} CPUs`);
      assert.equal(row[g].share_of_trace, want.total_ns / (durNs * 8));
      assert.ok(row[g].median_us > 0 && row[g].p99_us >= row[g].median_us && row[g].p99_us <= row[g].max_us);
    }
  }
  const ndis = m.modules.find((r) => r.name === 'ndis.sys');
  assert.deepEqual(ndis.dpc.cpus, [0, 2, 4, 6]);
  // Busiest first.
  for (let i = 1; i < m.modules.length; i++) assert.ok(m.modules[i - 1].total_ms >= m.modules[i].total_ms);
});

test('filters: time windows, CPU subsets, modules and kinds give the figures computed from the records', async () => {
  const edges = (await get('histogram')).edges_us;
  const cases = [
    { q: 'cpus=0,2', f: { cpus: new Set([0, 2]) } },
    { q: 'cpus=1-3,6', f: { cpus: new Set([1, 2, 3, 6]) } },
    { q: `from=${startMs + 500}&to=${startMs + 1250}`, f: { fromMs: 500, toMs: 1250 } },
    // Fractional bounds widen to whole ms from the trace start.
    { q: `from=${startMs + 500.4}&to=${startMs + 1249.2}`, f: { fromMs: 500, toMs: 1250 } },
    { q: `module=${ids.get('ndis.sys')}&kind=dpc`, f: { modules: new Set(['ndis.sys']), kinds: new Set(DPC_KINDS) } },
    { q: `module=${ids.get('ndis.sys')}&module=${ids.get('storport.sys')}&kind=isr&cpus=0-5&from=${startMs + 300}`,
      f: { modules: new Set(['ndis.sys', 'storport.sys']), kinds: new Set(ISR_KINDS), cpus: new Set([0, 1, 2, 3, 4, 5]), fromMs: 300 } },
    { q: 'kind=threaded_dpc,line_isr', f: { kinds: new Set([1, 3]) } },
    { q: `to=${startMs + 1}`, f: { toMs: 1 } },
  ];
  for (const c of cases) {
    const h = await get(`histogram?${c.q}`);
    for (const [name, kinds] of [['dpc', DPC_KINDS], ['isr', ISR_KINDS]]) {
      const ks = new Set(kinds.filter((k) => !c.f.kinds || c.f.kinds.has(k)));
      const want = stats(select(mix.records, { ...c.f, kinds: ks }), edges);
      sameStats(h[name], want, `${c.q} ${name}`);
      assert.deepEqual(h[name].counts, want.counts, `${c.q} ${name} buckets`);
    }
    const m = await get(`modules?${c.q}`);
    for (const row of m.modules) {
      const want = stats(select(mix.records, { ...c.f, modules: new Set([row.name]), kinds: new Set(DPC_KINDS.filter((k) => !c.f.kinds || c.f.kinds.has(k))) }));
      if (want.count) sameStats(row.dpc, want, `${c.q} ${row.name} dpc`); else assert.equal(row.dpc, null);
    }
  }
  // Per-CPU counts equal etlgen's per-CPU expectation.
  for (const c of mix.expected.cpus) {
    const h = await get(`histogram?cpus=${c.cpu}`);
    assert.equal(h.dpc.count + h.isr.count, c.dpcisr, `CPU ${c.cpu}`);
  }
  const w = await get(`histogram?from=${startMs + 500}&to=${startMs + 1250}`);
  assert.equal(w.window.from, startMs + 500);
  assert.equal(w.window.to, startMs + 1250);
  assert.equal(w.window.from_s, 0.5);
  assert.deepEqual(w.filter.cpus, null);
});

test('events: every above-guideline event, longest first, with module+offset routines; bucket events', async () => {
  const above = mix.records.filter((r) => r.d > guidelineNs(r.kind));
  assert.ok(above.length > 0 && above.length <= 10000);
  const e = await get('events?limit=10000');
  assert.equal(e.bucket, null);
  const complete = e.events.filter((x) => !x.sample);
  assert.equal(complete.length, above.length);
  const want = above.map((r) => r.d / 1e3).sort((a, b) => b - a);
  assert.deepEqual(complete.map((x) => x.duration_us), want);
  for (const x of e.events.slice(0, 50)) {
    assert.match(x.routine, /^[a-z.]+\+0x[0-9a-f]+$/i);
    assert.ok(KIND_NAMES.includes(x.kind));
    // ms since the epoch in a double carries ~0.25 µs; t_s is the precise one.
    assert.ok(Math.abs(x.t - (startMs + x.t_s * 1000)) < 0.001, `${x.t} vs ${x.t_s}`);
    const rec = mix.records.find((r) => r.t === Math.round(x.t_s * 1e9) && r.cpu === x.cpu);
    assert.ok(rec, 'event matches a record');
    assert.equal(rec.module, x.module);
    assert.equal(rec.d / 1e3, x.duration_us);
  }
  const top = await get('events?limit=3');
  assert.deepEqual(top.events.map((x) => x.duration_us), want.slice(0, 3));
  // A bucket below the DPC guideline: samples, flagged, inside the bucket.
  const h = await get('histogram?kind=dpc');
  const b = h.dpc.counts.findIndex((n, i) => n > 100 && i < h.dpc.first_above_bucket);
  const be = await get(`events?kind=dpc&bucket=${b}&limit=500`);
  assert.ok(be.events.length > 0 && be.events.every((x) => x.sample));
  assert.match(be.note, /sample/);
  const lo = b ? h.edges_us[b - 1] : 0, hi = h.edges_us[b];
  for (const x of be.events) assert.ok(x.duration_us > lo && x.duration_us <= hi, `${x.duration_us} in (${lo}, ${hi}]`);
  // A bucket above the guideline is complete.
  const ab = h.dpc.first_above_bucket;
  const ae = await get(`events?kind=dpc&bucket=${ab}&limit=10000`);
  assert.equal(ae.events.length, h.dpc.counts[ab]);
  assert.ok(ae.events.every((x) => !x.sample));
});

test('timeline: per-module busy time and per-CPU shares add up to the exact totals', async () => {
  const t = await get('timeline?points=100&top=64');
  assert.equal(t.points, 100);
  assert.equal(t.t.length, 100);
  assert.equal(t.cpus.length, 8);
  assert.equal(t.other, null);
  const m = await get('modules');
  for (const row of t.modules) {
    const sum = row.busy_ms.reduce((a, v) => a + v, 0);
    const want = m.modules.find((r) => r.id === row.id).total_ms;
    // busy_ms has 6 decimals (ns): each slice rounds by at most 0.5 ns.
    assert.ok(Math.abs(sum - want) <= row.busy_ms.length * 5e-7 + 1e-9, `${row.name}: ${sum} vs ${want}`);
  }
  for (const c of t.cpus) {
    const want = stats(select(mix.records, { cpus: new Set([c.cpu]) })).total_ns / 1e6;
    const got = c.dpc.reduce((a, v, i) => a + (v + c.isr[i]) * t.slice_ms, 0);
    assert.ok(Math.abs(got - want) < 1e-4 * want + 1e-6, `CPU ${c.cpu}: ${got} vs ${want}`);
  }
  const sub = await get(`timeline?cpus=1,3&points=20&top=1&module=${ids.get('edge.sys')}`);
  assert.deepEqual(sub.cpus.map((c) => c.cpu), [1, 3]);
  assert.ok(sub.cpus[1].dpc.every((v) => v === 0), 'edge.sys never runs on CPU 3');
  assert.equal(sub.modules.length, 1);
  assert.equal(sub.modules[0].name, 'edge.sys');
});

test('bad filters answer 400, unknown runs and runs without ETW data 404', async () => {
  for (const q of ['cpus=x', 'cpus=3-1', 'cpus=2048', 'cpus=', 'kind=foo', 'kind=dpc,', 'module=abc', 'module=-2',
    'from=abc', `from=${startMs + 10}&to=${startMs}`, 'points=0', 'points=2001', 'top=65']) {
    const r = await getJson(`${base}/dpcisr/timeline?${q}`);
    assert.equal(r.status, 400, q);
    assert.ok(r.body.error, q);
  }
  for (const q of ['limit=0', 'limit=10001', 'bucket=42', 'bucket=-1', 'limit=x']) {
    const r = await getJson(`${base}/dpcisr/events?${q}`);
    assert.equal(r.status, 400, q);
  }
  assert.equal((await getJson(`${base}/dpcisr/nothing`)).status, 404);
  assert.equal((await getJson(`${srv.url}/api/runs/${'0'.repeat(32)}/dpcisr/histogram`)).status, 404);
  const csv = readFileSync(join(shared, 'samples', 'perfmon', 'powershell_CounterSamples.csv'));
  const up = await uploadAndWait(srv.url, csv, 'c.csv');
  const r = await getJson(`${srv.url}/api/runs/${up.body.run.id}/dpcisr/histogram`);
  assert.equal(r.status, 404);
  assert.match(r.body.error, /no ETW data/);
  assert.deepEqual((await getJson(`${srv.url}/api/runs/${up.body.run.id}/modules`)).body, { modules: [] });
});

test('a trace without DPC/ISR tracing says so in its summary', async () => {
  const up = await uploadAndWait(srv.url, readFileSync(join(shared, 'samples', 'etl', 'airbus-ShutdownPerfDiagLogger.etl')), 'shutdown.etl');
  assert.equal(up.body.state, 'done');
  const r = (await getJson(`${srv.url}/api/runs/${up.body.run.id}`)).body;
  assert.equal(r.summary.dpcisr_enabled, false);
  const off = generate(srv.dir, 'off', { ...scenario, dpc_groups_enabled: false, modules: [scenario.modules[0]].map((m) => ({ ...m, dpc: undefined })) }, false);
  const up2 = await uploadAndWait(srv.url, readFileSync(off.path), 'off.etl');
  assert.equal((await getJson(`${srv.url}/api/runs/${up2.body.run.id}`)).body.summary.dpcisr_enabled, false);
});

test('the field story: ndis.sys DPCs on CPUs 0, 2, 4, 6 before, after the driver update and after removing teaming', async () => {
  const field = [
    ['field-before', 163000, 220],
    ['field-after-update', 55000, 682],
    ['field-after-removal', 127000, 90],
  ];
  for (const [name, approxCount, approxAvg] of field) {
    const g = story[name], id = g.id; // {id, expected}
    const m = (await getJson(`${srv.url}/api/runs/${id}/dpcisr/modules`)).body;
    const row = m.modules.find((r) => r.name === 'ndis.sys');
    const e = g.expected.modules.find((x) => x.name === 'ndis.sys').dpc;
    assert.equal(row.dpc.count, e.count, name);
    assert.equal(row.dpc.total_ns, e.total_ns, name);
    assert.equal(row.dpc.max_ns, e.max_ns, name);
    assert.deepEqual(row.dpc.cpus, [0, 2, 4, 6], name);
    assert.equal(m.trace_cpus, 24);
    assert.ok(Math.abs(row.dpc.count - approxCount) / approxCount < 0.03, `${name}: ${row.dpc.count} DPCs`);
    assert.ok(Math.abs(row.dpc.mean_us - approxAvg) / approxAvg < 0.05, `${name}: average ${row.dpc.mean_us} µs`);
    // On the busy CPUs, and only there.
    const h = (await getJson(`${srv.url}/api/runs/${id}/dpcisr/histogram?module=${row.id}&kind=dpc&cpus=1,3,5,7-23`)).body;
    assert.equal(h.dpc.count, 0);
  }
});

// A driver pinned to CPUs 0 and 2 of 8 runs 18,000 DPCs/s of exactly 100 µs: 1.8 s of DPC
// per second over 2 CPUs, 90 % of each. Picking those CPUs and a 2.4 s window, its share is
// of that selection (~90 %), not of the whole machine (~22.5 %).
test('module shares follow the selection: CPUs 0 and 2 over a 2.4 s window', async () => {
  const busy = generate(srv.dir, 'busy', {
    cpus: 8, pointer_size: 8, compressed: false, buffer_size: 65536, duration_s: 3, seed: 11, sample_rate_hz: 0,
    modules: [{ name: 'busy.sys', base: '0xfffff80075000000', size: 65536, cpus: [0, 2],
      dpc: { rate: 18000, duration_us: { dist: 'fixed', value: 100 } } }],
  });
  const up = await uploadAndWait(srv.url, readFileSync(busy.path), 'busy.etl', 'busy');
  assert.equal(up.body.state, 'done', JSON.stringify(up.body));
  const r = (await getJson(`${srv.url}/api/runs/${up.body.run.id}`)).body;
  const t0 = r.summary.start_utc_us / 1000;
  const m = (await getJson(`${srv.url}/api/runs/${r.id}/dpcisr/modules?cpus=0,2&from=${t0 + 300}&to=${t0 + 2700}`)).body;
  const row = m.modules.find((x) => x.name === 'busy.sys');
  const inWin = stats(select(busy.records, { modules: new Set(['busy.sys']), cpus: new Set([0, 2]), fromMs: 300, toMs: 2700 }));
  assert.equal(m.window_cpus, 2);
  assert.equal(m.window_cpu_ms, 2 * 2400);
  assert.equal(row.share_of_window, inWin.total_ns / (2 * 2.4e9));
  assert.ok(Math.abs(row.share_of_window - 0.9) < 0.03, `about 90 % of the two CPUs: ${row.share_of_window}`);
  const all = stats(select(busy.records, { modules: new Set(['busy.sys']) }));
  assert.ok(row.share_of_trace < 0.25, `of the whole machine and trace it is under a quarter: ${row.share_of_trace}`);
  assert.ok(all.total_ns / (r.summary.duration_us * 1000 * 8) < 0.25, 'of the whole machine it is about a quarter');
  // Nothing selected: the window is the whole recorded span, so the two shares agree.
  const whole = (await getJson(`${srv.url}/api/runs/${r.id}/dpcisr/modules`)).body.modules.find((x) => x.name === 'busy.sys');
  assert.ok(Math.abs(whole.share_of_window / whole.share_of_trace - 1) < 1e-3);
  assert.equal(whole.total_ms, all.total_ns / 1e6);
});
