// symbols.test.mjs — symbols on the run page in headless Chromium: a run whose module names
// its PDB (DbgID_RSDS, written by etlgen) lists that module under "Symbols" as not looked up
// yet; dropping the PDB (built by tests/symbols/gen_pdb.sh; skipped without clang-cl /
// lld-link) through the page's file input resolves it, and the longest events then show
// module!function, the function named by llvm-pdbutil in gen_pdb.sh's expect.txt.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
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
  // Looking up again (no symbol path: the uploaded PDBs only, none yet) says where it stands.
  await page.click('#sym-again');
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
