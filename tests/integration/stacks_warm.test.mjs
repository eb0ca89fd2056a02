// stacks_warm.test.mjs — a new run's kept stacks (db/db_stk_cache.h) are loaded in the
// background once its ingest ends (server/warm.h), so that its first stack view finds them
// kept: on the real PerfView sample, after the upload's job says done and the warmer is
// idle, /api/health shows the run's stacks kept (one load, no hit) before any stack request;
// the first walk that needs them is then a hit, not a second load. A server that keeps
// nothing (--stack-cache 0) has no warmer.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, uploadDone, getJson, waitFor, shared, perfviewSample as perfview } from '../support/server.mjs';

let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv.stop(); });

const kept = async (s) => (await getJson(`${s.url}/api/health`)).body.stack_nodes;

test('an uploaded stack trace\'s stacks are kept before its first stack request', { skip: !existsSync(perfview) }, async () => {
  const h0 = await kept(srv);
  assert.deepEqual(h0, { runs: 0, bytes: 0, loads: 0, hits: 0, evicted: 0, warm: { warmed: 0, not_kept: 0, yielded: 0, dropped: 0, busy: false } });
  const id = (await uploadDone(srv.url, readFileSync(perfview), 'perfview.etl')).id;
  // the job says done only after its run was queued to the warmer: idle again = warmed
  const h1 = await waitFor(async () => { const h = await kept(srv); return !h.warm.busy && h; },
    { timeout: 120000, what: 'the warmer to finish' });
  assert.deepEqual(h1.warm, { warmed: 1, not_kept: 0, yielded: 0, dropped: 0, busy: false });
  assert.equal(h1.runs, 1);
  assert.equal(h1.loads, 1);
  assert.equal(h1.hits, 0); // no request asked for them
  assert.ok(h1.bytes > 0);
  // a walk over a window (frames, one CPU): served from the warmed arrays
  const run = (await getJson(`${srv.url}/api/runs/${id}`)).body;
  const r = await getJson(`${srv.url}/api/runs/${id}/stacks/tree?group=frame&cpus=1&from=${run.start + 1000}&to=${run.start + 3000}`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.ok(r.body.total > 0);
  const h2 = await kept(srv);
  assert.equal(h2.loads, 1); // not loaded again
  assert.ok(h2.hits >= 1);
});

test('a run without stacks is not kept, and a server without the cache has no warmer', async () => {
  const bare = await startServer(['--stack-cache', '0']);
  try {
    assert.equal(await kept(bare), null);
  } finally {
    await bare.stop();
  }
  const before = (await kept(srv)).warm;
  const csv = join(shared, 'samples', 'perfmon', 'powershell_CounterSamples.csv');
  await uploadDone(srv.url, readFileSync(csv), 'cpu.csv');
  const h = await waitFor(async () => { const x = await kept(srv); return !x.warm.busy && x; },
    { timeout: 120000, what: 'the warmer to finish' });
  assert.equal(h.warm.not_kept, before.not_kept + 1);
  assert.equal(h.warm.warmed, before.warmed);
});
