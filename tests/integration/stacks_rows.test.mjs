// stacks_rows.test.mjs — the answers a run page asks for first in its stacks panel
// (/processes, /threads, /stacks/tags) under a CPU filter, read from the stack store row by
// row (db/db_stk_rows.c: all rows with Idle kept, seeks past Idle's rows without): on the
// real PerfView sample, per process and per thread the samples on the chosen CPUs equal the
// independent decoder's (tests/support/etlscan.mjs); the samples by tag add up to the
// decoder's non-Idle samples on those CPUs, and over two disjoint CPU sets to the whole
// machine's; and a first answer (computed) equals the later one (the server's kept answer).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { startServer, uploadDone, getJson, perfviewSample as perfview } from '../support/server.mjs';
import { scan } from '../support/etlscan.mjs';

let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv.stop(); });

// CPU sets of the sample's 8 CPUs: each with the CPUs it names
const SETS = [['0-7', [0, 1, 2, 3, 4, 5, 6, 7]], ['0-3', [0, 1, 2, 3]], ['4-7', [4, 5, 6, 7]], ['5', [5]], ['1,6', [1, 6]]];

test('PerfView sample: processes, threads and tags under a CPU filter equal the independent decoder; first answers equal later ones', { skip: !existsSync(perfview) }, async () => {
  const o = scan(perfview, { stacks: true });
  assert.equal(o.samples, 79528); // MANIFEST fact: the oracle is trusted only after this
  const id = (await uploadDone(srv.url, readFileSync(perfview), 'perfview.etl')).id;
  // each answer twice: the first computed, the second the kept one — the same body
  const api = async (path) => {
    const a = await getJson(`${srv.url}/api/runs/${id}/${path}`);
    assert.equal(a.status, 200, `${path}: ${JSON.stringify(a.body)}`);
    assert.deepEqual((await getJson(`${srv.url}/api/runs/${id}/${path}`)).body, a.body, `${path}: later answer`);
    return a.body;
  };
  // the decoder's non-Idle samples (Idle's only inside DPCs/ISRs) per pid and per (pid, tid) on cpus
  const want = (cpus) => {
    const pids = new Map(), tids = new Map();
    let n = 0;
    for (const s of o.stacks) {
      if (!cpus.includes(s.cpu)) continue;
      n++;
      if (s.pid === 0) continue; // Idle's samples in DPCs/ISRs: the pseudo-thread, below
      const k = s.pid === null ? null : s.pid;
      pids.set(k, (pids.get(k) || 0) + 1);
      if (k !== null) tids.set(`${k}/${s.tid}`, (tids.get(`${k}/${s.tid}`) || 0) + 1);
    }
    return { n, pids, tids };
  };
  const byTag = {};
  for (const [q, cpus] of SETS) {
    const w = want(cpus);
    assert.ok(w.n > 0, `${q}: samples on those CPUs`);
    const p = await api(`processes?cpus=${q}`);
    assert.equal(p.cpus, cpus.length);
    const got = new Map(p.processes.filter((x) => x.pid !== 0).map((x) => [x.pid, x.samples]));
    assert.deepEqual([...got.entries()].sort(), [...w.pids.entries()].sort(), `${q}: samples per process`);
    for (const x of p.processes) assert.equal(x.spark.reduce((a, b) => a + b, 0), x.samples, `${q}: pid ${x.pid} spark`);
    // the busiest process's threads
    const th = await api(`threads?pid=3676&cpus=${q}`);
    const wt = [...w.tids.entries()].filter(([k]) => k.startsWith('3676/')).map(([k, v]) => [Number(k.slice(5)), v]);
    assert.deepEqual(th.threads.map((t) => [t.tid, t.samples]).sort((a, b) => a[0] - b[0]), wt.sort((a, b) => a[0] - b[0]), `${q}: threads`);
    // by tag: every non-Idle sample of those CPUs once
    const t = await api(`stacks/tags?cpus=${q}`);
    assert.equal(t.total, w.n, `${q}: tags total`);
    assert.equal(t.tags.reduce((a, x) => a + x.samples, 0), w.n, `${q}: tags add up`);
    byTag[q] = Object.fromEntries(t.tags.map((x) => [x.tag, x.samples]));
  }
  // two disjoint CPU sets add up to the whole machine, tag by tag
  const sum = {};
  for (const q of ['0-3', '4-7']) for (const [k, v] of Object.entries(byTag[q])) sum[k] = (sum[k] || 0) + v;
  assert.deepEqual(sum, byTag['0-7']);
  assert.deepEqual(byTag['0-7'], Object.fromEntries((await api('stacks/tags')).tags.map((x) => [x.tag, x.samples])));
});
