// symbols.test.mjs — `etlscope symbols` against a symbol server on loopback, started here with
// node:http and serving a SymStore directory that holds the PDB tests/symbols/gen_pdb.sh builds
// (clang-cl + lld-link; skipped without them). Expected names and RVAs come from gen_pdb.sh's
// expect.txt (llvm-pdbutil output), the GUID key too. Cases: a plain download, the cache
// answering the second time, the CAB-compressed name.pd_ (made with gcab), 404, a server that
// never answers, a PDB with another GUID, a corrupt PDB, a download over the size limit, the
// order of sources, the cache cap, and end to end from a trace written by etlgen with the
// image's DbgID_RSDS event to names.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, existsSync, mkdirSync, copyFileSync, statSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { binary, tempDir } from '../support/server.mjs';
import { buildPdb, startSymStore } from '../support/symbols.mjs';

const dir = tempDir('etlscope-sym-');
const { gen, skip, key, procs, pdbBytes } = buildPdb(dir);
// A key that names no PDB we have: the last GUID digit changed.
const otherKey = key && key.slice(0, 31) + (key[31] === '0' ? '1' : '0') + key.slice(32);

let cab = null;
try {
  if (gen) {
    execFileSync('gcab', ['-c', '-z', '-n', join(dir, 'etlfix.pd_'), join(gen, 'etlfix.pdb')], { stdio: 'pipe' });
    cab = readFileSync(join(dir, 'etlfix.pd_'));
  }
} catch { cab = null; }

function serve({ area, name, key: k, file }) {
  if (name === 'etlfix.pdb' && file === 'etlfix.pdb') {
    if (area === 'good' && k === key) return pdbBytes;
    if (area === 'wrong') return pdbBytes; // whatever GUID was asked for
    if (area === 'corrupt' && k === key) return pdbBytes.subarray(0, pdbBytes.length >> 1);
  }
  if (area === 'cab' && name === 'etlfix.pdb' && k === key && file === 'etlfix.pd_' && cab) return cab;
  return null;
}
let symStore, base;

before(async () => {
  symStore = await startSymStore(serve);
  base = symStore.url;
});
after(() => {
  symStore.stop();
  rmSync(dir, { recursive: true, force: true });
});

// Runs `etlscope symbols ARGS…` without blocking this process's HTTP server.
function symbols(args) {
  return new Promise((resolve) => {
    execFile(binary, ['symbols', ...args], { encoding: 'utf8' }, (err, stdout, stderr) =>
      resolve({ status: err ? err.code : 0, stdout, stderr }));
  });
}
const rvas = () => procs.map((p) => `0x${p.rva.toString(16)}`);
function assertNames(stdout) {
  for (const p of procs) assert.match(stdout, new RegExp(`^0x${p.rva.toString(16)} ${p.name}\\+0x0$`, 'm'));
}

test('a symbol server download resolves every procedure, and the cache answers next time', { skip }, async () => {
  const cache = join(dir, 'c1');
  const r = await symbols(['--symbol-path', `srv*${cache}*${base}/good`, '--name', 'D:\\build\\etlfix.pdb', '--id', key, ...rvas()]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const stored = join(cache, 'etlfix.pdb', key, 'etlfix.pdb');
  assert.match(r.stdout, new RegExp(`^found ${stored}$`, 'm'));
  assertNames(r.stdout);
  assert.equal(statSync(stored).size, pdbBytes.length);
  const before2 = symStore.hits.length;
  const again = await symbols(['--symbol-path', `srv*${cache}*${base}/good`, '--name', 'etlfix.pdb', '--id', key, ...rvas()]);
  assert.equal(again.status, 0);
  assertNames(again.stdout);
  assert.equal(symStore.hits.length, before2, 'the second lookup must come from the cache');
});

test('a compressed name.pd_ is fetched after the .pdb 404s and expanded', { skip: skip || (!cab && 'gcab not installed') }, async () => {
  const cache = join(dir, 'c2');
  const r = await symbols(['--symbol-path', `srv*${cache}*${base}/cab`, '--name', 'etlfix.pdb', '--id', key, ...rvas()]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assertNames(r.stdout);
  assert.ok(symStore.hits.includes(`/cab/etlfix.pdb/${key}/etlfix.pdb`) && symStore.hits.includes(`/cab/etlfix.pdb/${key}/etlfix.pd_`));
});

const failures = [
  { what: '404', area: 'none', id: () => key, status: 'not found', why: /none: not found \(HTTP 404\)/ },
  { what: 'no answer', area: 'slow', id: () => key, extra: ['--timeout', '400'], status: 'timed out', why: /slow: timed out/ },
  { what: 'another GUID', area: 'wrong', id: () => otherKey, status: 'GUID\\/age mismatch', why: /the PDB is [0-9A-F]{33}, the image wants [0-9A-F]{33}/ },
  { what: 'corrupt PDB', area: 'corrupt', id: () => key, status: 'corrupt PDB', why: /corrupt PDB \(file is truncated/ },
  { what: 'over the size limit', area: 'good', id: () => key, extra: ['--max-download', '4K'], status: 'too large', why: /larger than the 4096-byte download limit/ },
];
for (const f of failures) {
  test(`a server giving ${f.what} leaves the RVAs unresolved and says why`, { skip }, async () => {
    const cache = join(dir, `f-${f.area}-${f.what.length}`);
    const r = await symbols(['--symbol-path', `srv*${cache}*${base}/${f.area}`, '--name', 'etlfix.pdb', '--id', f.id(), ...(f.extra || []), '0x1000']);
    assert.equal(r.status, 3, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`^unresolved: ${f.status}: `, 'm'));
    assert.match(r.stdout, f.why);
    assert.ok(!existsSync(join(cache, 'etlfix.pdb', f.id(), 'etlfix.pdb')), 'nothing unverified stays in the cache');
  });
}

test('sources are tried in order: a local SymStore directory before the server', { skip }, async () => {
  const local = join(dir, 'local');
  mkdirSync(join(local, 'etlfix.pdb', key), { recursive: true });
  copyFileSync(join(gen, 'etlfix.pdb'), join(local, 'etlfix.pdb', key, 'etlfix.pdb'));
  const n = symStore.hits.length;
  const r = await symbols(['--symbol-path', `${join(dir, 'empty')};${local};srv*${join(dir, 'c3')}*${base}/good`, '--name', 'etlfix.pdb', '--id', key, ...rvas()]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assertNames(r.stdout);
  assert.equal(symStore.hits.length, n, 'the server is not asked when a local directory has the PDB');
  const miss = await symbols(['--symbol-path', `srv*${join(dir, 'c4')}*${base}/none;srv*${join(dir, 'c4')}*${base}/good`, '--name', 'etlfix.pdb', '--id', key, '0x1000']);
  assert.equal(miss.status, 0, miss.stdout);
});

test('a download trims the cache to --cache-cap, least recently used first, keeping the new PDB', { skip }, async () => {
  const cache = join(dir, 'c5');
  const old = join(cache, 'old.pdb', 'AB'.repeat(16) + '1');
  mkdirSync(old, { recursive: true });
  writeFileSync(join(old, 'old.pdb'), Buffer.alloc(20000));
  const r = await symbols(['--symbol-path', `srv*${cache}*${base}/good`, '--cache-cap', '1K', '--name', 'etlfix.pdb', '--id', key, '0x1000']);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.ok(!existsSync(join(old, 'old.pdb')), 'the older PDB was evicted');
  assert.ok(existsSync(join(cache, 'etlfix.pdb', key, 'etlfix.pdb')), 'the new PDB stays although it is over the cap');
});

test('end to end: a trace names its image PDB (DbgID_RSDS), the server has it, the frames get names', { skip }, async () => {
  const { generate } = await import('../support/etlgen.mjs');
  const imageBase = 0xfffff80005000000n;
  const guid = `{${key.slice(0, 8)}-${key.slice(8, 12)}-${key.slice(12, 16)}-${key.slice(16, 20)}-${key.slice(20, 32)}}`;
  const trace = generate(dir, 'e2e', {
    cpus: 2, duration_s: 0.05,
    modules: [{ name: 'etlfix.sys', base: `0x${imageBase.toString(16)}`, size: 20480,
      dpc: { rate: 2000, duration_us: { dist: 'fixed', value: 20 } },
      pdb: { name: 'D:\\build\\etlfix.pdb', guid, age: parseInt(key.slice(32), 16), timestamp: 1600000000 } }],
  }, false);
  const listed = await symbols(['--trace', trace.path]);
  assert.equal(listed.status, 0, listed.stderr);
  const row = listed.stdout.trim().split('\n').map((l) => l.split('\t')).find((f) => BigInt(f[0]) === imageBase);
  assert.ok(row, listed.stdout);
  assert.deepEqual([row[4], row[5], row[6]], ['etlfix.sys', 'D:\\build\\etlfix.pdb', key]);
  // Frames as module + offset (what the call-stack work will hand over): address - base.
  const r = await symbols(['--symbol-path', `srv*${join(dir, 'c6')}*${base}/good`, '--name', row[5], '--id', row[6], ...rvas()]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assertNames(r.stdout);
});
