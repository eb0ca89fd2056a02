// symbols_stacks.test.mjs — function names in call stacks (issue 14): after the symbol job,
// the call tree (top-down and inverted), the function view, the flame graph's tree and the
// folded/speedscope exports show module!function for frames whose module has a PDB; a
// symbol server answering 404 leaves module+0xOFFSET and /modules says why. The new version
// the symbol job publishes has its stacks kept (server/warm.h) before its first stack request.
// The PDB is tests/symbols/gen_pdb.sh's (clang-cl + lld-link; skipped without them); the
// function names and RVAs come from its expect.txt (llvm-pdbutil), the sample counts from the
// trace writer's expected aggregates — never from etlscope.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, startServer, getJson, uploadAndWait, waitFor } from '../support/server.mjs';
import { generate } from '../support/etlgen.mjs';
import { buildPdb, bracedGuid, startSymStore, modulesOf, settled } from '../support/symbols.mjs';

const dir = tempDir('etlscope-symstk-');
const { skip, key, procs, pdbBytes } = buildPdb(dir);

let symStore;
let flipHas = false; // area 'flip' has the PDB only once a test sets this
before(async () => {
  symStore = await startSymStore(({ area, name, key: k, file }) =>
    ((area === 'good' || (area === 'flip' && flipHas)) && name === 'etlfix.pdb' && k === key && file === 'etlfix.pdb' ? pdbBytes : null));
});
after(() => {
  symStore.stop();
  rmSync(dir, { recursive: true, force: true });
});

// Two procedures of the PDB: the sampled one (A, IPs at its first two bytes) and its caller (B).
const A = () => procs[1] || procs[0];
const B = () => procs[0];
const identity = () => ({ name: 'D:\\build\\etlfix.pdb', guid: bracedGuid(key), age: parseInt(key.slice(32), 16), timestamp: 1600000000 });
// etlcall.sys and etlfix.sys are two images built from the one test PDB; plain.sys has no
// debug identity. Every stack: IP in etlfix.sys or plain.sys, called from etlcall.sys!B.
function trace(name) {
  return generate(dir, name, {
    cpus: 2, duration_s: 0.3, seed: 5, sample_rate_hz: 1000,
    modules: [
      { name: 'etlcall.sys', base: '0xfffff80005000000', size: 0x10000, frame_rvas: [B().rva], pdb: identity() },
      { name: 'etlfix.sys', base: '0xfffff80006000000', size: 0x10000, frame_rvas: [A().rva, A().rva + 1],
        samples: { weight: 3, stack: ['etlcall.sys'] }, pdb: identity() },
      { name: 'plain.sys', base: '0xfffff80007000000', size: 0x10000, frame_rvas: [0x1234],
        samples: { weight: 1, stack: ['etlcall.sys'] } },
    ],
    // a system service inside function A (2 bytes in): /syscalls names it
    syscalls: { count: 20, cpu: 0, tid: 2000, module: 'etlfix.sys', offset: A().rva + 2,
                duration_us: 1, gap_us: 10, sample_every: 0 },
  }, false);
}

async function api(srv, run, path) {
  const r = await getJson(`${srv.url}/api/runs/${run}/${path}`);
  assert.equal(r.status, 200, `${path}: ${JSON.stringify(r.body)}`);
  return r.body;
}
// A tag file whose one rule needs a function name (WPA's Method pattern): the first four
// letters of A's name then '*'. tagged: samples with that tag in the run's stacks.
async function tagByFunction(srv, run) {
  const xml = `<?xml version="1.0"?><Tag Name=""><Tag Name="A"><Entrypoint Module="ETLFIX.SYS" Method="${A().name.slice(0, 4)}*"/></Tag></Tag>`;
  const r = await fetch(`${srv.url}/api/runs/${run}/stacks/tags`, { method: 'POST', body: xml });
  const body = await r.json();
  assert.equal(r.status, 200, JSON.stringify(body));
  assert.equal(body.rules_needing_functions, 1);
  const t = body.tags.find((x) => x.tag === 'A');
  return t ? t.samples : 0;
}
const shape = (n) => ({ name: n.name, value: n.value, self: n.self, children: n.children.map(shape).sort((a, b) => (a.name < b.name ? -1 : 1)) });

test('after the symbol job, trees, the function view and the exports name frames module!function', { skip }, async () => {
  const srv = await startServer(['--symbol-path', `srv*${join(dir, 'cache1')}*${symStore.url}/good`]);
  try {
    const g = trace('named');
    const count = (n) => g.expected.modules.find((m) => m.name === n).samples_ip;
    const fix = count('etlfix.sys'), pl = count('plain.sys');
    assert.equal(fix + pl, g.expected.samples);
    assert.ok(fix > 0 && pl > 0);
    const up = await uploadAndWait(srv.url, readFileSync(g.path), 'named.etl');
    const run = up.body.run.id;
    for (const [name, frames, calls] of [['etlfix.sys', 2, 1], ['etlcall.sys', 1, 0]]) {
      const m = await settled(srv, run, name);
      assert.equal(m.symbols.status, 'resolved', m.symbols.why);
      assert.match(m.symbols.why, new RegExp(`\\b${frames} of ${frames} stack frame addresses and ${calls} of ${calls} syscall addresses named`));
    }
    const a = A().name, b = B().name;

    // Function view: the two offsets of A are one node; plain.sys keeps module+offset.
    const fn = await api(srv, run, 'stacks/tree?group=function&min_share=0');
    assert.equal(fn.group, 'function');
    assert.deepEqual(shape(fn.root), {
      name: 'all', value: fix + pl, self: 0, children: [{
        name: `etlcall.sys!${b}`, value: fix + pl, self: 0, children: [
          { name: `etlfix.sys!${a}`, value: fix, self: fix, children: [] },
          { name: 'plain.sys+0x1234', value: pl, self: pl, children: [] },
        ],
      }],
    });
    // Frame view: one node per offset, named with the offset inside the function.
    const fr = await api(srv, run, 'stacks/tree?min_share=0');
    const caller = fr.root.children[0];
    assert.equal(caller.name, `etlcall.sys!${b}+0x0`);
    const byName = new Map(caller.children.map((c) => [c.name, c.value]));
    assert.deepEqual([...byName.keys()].sort(), [`etlfix.sys!${a}+0x0`, `etlfix.sys!${a}+0x1`, 'plain.sys+0x1234']);
    assert.equal(byName.get(`etlfix.sys!${a}+0x0`) + byName.get(`etlfix.sys!${a}+0x1`), fix);
    // Inverted function view: the leaf function first, its caller under it.
    const inv = await api(srv, run, 'stacks/tree?group=function&invert=1&min_share=0');
    assert.deepEqual(shape(inv.root).children.find((c) => c.name === `etlfix.sys!${a}`),
      { name: `etlfix.sys!${a}`, value: fix, self: 0, children: [{ name: `etlcall.sys!${b}`, value: fix, self: fix, children: [] }] });
    // The module view is as before.
    const mod = await api(srv, run, 'stacks/tree?group=module&min_share=0');
    assert.deepEqual(mod.root.children.map((c) => c.name), ['etlcall.sys']);

    // Exports: folded by function, speedscope by frame.
    const folded = (await (await fetch(`${srv.url}/api/runs/${run}/stacks/export?format=folded&group=function`)).text()).trim().split('\n').sort();
    assert.deepEqual(folded, [`etlcall.sys!${b};etlfix.sys!${a} ${fix}`, `etlcall.sys!${b};plain.sys+0x1234 ${pl}`].sort());
    const ss = await (await fetch(`${srv.url}/api/runs/${run}/stacks/export?format=speedscope`)).json();
    const names = ss.shared.frames.map((f) => f.name).sort();
    assert.deepEqual(names, [`etlcall.sys!${b}+0x0`, `etlfix.sys!${a}+0x0`, `etlfix.sys!${a}+0x1`, 'plain.sys+0x1234']);
    const ssf = await (await fetch(`${srv.url}/api/runs/${run}/stacks/export?format=speedscope&group=function`)).json();
    assert.deepEqual(ssf.shared.frames.map((f) => f.name).sort(), [`etlcall.sys!${b}`, `etlfix.sys!${a}`, 'plain.sys+0x1234']);

    // Butterfly of a function: its callers and callees by function; of the module: as before.
    const bf = await api(srv, run, `stacks/butterfly?group=function&module=${encodeURIComponent(`ETLFIX.SYS!${a}`)}`);
    assert.deepEqual(bf, { module: `ETLFIX.SYS!${a}`, group: 'function', total: fix + pl, inclusive: fix, exclusive: fix,
      callers: [{ name: `etlcall.sys!${b}`, value: fix }], callees: [] });
    const bc = await api(srv, run, `stacks/butterfly?group=function&module=${encodeURIComponent(`etlcall.sys!${b}`)}`);
    assert.deepEqual(bc.callees.sort((x, y) => (x.name < y.name ? -1 : 1)),
      [{ name: `etlfix.sys!${a}`, value: fix }, { name: 'plain.sys+0x1234', value: pl }]);
    assert.equal(bc.inclusive, fix + pl);
    const bm = await api(srv, run, 'stacks/butterfly?module=etlfix.sys');
    assert.deepEqual(bm.callers, [{ name: 'etlcall.sys', value: fix }]);
    assert.equal((await getJson(`${srv.url}/api/runs/${run}/stacks/butterfly?module=etlfix.sys&group=frame`)).status, 400);

    // The syscall address is named too.
    const sc = (await api(srv, run, 'syscalls')).syscalls;
    assert.deepEqual(sc.map((r) => [r.module, r.offset, r.function, r.name, r.count]),
      [['etlfix.sys', `0x${(A().rva + 2).toString(16)}`, a, `etlfix.sys!${a}+0x2`, 20]]);
    // A stack tag with a function pattern now matches: every sample in A.
    assert.equal(await tagByFunction(srv, run), fix);
  } finally {
    await srv.stop();
  }
});

test('a symbol server answering 404 leaves module+0xOFFSET in stacks and /modules says why', { skip }, async () => {
  const srv = await startServer(['--symbol-path', `srv*${join(dir, 'cache2')}*${symStore.url}/none`]);
  try {
    const g = trace('missing');
    const fix = g.expected.modules.find((m) => m.name === 'etlfix.sys').samples_ip;
    const up = await uploadAndWait(srv.url, readFileSync(g.path), 'missing.etl');
    const run = up.body.run.id;
    const m = await settled(srv, run, 'etlfix.sys');
    assert.equal(m.symbols.status, 'not_found');
    assert.match(m.symbols.why, /404/);
    const hex = (n) => n.toString(16);
    const fn = await api(srv, run, 'stacks/tree?group=function&min_share=0');
    const caller = fn.root.children[0];
    assert.equal(caller.name, `etlcall.sys+0x${hex(B().rva)}`);
    // without names nothing merges: the two offsets of A stay apart
    const kids = caller.children.filter((c) => c.module === 'etlfix.sys');
    assert.deepEqual(kids.map((c) => c.name).sort(), [`etlfix.sys+0x${hex(A().rva)}`, `etlfix.sys+0x${hex(A().rva + 1)}`].sort());
    assert.equal(kids.reduce((s, c) => s + c.value, 0), fix);
    const sc = (await api(srv, run, 'syscalls')).syscalls;
    assert.deepEqual(sc.map((r) => [r.module, r.function, r.name]), [['etlfix.sys', undefined, undefined]]);
    // no names, so a function pattern matches nothing
    assert.equal(await tagByFunction(srv, run), 0);
  } finally {
    await srv.stop();
  }
});

const resolveAgain = (srv, run, token) => fetch(`${srv.url}/api/runs/${run}/symbols/resolve`, {
  method: 'POST', headers: { 'X-Edit-Token': token },
});

test('resolve again: after the symbol server gets the PDB, the run stacks are named and their ETags change', { skip }, async () => {
  const srv = await startServer(['--symbol-path', `srv*${join(dir, 'cache3')}*${symStore.url}/flip`]);
  try {
    const g = trace('again');
    const up = await uploadAndWait(srv.url, readFileSync(g.path), 'again.etl');
    const { id: run, edit_token: token } = up.body.run;
    assert.equal((await settled(srv, run, 'etlfix.sys')).symbols.status, 'not_found');
    const url = `${srv.url}/api/runs/${run}/stacks/tree?group=function&min_share=0`;
    const first = await fetch(url);
    const tag = first.headers.get('etag');
    assert.ok(tag);
    assert.equal(first.status, 200);
    const before = (await first.json()).root.children[0].name;
    assert.equal(before, `etlcall.sys+0x${B().rva.toString(16)}`);
    assert.equal((await fetch(url, { headers: { 'If-None-Match': tag } })).status, 304);

    assert.equal((await resolveAgain(srv, run, 'f'.repeat(32))).status, 403);
    flipHas = true; // the server now has the PDB
    const r = await resolveAgain(srv, run, token);
    assert.equal(r.status, 202, await r.text());
    const m = await settled(srv, run, 'etlfix.sys');
    assert.equal(m.symbols.status, 'resolved', m.symbols.why);
    const again = await fetch(url, { headers: { 'If-None-Match': tag } });
    assert.equal(again.status, 200); // the old tag no longer matches
    assert.notEqual(again.headers.get('etag'), tag);
    assert.equal((await again.json()).root.children[0].name, `etlcall.sys!${B().name}`);
  } finally {
    flipHas = false;
    await srv.stop();
  }
});

test('resolve again without a symbol path reads the uploaded PDBs at once; unknown runs answer 404', { skip }, async () => {
  const srv = await startServer();
  try {
    const up = await uploadAndWait(srv.url, readFileSync(trace('local').path), 'local.etl');
    const { id: run, edit_token: token } = up.body.run;
    const r = await resolveAgain(srv, run, token);
    assert.equal(r.status, 200);
    // two modules carry the PDB identity; nothing uploaded yet, so nothing resolves
    assert.deepEqual(await r.json(), { state: 'done', modules: 2, resolved: 0, names: 0 });
    const m = (await modulesOf(srv, run)).find((x) => x.name === 'etlfix.sys');
    assert.equal(m.symbols.status, 'not_found');
    assert.equal((await resolveAgain(srv, '0'.repeat(32), token)).status, 404);
  } finally {
    await srv.stop();
  }
});

const keptStacks = async (srv) => (await getJson(`${srv.url}/api/health`)).body.stack_nodes;

test('the symbol job\'s new version has its stacks kept before its first stack request', { skip }, async () => {
  const srv = await startServer(['--symbol-path', `srv*${join(dir, 'cache5')}*${symStore.url}/good`]);
  try {
    const up = await uploadAndWait(srv.url, readFileSync(trace('warmed').path), 'warmed.etl');
    const run = up.body.run.id;
    assert.equal((await settled(srv, run, 'etlfix.sys')).symbols.status, 'resolved');
    // two warms are queued: the ingest's, then the new version's (which replaces the first if
    // it still waits or runs); once idle, each has ended counted once
    const ended = (w) => w.warmed + w.not_kept + w.yielded + w.dropped;
    const h1 = await waitFor(async () => { const h = await keptStacks(srv); return !h.warm.busy && ended(h.warm) === 2 && h; },
      { timeout: 30000, what: 'the new version\'s warm' });
    assert.equal(h1.warm.not_kept, 0);
    assert.equal(h1.warm.yielded, 0);
    assert.ok(h1.warm.warmed >= 1);
    assert.equal(h1.runs, 1); // one version kept (a kept newer one drops the older)
    assert.ok(h1.loads >= 1);
    assert.equal(h1.hits, 0); // no request asked for them
    // a walk over a window of one CPU: named (the new version), and a hit, not a load
    const info = (await getJson(`${srv.url}/api/runs/${run}`)).body;
    const fn = await api(srv, run, `stacks/tree?group=function&min_share=0&cpus=0,1&from=${info.start}&to=${info.start + 1000}`);
    assert.equal(fn.root.children[0].name, `etlcall.sys!${B().name}`);
    const h2 = await keptStacks(srv);
    assert.equal(h2.loads, h1.loads);
    assert.equal(h2.hits, 1);
  } finally {
    await srv.stop();
  }
});
