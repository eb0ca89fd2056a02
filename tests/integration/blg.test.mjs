// blg.test.mjs — perfmon binary logs through the whole pipeline: the .blg and the .csv of
// the same PowerShell capture read back alike over HTTP (the CSV is the oracle), and PAL's
// Vista log yields plausible per-processor DPC/interrupt series.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, getJson, uploadAndWait, shared } from '../support/server.mjs';

const perfmon = join(shared, 'samples', 'perfmon');
let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv.stop(); });

async function upload(file) {
  const up = await uploadAndWait(srv.url, readFileSync(join(perfmon, file)), file);
  assert.equal(up.body.state, 'done', JSON.stringify(up.body));
  return up.body.run;
}

test('the .blg gives the same counters, times and values as its CSV twin', async () => {
  const b = await upload('powershell_CounterSamples.blg');
  const c = await upload('powershell_CounterSamples.csv');
  assert.equal(b.format, 'blg');
  const rb = (await getJson(`${srv.url}/api/runs/${b.id}`)).body;
  const rc = (await getJson(`${srv.url}/api/runs/${c.id}`)).body;
  assert.equal(rb.start, rc.start);
  assert.equal(rb.summary.samples, 25);
  const cb = (await getJson(`${srv.url}/api/runs/${b.id}/counters`)).body.counters;
  const cc = (await getJson(`${srv.url}/api/runs/${c.id}/counters`)).body.counters;
  assert.equal(cb.length, cc.length);
  let compared = 0;
  for (const want of cc) {
    const got = cb.find((x) => x.path.toLowerCase() === want.path.toLowerCase());
    assert.ok(got, `blg has ${want.path}`);
    const sb = (await getJson(`${srv.url}/api/runs/${b.id}/series?c=${got.idx}`)).body;
    const sc = (await getJson(`${srv.url}/api/runs/${c.id}/series?c=${want.idx}`)).body;
    assert.deepEqual(sb.t, sc.t);
    sc.series[0].mean.forEach((v, i) => {
      const w = sb.series[0].mean[i];
      if (v === null) { assert.equal(w, null, `${want.path}[${i}] blank`); return; }
      assert.ok(Math.abs(w - v) <= Math.abs(v) * 1e-15 + 1e-12, `${want.path}[${i}]: ${w} vs ${v}`);
      compared++;
    });
  }
  assert.equal(compared, 242);
});

test('PAL\'s Vista .blg shows per-processor DPC and interrupt counters with plausible values', async () => {
  const r = await upload('pal_SampleLog.blg');
  const run = (await getJson(`${srv.url}/api/runs/${r.id}`)).body;
  const names = run.cpu_counters.map((x) => x.counter);
  for (const n of ['% DPC Time', '% Interrupt Time', 'DPC Rate', 'DPCs Queued/sec', 'Interrupts/sec', '% Privileged Time']) {
    assert.ok(names.includes(n), n);
    const d = (await getJson(`${srv.url}/api/runs/${r.id}/cpu?counter=${encodeURIComponent(n)}`)).body;
    const vals = d.series.flatMap((s) => s.mean).filter((v) => v !== null);
    assert.ok(vals.length >= 10, `${n}: ${vals.length} values`);
    assert.ok(vals.every((v) => v >= 0), `${n} non-negative`);
    if (n.startsWith('%')) assert.ok(vals.every((v) => v <= 100), `${n} within 0–100`);
  }
});

test('the unreadable 2007 .blg is decoded as far as valid, with warnings', async () => {
  const up = await uploadAndWait(srv.url, readFileSync(join(perfmon, 'powershell_BadCounterSamples.blg')), 'bad.blg');
  assert.equal(up.body.state, 'done');
  const run = (await getJson(`${srv.url}/api/runs/${up.body.run.id}`)).body;
  assert.equal(run.summary.machines.length, 26);
  assert.ok(run.warnings.length > 0);
});
