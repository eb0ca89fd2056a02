// symbols_run.test.mjs — symbols inside runs (issue 14): the debug identity each module of an
// uploaded trace carries, the symbol job that resolves DPC/ISR routines with a symbol server
// on loopback (node:http serving a SymStore directory), and PDB uploads for a run. The PDB is
// the one tests/symbols/gen_pdb.sh builds (clang-cl + lld-link; skipped without them);
// expected names, RVAs and the GUID key come from its expect.txt (llvm-pdbutil output), never
// from etlscope.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { repo, tempDir, startServer, getJson, uploadAndWait } from '../support/server.mjs';
import { generate } from '../support/etlgen.mjs';

const dir = tempDir('etlscope-symrun-');
let gen = null;
try {
  execFileSync(join(repo, 'tests', 'symbols', 'gen_pdb.sh'), [join(dir, 'gen')], { stdio: 'pipe' });
  gen = join(dir, 'gen');
} catch (e) {
  if (e.status !== 77) throw e;
}
const skip = gen ? false : 'clang-cl / lld-link / llvm-pdbutil not installed';
const expect = gen ? readFileSync(join(gen, 'expect.txt'), 'utf8').trim().split('\n').map((l) => l.split(' ')) : [];
const key = expect.find((r) => r[0] === 'guid')?.[1] ?? '';
const procs = expect.filter((r) => r[0] === 'proc').map(([, name, rva]) => ({ name, rva: Number(rva) }));
const pdbBytes = gen ? readFileSync(join(gen, 'etlfix.pdb')) : null;
const braced = (k) => `{${k.slice(0, 8)}-${k.slice(8, 12)}-${k.slice(12, 16)}-${k.slice(16, 20)}-${k.slice(20, 32)}}`;

const hits = [];
const store = http.createServer((req, res) => {
  hits.push(req.url);
  const [, area, name, k, file] = req.url.split('/');
  if (area === 'good' && name === 'etlfix.pdb' && k === key && file === 'etlfix.pdb') {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    res.end(pdbBytes);
    return;
  }
  res.writeHead(404);
  res.end();
});
let storeUrl;
before(async () => {
  await new Promise((r) => store.listen(0, '127.0.0.1', r));
  storeUrl = `http://127.0.0.1:${store.address().port}`;
});
after(() => {
  store.closeAllConnections();
  store.close();
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
        pdb: { name: 'D:\\build\\etlfix.pdb', guid: braced(guidKey), age: parseInt(guidKey.slice(32), 16), timestamp: 1600000000 } },
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
