// symbols.test.mjs — symbols on the run page in headless Chromium: a run whose module names
// its PDB (DbgID_RSDS, written by etlgen) lists that module under "Symbols" as not looked up
// yet; dropping the PDB (built by tests/symbols/gen_pdb.sh; skipped without clang-cl /
// lld-link) through the page's file input resolves it, and the longest events then show
// module!function, the function named by llvm-pdbutil in gen_pdb.sh's expect.txt.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync, rmSync } from 'node:fs';
import { tempDir, startServer, uploadAndWait } from '../support/server.mjs';
import { launch, openPage } from '../support/browser.mjs';
import { etlgen } from '../support/etlgen.mjs';
import { buildPdb, bracedGuid } from '../support/symbols.mjs';

const dir = tempDir('etlscope-symweb-');
const { gen, key, procs } = buildPdb(dir);
const proc = procs[0];

let srv, browser, run;
before(async () => {
  srv = await startServer();
  if (!gen) return;
  const g = etlgen(srv.dir, {
    cpus: 2, duration_s: 0.05, seed: 5, modules: [
      { name: 'etlfix.sys', base: '0xfffff80005000000', size: 65536, routine_rva: proc.rva,
        dpc: { rate: 2000, duration_us: { dist: 'fixed', value: 150 } },
        pdb: { name: 'D:\\build\\etlfix.pdb', guid: bracedGuid(key), age: parseInt(key.slice(32), 16) } }],
  }, 'sym');
  run = (await uploadAndWait(srv.url, g.bytes, 'sym.etl', 'sym')).body.run;
  browser = await launch();
});
after(async () => {
  if (browser) await browser.close();
  await srv.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('the run page lists the module without symbols and resolves it from a dropped PDB', { skip: !gen && 'clang-cl / lld-link not installed' }, async () => {
  const page = await openPage(browser);
  await page.goto(`${srv.url}/runs/${run.id}#edit=${run.edit_token}`);
  await page.waitForFunction(() => document.getElementById('sym-block').dataset.ready, null, { timeout: 20000 });
  const rows = await page.$$eval('#sym-missing tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
  assert.deepEqual(rows.map((r) => r.slice(0, 4)), [['etlfix.sys', 'etlfix.pdb', key, 'not looked up yet']]);
  // Looking up again (no symbol path: the uploaded PDBs only, none yet) says where it stands,
  // and says it only once the table shows it: its refresh is held until the page has been
  // looked at, so a page announcing "Looked up again." over the old table fails here.
  let held;
  const asked = new Promise((ok) => page.route((u) => u.pathname.endsWith('/modules'), (route) => { held = route; ok(); }, { times: 1 }));
  await page.click('#sym-again');
  await asked;
  assert.notEqual(await page.textContent('#sym-again-said'), 'Looked up again.');
  await held.continue();
  await page.waitForFunction(() => document.getElementById('sym-again-said').textContent === 'Looked up again.', null, { timeout: 20000 });
  assert.deepEqual(await page.$$eval('#sym-missing tbody tr td:nth-child(4)', (tds) => tds.map((t) => t.textContent)), ['not found']);
  await page.waitForFunction(() => document.querySelector('#dpc-longest td.mono'), null, { timeout: 20000 });
  assert.match(await page.textContent('#dpc-longest'), new RegExp(`etlfix\\.sys\\+0x${proc.rva.toString(16)}`));
  await page.setInputFiles('#sym-file', join(gen, 'etlfix.pdb'));
  await page.waitForFunction((want) => document.getElementById('dpc-longest').textContent.includes(want),
    `etlfix.sys!${proc.name}+0x0`, { timeout: 20000 });
  assert.match(await page.textContent('#sym-drop-said'), /etlfix\.pdb: resolved/);
  assert.equal(await page.$$eval('#sym-missing tbody tr', (trs) => trs.length), 0);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('the functions view of the stacks panel shows module!function and opens the function\'s callers', { skip: !gen && 'clang-cl / lld-link not installed' }, async () => {
  // IPs at the first two bytes of procs[1] in etlfix.sys, called from procs[0] in etlcall.sys
  // (both images of the test PDB); the PDB is uploaded for the run before the page opens.
  const a = procs[1] || procs[0], b = procs[0];
  const pdb = { name: 'D:\\build\\etlfix.pdb', guid: bracedGuid(key), age: parseInt(key.slice(32), 16) };
  const g = etlgen(srv.dir, {
    cpus: 2, duration_s: 0.2, seed: 7, sample_rate_hz: 1000, modules: [
      { name: 'etlcall.sys', base: '0xfffff80005000000', size: 65536, frame_rvas: [b.rva], pdb },
      { name: 'etlfix.sys', base: '0xfffff80006000000', size: 65536, frame_rvas: [a.rva, a.rva + 1],
        samples: { weight: 1, stack: ['etlcall.sys'] }, pdb }],
  }, 'symstk');
  const r = (await uploadAndWait(srv.url, g.bytes, 'symstk.etl', 'symstk')).body.run;
  const put = await fetch(`${srv.url}/api/runs/${r.id}/symbols?file=etlfix.pdb`, {
    method: 'POST', body: readFileSync(join(gen, 'etlfix.pdb')),
    headers: { 'Content-Type': 'application/octet-stream', 'X-Edit-Token': r.edit_token },
  });
  assert.equal(put.status, 200);
  const page = await openPage(browser);
  await page.goto(`${srv.url}/runs/${r.id}?sgrp=function`);
  const fa = `etlfix.sys!${a.name}`, fb = `etlcall.sys!${b.name}`;
  await page.waitForFunction((n) => document.querySelector(`#stk-flame g[name="${n}"]`), fa, { timeout: 20000 });
  assert.equal(await page.getAttribute('#stk-group button[data-group="function"]', 'aria-pressed'), 'true');
  // the tree's first row is the caller's function; its one child the sampled function
  assert.equal(await page.textContent('#stk-tree-body tr:first-child .frame-name'), fb);
  await page.click('#stk-tree-body tr:first-child .tree-toggle');
  await page.click(`#stk-tree-body .frame-name[data-module="etlfix.sys"]`);
  await page.waitForSelector(`#stk-bfly[data-ready="${fa}"]`);
  assert.deepEqual(await page.$$eval('#stk-callers-body button', (bs) => bs.map((x) => x.textContent)), [fb]);
  assert.deepEqual(page.problems, []);
  await page.close();
});
