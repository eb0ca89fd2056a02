// stacks_pretree.test.mjs — the call trees stored after ingest (issue 13's pre-aggregated
// trees, api/api_stacks_pre.c) answer whole-run requests: they must equal trees built here,
// independently, from every sample's stack as the oracle decoder tests/support/etlscan.mjs
// reads it from the file — by frame and by module, top-down and inverted, with and without
// pruning — and so must the stored butterflies of every module. The scenario is the TDI-filter story with a bounded set of return addresses per
// module (etlgen's frame_rvas), so frames repeat as in real traces.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { startServer, uploadDone, uploadAndWait, getJson, waitFor, perfviewSample as perfview } from '../support/server.mjs';
import { generate } from '../support/etlgen.mjs';
import { scan } from '../support/etlscan.mjs';

let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv.stop(); });

const story = {
  cpus: 4, pointer_size: 8, compressed: false, buffer_size: 65536, duration_s: 1, seed: 1313,
  sample_rate_hz: 1000, process_pid: 4321,
  modules: [
    { name: 'ntoskrnl.exe', path: '\\SystemRoot\\system32\\ntoskrnl.exe', base: '0xfffff80070600000', size: 8388608,
      frame_rvas: [0x1000, 0x2345, 0x3abc, 0x40000], samples: { weight: 1 } },
    { name: 'tcpip.sys', path: '\\SystemRoot\\System32\\drivers\\tcpip.sys', base: '0xfffff80072000000', size: 2097152,
      frame_rvas: [0x100, 0x2200, 0x10010] },
    { name: 'idmtdi.sys', path: '\\SystemRoot\\System32\\drivers\\idmtdi.sys', base: '0xfffff80073000000', size: 65536,
      frame_rvas: [0x10, 0x20, 0x30, 0x400, 0x5000], samples: { weight: 7, stack: ['tcpip.sys', 'ntoskrnl.exe'] } },
    { name: 'tedrdrv.sys', path: '\\SystemRoot\\System32\\drivers\\tedrdrv.sys', base: '0xfffff80074000000', size: 262144,
      frame_rvas: [0x800, 0x900, 0xa00], samples: { weight: 2, stack: ['ntoskrnl.exe'] } },
  ],
};

// The tree of the oracle's stacks: frames root first (inverted: leaf first); by module,
// consecutive frames of one module are one node. Children sorted by value, then name.
function oracleTree(stacks, { invert, byModule }) {
  const root = { name: 'all', value: 0, self: 0, kids: new Map() };
  for (const { frames } of stacks) {
    const chain = invert ? frames : [...frames].reverse();
    let at = root, prev;
    root.value++;
    for (const f of chain) {
      const mod = f.module === null ? null : f.module.toLowerCase();
      if (byModule && prev !== undefined && mod === prev) continue;
      prev = mod;
      const name = byModule ? (f.module ?? '?')
        : f.module === null ? `0x${f.offset.toString(16)}` : `${f.module}+0x${f.offset.toString(16)}`;
      const key = byModule ? `${mod}` : `${mod}|${f.offset}`;
      if (!at.kids.has(key)) at.kids.set(key, { name, value: 0, self: 0, kids: new Map() });
      at = at.kids.get(key);
      at.value++;
    }
    at.self++;
  }
  return root;
}

// The answer a request with min_share gives: children under min_share × total folded into
// one "(rest)" node per parent.
function pruned(n, min, count) {
  const kids = [...n.kids.values()].sort((a, b) => b.value - a.value || (a.name < b.name ? -1 : 1));
  const keep = kids.filter((c) => c.value >= min), cut = kids.filter((c) => c.value < min);
  const children = keep.map((c) => pruned(c, min, count));
  if (cut.length) {
    const v = cut.reduce((s, c) => s + c.value, 0);
    children.push({ name: '(rest)', value: v, self: v, children: [] });
    count.nodes += cut.length;
    count.samples += v;
  }
  return { name: n.name, value: n.value, self: n.self, children };
}

// The API's tree in the same shape and order (its tie order is by module id, ours by name).
const shape = (n) => ({
  name: n.name, value: n.value, self: n.self,
  children: n.children.map(shape).sort((a, b) => (a.name === '(rest)') - (b.name === '(rest)') ||
    b.value - a.value || (a.name < b.name ? -1 : 1)),
});

test('stored call trees equal trees built from the oracle decoder\'s stacks', async () => {
  const g = generate(srv.dir, 'pretree', story, false);
  const o = scan(g.path, { stacks: true });
  assert.equal(o.stacks.length, g.expected.samples);
  assert.equal(o.idle, 0);
  const id = (await uploadDone(srv.url, readFileSync(g.path), 'pretree.etl')).id;
  let leaves = 0;
  for (const invert of [false, true]) {
    for (const byModule of [false, true]) {
      const want = oracleTree(o.stacks, { invert, byModule });
      if (!invert && !byModule) leaves = [...want.kids.values()].length;
      for (const share of [0, 0.0001, 0.001, 0.01, 0.05]) {
        const q = `invert=${invert ? 1 : 0}&group=${byModule ? 'module' : 'frame'}&min_share=${share}`;
        const r = await getJson(`${srv.url}/api/runs/${id}/stacks/tree?${q}`);
        assert.equal(r.status, 200, q);
        const count = { nodes: 0, samples: 0 };
        const exp = pruned(want, share * want.value, count);
        assert.equal(r.body.total, o.stacks.length, q);
        assert.deepEqual(shape(r.body.root), exp, q);
        assert.deepEqual(r.body.pruned, count, q);
        // the same answer through the per-slice counts (every CPU named), and with Idle
        // kept (the scenario has none)
        const w = await getJson(`${srv.url}/api/runs/${id}/stacks/tree?${q}&cpus=0-3`);
        assert.deepEqual(w.body, r.body, `${q} per-slice`);
        const i = await getJson(`${srv.url}/api/runs/${id}/stacks/tree?${q}&idle=1`);
        assert.deepEqual(shape(i.body.root), exp, `${q} idle=1`);
      }
    }
  }
  // frames repeat: 4 ntoskrnl.exe return addresses at the root of every stack
  assert.equal(leaves, 4);
});

// A module's butterfly from the oracle's stacks: each stack as its chain of modules (root
// first, consecutive repeats folded); a sample counts once per distinct caller and callee
// of the module's occurrences, inclusive once if it occurs, exclusive if it is the leaf.
function oracleButterfly(stacks, name) {
  const t = name.toLowerCase(), callers = new Map(), callees = new Map();
  let inclusive = 0, exclusive = 0;
  const add = (m, k) => m.set(k, (m.get(k) || 0) + 1);
  for (const { frames } of stacks) {
    const chain = [];
    for (const f of [...frames].reverse()) {
      const m = f.module === null ? null : f.module;
      if (!chain.length || (chain.at(-1) ?? '').toLowerCase() !== (m ?? '').toLowerCase() || (chain.at(-1) === null) !== (m === null)) chain.push(m);
    }
    const up = new Set(), down = new Set();
    chain.forEach((m, i) => {
      if (m === null || m.toLowerCase() !== t) return;
      if (i > 0) up.add(chain[i - 1]);
      if (i + 1 < chain.length) down.add(chain[i + 1]);
    });
    if (chain.some((m) => m !== null && m.toLowerCase() === t)) inclusive++;
    if (chain.length && chain.at(-1) !== null && chain.at(-1).toLowerCase() === t) exclusive++;
    for (const m of up) add(callers, m);
    for (const m of down) add(callees, m);
  }
  const list = (m) => [...m].map(([n, value]) => ({ name: n, value })).sort((a, b) => b.value - a.value || (a.name < b.name ? -1 : 1));
  return { module: name, total: stacks.length, inclusive, exclusive, callers: list(callers), callees: list(callees) };
}

test('stored butterflies equal the oracle decoder\'s, module by module', async () => {
  const g = generate(srv.dir, 'prebfly', story, false);
  const o = scan(g.path, { stacks: true });
  const id = (await uploadDone(srv.url, readFileSync(g.path), 'prebfly.etl')).id;
  const sorted = (b) => ({ ...b, callers: [...b.callers].sort((x, y) => y.value - x.value || (x.name < y.name ? -1 : 1)),
    callees: [...b.callees].sort((x, y) => y.value - x.value || (x.name < y.name ? -1 : 1)) });
  for (const name of ['ntoskrnl.exe', 'TCPIP.SYS', 'idmtdi.sys', 'tedrdrv.sys', 'absent.sys']) {
    const q = `stacks/butterfly?module=${name}`;
    const r = await getJson(`${srv.url}/api/runs/${id}/${q}`);
    assert.equal(r.status, 200, q);
    assert.deepEqual(sorted(r.body), oracleButterfly(o.stacks, name), q);
    const w = await getJson(`${srv.url}/api/runs/${id}/${q}&cpus=0-3`);
    assert.deepEqual(w.body, r.body, `${q} per-slice`);
  }
});

// A window alone reads the module trees' per-slice counts, and naming every CPU the per-CPU
// counts (two stores written apart): the same answer — on the real PerfView sample (Idle,
// user stacks) and on the story, windows inside, across and past the trace.
test('windowed module trees from per-slice counts equal the per-CPU counts', async () => {
  const g = generate(srv.dir, 'prewin', { ...story, duration_s: 2 }, false);
  const runs = [(await uploadDone(srv.url, readFileSync(g.path), 'prewin.etl')).id];
  if (existsSync(perfview)) runs.push((await uploadDone(srv.url, readFileSync(perfview), 'perfview.etl')).id);
  for (const id of runs) {
    const run = (await getJson(`${srv.url}/api/runs/${id}`)).body;
    const dur = run.duration_s * 1000;
    for (const [a, b] of [[0, 0.5], [0.25, 0.75], [0.333, 0.334], [0.9, 2], [1.5, 3]]) {
      const win = `from=${run.start + a * dur}&to=${run.start + b * dur}`;
      for (const q of ['group=module', 'group=module&invert=1&min_share=0', 'group=module&idle=1&min_share=0.05',
        'group=module&invert=1&idle=1']) {
        const r = await getJson(`${srv.url}/api/runs/${id}/stacks/tree?${q}&${win}`);
        assert.equal(r.status, 200, `${q}&${win}`);
        const w = await getJson(`${srv.url}/api/runs/${id}/stacks/tree?${q}&${win}&cpus=0-63`);
        assert.deepEqual(r.body, w.body, `${id} ${q}&${win}`);
      }
    }
  }
});

// Windows, CPU sets, processes and threads (migration 16: per-slice and per-key counts of the
// module trees, per-slice and per-key butterflies; frame trees of a window walk): every
// answer equals the tree or butterfly built here from the oracle's per-sample stacks that
// the selection holds — a window selects every 100 ms slice it overlaps (db_stacks.h), the
// oracle's slice is its time since the header event (QPC 10 MHz, etlgen's default).
test('windows and CPU, process and thread filters equal the oracle decoder\'s selection', async () => {
  const two = {
    ...story, duration_s: 2, processes: [{ pid: 4, name: 'System', command_line: '' }],
    modules: story.modules.map((m) => (m.name === 'tedrdrv.sys' ? { ...m, samples: { ...m.samples, process: 4 } } : m)),
  };
  const g = generate(srv.dir, 'prefilt', two, false);
  const o = scan(g.path, { stacks: true });
  const id = (await uploadDone(srv.url, readFileSync(g.path), 'prefilt.etl')).id;
  const run = (await getJson(`${srv.url}/api/runs/${id}`)).body;
  const slice = (s) => Number(s.ticks * 100n / 100000000n); // ticks of 100 ns, slices of 100 ms
  // window edges inside a slice (ms after the start): [from, to) selects whole slices
  const win = (a, b) => ({ q: `from=${run.start + a}&to=${run.start + b}`, f: (s) => slice(s) >= Math.floor(a / 100) && slice(s) <= Math.floor((b - 1) / 100) });
  const pids = new Set(o.stacks.map((s) => s.pid)), tids = [...new Set(o.stacks.map((s) => s.tid))].sort();
  assert.deepEqual([...pids].sort(), [4, 4321]); // the story's two processes, four threads each
  assert.equal(tids.length, 8);
  const [t1, t2] = [tids.find((t) => o.stacks.some((s) => s.tid === t && s.pid === 4)), tids[0]];
  const and = (x, y) => ({ q: `${x.q}&${y.q}`, f: (s) => x.f(s) && y.f(s), module: x.module || y.module });
  const w1 = win(250, 750), w2 = win(1050, 1950), w3 = win(333, 334);
  const cpu1 = { q: 'cpus=1', f: (s) => s.cpu === 1 }, cpu02 = { q: 'cpus=0,2', f: (s) => s.cpu === 0 || s.cpu === 2 };
  const pid4 = { q: 'pid=4', f: (s) => s.pid === 4 }, both = { q: 'pid=4&pid=4321&pid=4', f: () => true };
  const tid1 = { q: `tid=${t1}`, f: (s) => s.tid === t1 }, tid12 = { q: `tid=${t1}&tid=${t2}`, f: (s) => s.tid === t1 || s.tid === t2 };
  const cpuOf = (pick) => { const c = o.stacks.find(pick).cpu; return { q: `cpus=${c}`, f: (s) => s.cpu === c }; };
  // module filters (a stack holding one of the modules; module trees serve them from the
  // stored counts) alone and with the others, and two or three filters together
  const mod = (...names) => ({ q: names.map((n) => `module=${n}`).join('&'), module: true,
    f: (s) => s.frames.some((fr) => fr.module !== null && names.some((n) => n.toLowerCase() === fr.module.toLowerCase())) });
  const sels = [w1, w2, w3, cpu1, cpu02, pid4, both, { q: 'pid=999', f: () => false }, tid1, tid12,
    and(w1, cpu1), and(w2, pid4), and(w3, tid12), and(w2, cpu02),
    mod('TCPIP.sys'), mod('tedrdrv.sys', 'idmtdi.sys'), mod('absent.sys'), and(w1, mod('tcpip.sys')),
    and(pid4, mod('tedrdrv.sys')), and(and(w2, cpu02), mod('ntoskrnl.exe')), and(cpuOf((s) => s.tid === t2), tid12),
    and(and(w1, cpuOf((s) => s.pid === 4 && w1.f(s))), pid4), and(and(w2, tid1), mod('tedrdrv.sys'))];
  for (const sel of sels) {
    const stacks = o.stacks.filter(sel.f);
    if (sel.q !== 'pid=999' && sel.q !== 'module=absent.sys') assert.ok(stacks.length > 0, sel.q);
    for (const invert of [false, true]) {
      for (const [group, shares] of [['module', [0, 0.05]], ['frame', [0, 0.01]]]) {
        const want = oracleTree(stacks, { invert, byModule: group === 'module' });
        for (const share of shares) {
          const q = `${sel.q}&group=${group}&invert=${invert ? 1 : 0}&min_share=${share}`;
          const r = await getJson(`${srv.url}/api/runs/${id}/stacks/tree?${q}`);
          assert.equal(r.status, 200, q);
          const count = { nodes: 0, samples: 0 };
          assert.deepEqual(shape(r.body.root), pruned(want, share * want.value, count), q);
          assert.equal(r.body.total, stacks.length, q);
          assert.deepEqual(r.body.pruned, count, q);
        }
      }
    }
    for (const name of sel.module ? [] : ['ntoskrnl.exe', 'tcpip.sys', 'IDMTDI.SYS', 'tedrdrv.sys', 'absent.sys']) {
      const q = `${sel.q}&module=${name}`;
      const r = await getJson(`${srv.url}/api/runs/${id}/stacks/butterfly?${q}`);
      assert.equal(r.status, 200, q);
      const b = r.body;
      const sorted = (l) => [...l].sort((x, y) => y.value - x.value || (x.name < y.name ? -1 : 1));
      assert.deepEqual({ ...b, callers: sorted(b.callers), callees: sorted(b.callees) }, oracleButterfly(stacks, name), q);
    }
  }
});

// The server keeps each run's stack nodes in memory (db/db_stk_cache.h) for the views that
// walk stacks (frame trees of a window or filter, function trees). Their answers must equal
// the oracle's trees when the nodes are loaded (cold), when they are kept (warm), after the
// run gets a new version (resolving symbols again writes a new file: a new entry), and byte
// for byte those of a server that keeps nothing (--stack-cache 0).
test('answers from kept stack nodes equal the oracle\'s, cold, warm, after a new version and without the cache', async () => {
  const g = generate(srv.dir, 'kept', { ...story, duration_s: 2 }, false);
  const o = scan(g.path, { stacks: true });
  const up = await uploadAndWait(srv.url, readFileSync(g.path), 'kept.etl');
  const { id, edit_token: token } = up.body.run;
  const run = (await getJson(`${srv.url}/api/runs/${id}`)).body;
  const slice = (s) => Number(s.ticks * 100n / 100000000n); // as in the test above
  const inWin = (s) => slice(s) >= 2 && slice(s) <= 7; // from 250 to 750 ms: slices 2..7
  const win = `from=${run.start + 250}&to=${run.start + 750}`;
  const sels = [
    { q: `group=frame&${win}`, f: inWin },
    { q: `group=frame&invert=1&${win}&cpus=1`, f: (s) => inWin(s) && s.cpu === 1, invert: true },
    { q: 'group=function', f: () => true }, // no symbols: named as frames, walked whole
    { q: `group=function&invert=1&pid=${o.stacks[0].pid}`, f: (s) => s.pid === o.stacks[0].pid, invert: true },
  ];
  const health = async (s) => (await getJson(`${s.url}/api/health`)).body.stack_nodes;
  const answers = async (s, run, pass) => {
    const out = [];
    for (const sel of sels) {
      const r = await fetch(`${s.url}/api/runs/${run}/stacks/tree?${sel.q}&min_share=0&pass=${pass}`);
      assert.equal(r.status, 200, sel.q);
      out.push(await r.text());
    }
    return out;
  };
  // the upload's job says done once the run is queued to the warmer (server/warm.h): its
  // nodes are loaded by it, not by the first walk
  const h0 = await waitFor(async () => { const h = await health(srv); return !h.warm.busy && h; },
    { timeout: 120000, what: 'the warmer to finish' });
  const cold = await answers(srv, id, 1);
  sels.forEach((sel, i) => {
    const stacks = o.stacks.filter(sel.f), body = JSON.parse(cold[i]);
    assert.ok(stacks.length > 0, sel.q);
    assert.equal(body.total, stacks.length, sel.q);
    assert.deepEqual(shape(body.root), pruned(oracleTree(stacks, { invert: !!sel.invert, byModule: false }), 0, { nodes: 0, samples: 0 }), sel.q);
  });
  const h1 = await health(srv);
  assert.equal(h1.loads, h0.loads); // loaded once, by the warmer, for the four walks
  assert.ok(h1.hits >= h0.hits + sels.length);
  assert.ok(h1.bytes > 0);
  assert.deepEqual(await answers(srv, id, 2), cold); // warm
  const h2 = await health(srv);
  assert.equal(h2.loads, h1.loads);
  assert.ok(h2.hits >= h1.hits + sels.length);

  // a new version of the run's file
  const etag = (await fetch(`${srv.url}/api/runs/${id}/stacks/tree?${sels[0].q}`)).headers.get('etag');
  const r = await fetch(`${srv.url}/api/runs/${id}/symbols/resolve`, { method: 'POST', headers: { 'X-Edit-Token': token } });
  assert.equal(r.status, 200, await r.text());
  assert.notEqual((await fetch(`${srv.url}/api/runs/${id}/stacks/tree?${sels[0].q}`)).headers.get('etag'), etag);
  assert.deepEqual(await answers(srv, id, 3), cold);
  const h3 = await health(srv);
  assert.equal(h3.loads, h2.loads + 1); // the new version's own entry
  assert.equal(h3.runs, h2.runs); // the old version's dropped

  // a server that keeps nothing answers the same bytes
  const bare = await startServer(['--stack-cache', '0']);
  try {
    assert.equal(await health(bare), null);
    const other = (await uploadDone(bare.url, readFileSync(g.path), 'kept.etl')).id;
    assert.deepEqual(await answers(bare, other, 1), cold);
  } finally {
    await bare.stop();
  }
});
