// symbols_run.test.mjs — symbols inside runs (issue 14): the debug identity each module of an
// uploaded trace carries, the symbol job that resolves DPC/ISR routines with a symbol server
// on loopback (node:http serving a SymStore directory), and PDB uploads for a run. The PDB is
// the one tests/symbols/gen_pdb.sh builds (clang-cl + lld-link; skipped without them);
// expected names, RVAs and the GUID key come from its expect.txt (llvm-pdbutil output), never
// from etlscope.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, startServer, getJson, uploadAndWait, waitFor } from '../support/server.mjs';
import { generate } from '../support/etlgen.mjs';
import { buildPdb, bracedGuid, startSymStore, modulesOf, settled } from '../support/symbols.mjs';

const dir = tempDir('etlscope-symrun-');
const { gen, skip, key, procs, pdbBytes } = buildPdb(dir);

let symStore, storeUrl;
before(async () => {
  symStore = await startSymStore(({ area, name, key: k, file }) =>
    (area === 'good' && name === 'etlfix.pdb' && k === key && file === 'etlfix.pdb' ? pdbBytes : null));
  storeUrl = symStore.url;
});
after(() => {
  symStore.stop();
  rmSync(dir, { recursive: true, force: true });
});

const BASE = 0xfffff80005000000n;
// etlfix.sys: every DPC at one known procedure (the second one of the PDB, at offset 0);
// plain.sys: no debug identity in the trace.
function trace(name, guidKey = key) {
  const target = procs[1] || procs[0];
  return generate(dir, name, {
    cpus: 2, duration_s: 0.05, seed: 3,
    modules: [
      { name: 'etlfix.sys', base: `0x${BASE.toString(16)}`, size: 0x10000, routine_rva: target.rva,
        dpc: { rate: 2000, duration_us: { dist: 'fixed', value: 150 } },
        pdb: { name: 'D:\\build\\etlfix.pdb', guid: bracedGuid(guidKey), age: parseInt(guidKey.slice(32), 16), timestamp: 1600000000 } },
      { name: 'plain.sys', base: '0xfffff80006000000', size: 0x10000,
        dpc: { rate: 1000, duration_us: { dist: 'fixed', value: 120 } } },
    ],
  }, false);
}

test('each module of a run carries the debug identity from the trace, or says it has none', { skip }, async () => {
  const srv = await startServer();
  try {
    const t = trace('ident');
    const up = await uploadAndWait(srv.url, readFileSync(t.path), 'ident.etl');
    assert.equal(up.body.state, 'done', JSON.stringify(up.body));
    const mods = (await getJson(`${srv.url}/api/runs/${up.body.run.id}/modules`)).body.modules;
    const fix = mods.find((m) => m.name === 'etlfix.sys');
    const plain = mods.find((m) => m.name === 'plain.sys');
    assert.deepEqual([fix.symbols.pdb, fix.symbols.guid + fix.symbols.age.toString(16).toUpperCase()],
      ['D:\\build\\etlfix.pdb', key]);
    assert.equal(fix.symbols.status, 'pending'); // no --symbol-path on this server
    assert.equal(plain.symbols.status, 'no_identity');
    assert.equal(plain.symbols.pdb, null);
    assert.match(plain.symbols.why, /DbgID_RSDS/);
  } finally {
    await srv.stop();
  }
});

const target = () => procs[1] || procs[0];
// The DPC finding of etlfix.sys (its DPCs last 150 µs, above the 100 µs guideline).
async function dpcFinding(srv, run) {
  const f = (await getJson(`${srv.url}/api/runs/${run}/findings`)).body.findings;
  const mine = f.filter((x) => x.id.startsWith('dpc-') && x.numbers.module === 'etlfix.sys');
  assert.equal(mine.length, 1, JSON.stringify(f.map((x) => x.id)));
  return mine[0];
}
async function longest(srv, run) {
  return (await getJson(`${srv.url}/api/runs/${run}/dpcisr/events?limit=1000`)).body.events;
}

test('the symbol job names the DPC routines of a module whose PDB the symbol server has', { skip }, async () => {
  const srv = await startServer(['--symbol-path', `srv*${join(dir, 'cache1')}*${storeUrl}/good`]);
  try {
    const up = await uploadAndWait(srv.url, readFileSync(trace('good').path), 'good.etl');
    const run = up.body.run.id;
    const fix = await settled(srv, run, 'etlfix.sys');
    assert.equal(fix.symbols.status, 'resolved', fix.symbols.why);
    assert.ok(symStore.hits.includes(`/good/etlfix.pdb/${key}/etlfix.pdb`));
    const ev = await longest(srv, run);
    const mine = ev.filter((e) => e.module === 'etlfix.sys');
    assert.ok(mine.length > 0);
    for (const e of mine) assert.equal(e.routine, `etlfix.sys!${target().name}+0x0`);
    // the module table names the routine of each module's longest DPC too
    const rows = (await getJson(`${srv.url}/api/runs/${run}/dpcisr/modules`)).body.modules;
    const row = rows.find((r) => r.name === 'etlfix.sys');
    assert.equal(row.dpc.longest_routine, `etlfix.sys!${target().name}+0x0`);
    assert.equal(row.dpc.longest_function, target().name);
    assert.equal(row.isr, null);
    assert.match(rows.find((r) => r.name === 'plain.sys').dpc.longest_routine, /^plain\.sys\+0x[0-9a-f]+$/);
    // and the finding's sentence names the function of the longest one
    const fd = await dpcFinding(srv, run);
    assert.ok(fd.sentence.includes(`the longest 150 µs in etlfix.sys!${target().name},`), fd.sentence);
    assert.equal(fd.numbers.longest_routine, `etlfix.sys!${target().name}`);
    // plain.sys has no identity: its routines stay module+offset
    const other = ev.filter((e) => e.module === 'plain.sys');
    assert.ok(other.length > 0);
    for (const e of other) assert.match(e.routine, /^plain\.sys\+0x[0-9a-f]+$/);
  } finally {
    await srv.stop();
  }
});

test('a symbol server answering 404 leaves module+offset and /modules says not_found and why', { skip }, async () => {
  const srv = await startServer(['--symbol-path', `srv*${join(dir, 'cache2')}*${storeUrl}/none`]);
  try {
    const up = await uploadAndWait(srv.url, readFileSync(trace('miss').path), 'miss.etl');
    const run = up.body.run.id;
    const fix = await settled(srv, run, 'etlfix.sys');
    assert.equal(fix.symbols.status, 'not_found');
    assert.match(fix.symbols.why, /404|not found/i);
    assert.match(fix.symbols.why, /^uploaded PDBs: /); // the server's data directory stays private
    assert.ok(!fix.symbols.why.includes(srv.dir), fix.symbols.why);
    const mine = (await longest(srv, run)).filter((e) => e.module === 'etlfix.sys');
    assert.ok(mine.length > 0);
    for (const e of mine) assert.equal(e.routine, `etlfix.sys+0x${target().rva.toString(16)}`);
    const row = (await getJson(`${srv.url}/api/runs/${run}/dpcisr/modules`)).body.modules.find((r) => r.name === 'etlfix.sys');
    assert.equal(row.dpc.longest_routine, `etlfix.sys+0x${target().rva.toString(16)}`);
    assert.equal(row.dpc.longest_function, undefined);
    const fd = await dpcFinding(srv, run);
    assert.ok(!fd.sentence.includes('etlfix.sys!'), fd.sentence);
    assert.equal(fd.numbers.longest_routine, undefined);
  } finally {
    await srv.stop();
  }
});

async function uploadPdb(srv, run, token, bytes, file = 'etlfix.pdb') {
  const res = await fetch(`${srv.url}/api/runs/${run}/symbols?file=${file}`, {
    method: 'POST', body: bytes, headers: { 'Content-Type': 'application/octet-stream', 'X-Edit-Token': token },
  });
  return { status: res.status, body: await res.json() };
}

test('a PDB uploaded for a run resolves its module later; a wrong one, a corrupt one or no token is refused', { skip }, async () => {
  const srv = await startServer(); // no symbol path: nothing resolves until the upload
  try {
    const up = await uploadAndWait(srv.url, readFileSync(trace('later').path), 'later.etl');
    const { id: run, edit_token: token } = up.body.run;
    assert.equal((await modulesOf(srv, run)).find((m) => m.name === 'etlfix.sys').symbols.status, 'pending');

    // A PDB of another build: the trace asks for another GUID.
    const otherKey = key.slice(0, 31) + (key[31] === '0' ? '1' : '0') + key.slice(32);
    const up2 = await uploadAndWait(srv.url, readFileSync(trace('otherguid', otherKey).path), 'other.etl');
    const wrong = await uploadPdb(srv, up2.body.run.id, up2.body.run.edit_token, pdbBytes);
    assert.equal(wrong.status, 400);
    assert.match(wrong.body.error, /no module of this run/);

    const corrupt = await uploadPdb(srv, run, token, pdbBytes.subarray(0, pdbBytes.length >> 1));
    assert.equal(corrupt.status, 400);
    assert.equal((await uploadPdb(srv, run, 'f'.repeat(32), pdbBytes)).status, 403);
    assert.equal((await uploadPdb(srv, run, token, pdbBytes, '..%2Fx.pdb')).status, 400);
    assert.equal((await modulesOf(srv, run)).find((m) => m.name === 'etlfix.sys').symbols.status, 'pending');
    // findings computed (and stored) before the PDB arrives have no name yet
    assert.ok(!(await dpcFinding(srv, run)).sentence.includes('etlfix.sys!'));

    const ok = await uploadPdb(srv, run, token, pdbBytes);
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    const fix = (await modulesOf(srv, run)).find((m) => m.name === 'etlfix.sys');
    assert.equal(fix.symbols.status, 'resolved');
    const mine = (await longest(srv, run)).filter((e) => e.module === 'etlfix.sys');
    assert.ok(mine.length > 0);
    for (const e of mine) assert.equal(e.routine, `etlfix.sys!${target().name}+0x0`);
    // the stored findings were dropped with the new names: recomputed, they name it
    assert.ok((await dpcFinding(srv, run)).sentence.includes(`etlfix.sys!${target().name}`));
  } finally {
    await srv.stop();
  }
});

test('etlscope ingest --symbol-path names the routines in line (a local SymStore directory)', { skip }, async () => {
  const { binary } = await import('../support/server.mjs');
  const { mkdirSync, copyFileSync } = await import('node:fs');
  const local = join(dir, 'localstore');
  mkdirSync(join(local, 'etlfix.pdb', key), { recursive: true });
  copyFileSync(join(gen, 'etlfix.pdb'), join(local, 'etlfix.pdb', key, 'etlfix.pdb'));
  const out = execFileSync(binary, ['ingest', '--db', join(dir, 'cli.db'), '--data-dir', join(dir, 'cli-data'), '--json', '--symbol-path', local, trace('cli').path], { encoding: 'utf8' });
  const doc = JSON.parse(out.trim());
  assert.deepEqual(doc.symbols, { modules: 1, resolved: 1, names: 1 });
});

test('a symbol server that never answers holds up neither the next ingest nor the shutdown', { skip }, async () => {
  const srv = await startServer(['--symbol-path', `srv*${join(dir, 'cache3')}*${storeUrl}/slow`]);
  const first = await uploadAndWait(srv.url, readFileSync(trace('slow1').path), 'slow1.etl');
  await waitFor(() => symStore.held.length > 0, { what: 'the symbol job to ask the slow server' });
  // The symbol job is stuck on the first run; the next upload is still ingested.
  const second = await uploadAndWait(srv.url, readFileSync(trace('slow2').path), 'slow2.etl');
  assert.equal(second.body.state, 'done');
  const fix = (await modulesOf(srv, first.body.run.id)).find((m) => m.name === 'etlfix.sys');
  assert.equal(fix.symbols.status, 'pending');
  await srv.stop(); // exits 0: the download in progress is cancelled
});
