// compare_stacks.test.mjs — GET /api/compare/stacks: the differential call tree of two runs
// merged on the server. Two etlgen scenarios of the TDI-filter story, before (idmtdi.sys
// under tcpip.sys on most stacks, an EDR module on the rest, 2 s) and after removing the
// filter (1 s, and 2 s): every node's counts, shares and per-second value/delta worked out
// by hand from the scenarios' exact per-module sample counts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer, uploadDone, getJson } from '../support/server.mjs';
import { generate } from '../support/etlgen.mjs';

let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv.stop(); });

const mod = (name, base, size, samples) => ({ name, path: `\\SystemRoot\\System32\\drivers\\${name}`, base, size, samples });
const nt = mod('ntoskrnl.exe', '0xfffff80070600000', 8388608, { weight: 1 });
const tcpip = mod('tcpip.sys', '0xfffff80072000000', 2097152);
const idm = mod('idmtdi.sys', '0xfffff80073000000', 65536, { weight: 7, stack: ['tcpip.sys', 'ntoskrnl.exe'] });
const edr = mod('tedrdrv.sys', '0xfffff80074000000', 262144, { weight: 2, stack: ['ntoskrnl.exe'] });
const scen = (duration_s, modules, seed) => ({ cpus: 4, pointer_size: 8, compressed: false, buffer_size: 65536,
  duration_s, seed, sample_rate_hz: 1000, process_pid: 4321, modules });

// Uploads a scenario; returns {id, n: module → samples_ip, total, seconds}.
async function load(name, sc) {
  const g = generate(srv.dir, name, sc, false);
  const n = Object.fromEntries(g.expected.modules.map((m) => [m.name, m.samples_ip]));
  const id = (await uploadDone(srv.url, readFileSync(g.path), `${name}.etl`)).id;
  return { id, n, total: g.expected.samples, seconds: sc.duration_s };
}

const cmp = async (q) => {
  const r = await getJson(`${srv.url}/api/compare/stacks?${q}`);
  assert.equal(r.status, 200, `${q}: ${JSON.stringify(r.body)}`);
  return r.body;
};
const close = (a, b) => Math.abs(a - b) < 1e-9 * Math.max(1, Math.abs(b));
// The node's fields the test checks, children by name.
const shape = (n) => ({ name: n.name, base: n.base, other: n.other, children: n.children.map(shape).sort((a, b) => a.name.localeCompare(b.name)) });

let A, B, C;
test('before/after removing the filter: exact merged module tree, shares and per-second deltas', async () => {
  A = await load('cs-before', scen(2, [nt, tcpip, idm, edr], 13));
  B = await load('cs-after', scen(1, [nt, tcpip, edr], 14));
  assert.equal(A.n['ntoskrnl.exe'] + A.n['idmtdi.sys'] + A.n['tedrdrv.sys'], A.total);
  assert.equal(B.n['ntoskrnl.exe'] + B.n['tedrdrv.sys'], B.total);
  const d = await cmp(`runs=${A.id},${B.id}&group=module&min_share=0`);
  assert.equal(d.base, A.id);
  assert.equal(d.other, B.id);
  assert.equal(d.base_total, A.total);
  assert.equal(d.other_total, B.total);
  assert.equal(d.normalised, 'per_second'); // 2 s against 1 s
  // the trace lengths the writer was asked for (its header's span; within a sample period)
  assert.ok(Math.abs(d.base_duration_ms - 2000) <= 2 && Math.abs(d.other_duration_ms - 1000) <= 2,
    `${d.base_duration_ms} ${d.other_duration_ms}`);
  const leaf = (name, base, other) => ({ name, base, other, children: [] });
  assert.deepEqual(shape(d.root), {
    name: 'all', base: A.total, other: B.total, children: [{
      name: 'ntoskrnl.exe', base: A.total, other: B.total, children: [
        { name: 'tcpip.sys', base: A.n['idmtdi.sys'], other: 0, children: [leaf('idmtdi.sys', A.n['idmtdi.sys'], 0)] },
        leaf('tedrdrv.sys', A.n['tedrdrv.sys'], B.n['tedrdrv.sys']),
      ],
    }],
  });
  // shares of each run's own total; value/delta per second of each run's length
  const sa = d.base_duration_ms / 1000, sb = d.other_duration_ms / 1000;
  const kern = d.root.children[0];
  const edrNode = kern.children.find((c) => c.name === 'tedrdrv.sys');
  assert.ok(close(edrNode.base_share, A.n['tedrdrv.sys'] / A.total));
  assert.ok(close(edrNode.other_share, B.n['tedrdrv.sys'] / B.total));
  assert.ok(close(edrNode.value, B.n['tedrdrv.sys'] / sb));
  assert.ok(close(edrNode.delta, B.n['tedrdrv.sys'] / sb - A.n['tedrdrv.sys'] / sa));
  const filt = kern.children.find((c) => c.name === 'tcpip.sys').children[0];
  assert.equal(filt.value, 0);
  assert.ok(close(filt.delta, -A.n['idmtdi.sys'] / sa));
  assert.equal(filt.other_share, 0);
  assert.equal(filt.module, 'idmtdi.sys');
  assert.equal(filt.kernel, true);
  assert.deepEqual(d.pruned, { nodes: 0, base: 0, other: 0 });
});

test('same lengths: raw counts; ?base= swaps the sides; pruning folds into (rest) per parent', async () => {
  C = await load('cs-after2', scen(2, [nt, tcpip, edr], 15));
  const d = await cmp(`runs=${C.id},${A.id}&base=${A.id}&group=module&min_share=0`);
  assert.equal(d.base, A.id);
  assert.equal(d.baseline_rule, 'the run chosen as baseline');
  assert.equal(d.normalised, 'none');
  const edrNode = d.root.children[0].children.find((c) => c.name === 'tedrdrv.sys');
  assert.equal(edrNode.value, C.n['tedrdrv.sys']);
  assert.equal(edrNode.delta, C.n['tedrdrv.sys'] - A.n['tedrdrv.sys']);
  assert.equal(d.root.delta, C.total - A.total);
  // Under the ntoskrnl.exe node: tcpip.sys (the filter's path) and tedrdrv.sys; a
  // min_share above tedrdrv.sys's share in both runs and below tcpip.sys's folds tedrdrv.sys.
  const edrMax = Math.max(A.n['tedrdrv.sys'] / A.total, C.n['tedrdrv.sys'] / C.total);
  assert.ok(edrMax < A.n['idmtdi.sys'] / A.total);
  const p = await cmp(`runs=${A.id},${C.id}&group=module&min_share=${edrMax + 1e-6}`);
  assert.deepEqual(p.root.children[0].children.map((c) => [c.name, c.base, c.other]),
    [['tcpip.sys', A.n['idmtdi.sys'], 0], ['(rest)', A.n['tedrdrv.sys'], C.n['tedrdrv.sys']]]);
  assert.deepEqual(p.pruned, { nodes: 1, base: A.n['tedrdrv.sys'], other: C.n['tedrdrv.sys'] });
  // A module filter applies to both runs: only stacks through tedrdrv.sys.
  const m = await cmp(`runs=${A.id},${C.id}&group=module&module=tedrdrv.sys`);
  assert.equal(m.base_total, A.n['tedrdrv.sys']);
  assert.equal(m.other_total, C.n['tedrdrv.sys']);
  // Frame mode: the same totals, nodes named module+0xOFFSET.
  const f = await cmp(`runs=${A.id},${C.id}&min_share=0`);
  assert.equal(f.group, 'frame');
  assert.equal(f.root.base, A.total);
  assert.match(f.root.children[0].name, /^ntoskrnl\.exe\+0x[0-9a-f]+$/);
});

test('bad compare/stacks requests get clear errors', async () => {
  for (const [q, st] of [['', 400], [`runs=${A.id}`, 400], [`runs=${A.id},${A.id}`, 400],
    [`runs=${A.id},${B.id},${C.id}`, 400], [`runs=${A.id},${'0'.repeat(32)}`, 404], [`runs=${A.id},../x`, 404],
    [`runs=${A.id},${B.id}&base=${C.id}`, 400], [`runs=${A.id},${B.id}&from=0`, 400], [`runs=${A.id},${B.id}&pid=4`, 400],
    [`runs=${A.id},${B.id}&group=x`, 400], [`runs=${A.id},${B.id}&min_share=3`, 400]]) {
    const r = await getJson(`${srv.url}/api/compare/stacks?${q}`);
    assert.equal(r.status, st, q);
    assert.equal(typeof r.body.error, 'string', q);
  }
});
