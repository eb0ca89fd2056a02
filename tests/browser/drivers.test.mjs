// drivers.test.mjs — browser test of the drivers table's rows that are not modules (issue 12
// section 2), on the real PerfView sample: an Idle row clearly marked and kept out of the
// vendor roll-up, "unknown kernel addresses (possible hidden driver)" and "user code without
// an image" rows with counts and address ranges, and shares of all and of busy samples.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, uploadAndWait, shared } from '../support/server.mjs';
import { launch, openPage, watchIntl } from '../support/browser.mjs';
import { scan } from '../support/etlscan.mjs';

const perfview = join(shared, 'samples', 'etl', 'perfview-net452-x64-compressed.etl');
let srv, browser;
before(async () => { srv = await startServer(); browser = await launch(); });
after(async () => { await browser.close(); await srv.stop(); });

test('PerfView sample: Idle, unknown kernel addresses and user code without an image have rows of their own', { skip: !existsSync(perfview) }, async () => {
  const o = scan(perfview);
  const up = await uploadAndWait(srv.url, readFileSync(perfview), 'perfview.etl');
  assert.equal(up.body.state, 'done');
  const page = await openPage(browser);
  await watchIntl(page);
  await page.goto(`${srv.url}/runs/${up.body.run.id}`);
  await page.waitForSelector('#drivers-special tr');
  // The categories are listed by label, case aside, and sorted without Intl's collation
  // until the page is drawn (watchIntl).
  await page.waitForFunction(() => performance.getEntriesByName('etlscope:drawn').length > 0, null, { timeout: 15000 });
  assert.deepEqual(await page.evaluate(() => window.intlUses), []);
  const cats = await page.$$eval('#drivers-cat option', (os) => os.slice(1).map((o) => o.textContent));
  assert.ok(cats.length >= 2, cats.join());
  assert.deepEqual(cats, [...cats].sort((a, b) => a.localeCompare(b, 'en')));
  const rows = await page.$$eval('#drivers-special tr', (trs) => trs.map((tr) => ({
    kind: tr.dataset.special, text: tr.textContent, italic: getComputedStyle(tr.querySelector('td')).fontStyle,
  })));
  assert.deepEqual(rows.map((r) => r.kind), ['idle', 'unknown-kernel', 'user-code']);
  const fmt = (n) => n.toLocaleString('en-US');
  const idle = rows[0];
  assert.match(idle.text, /^Idlenot busy CPU/);
  assert.ok(idle.text.includes(`${fmt(o.idle)} of ${fmt(o.samples)} samples`), idle.text);
  assert.match(idle.text, /not CPU time of ntoskrnl\.exe or hal\.dll/);
  assert.equal(idle.italic, 'italic');
  assert.ok(idle.text.includes(`${((o.idle / o.samples) * 100).toFixed(1)} %`));
  const kern = rows[1];
  assert.match(kern.text, /possible hidden driver/);
  assert.ok(kern.text.includes(`${fmt(o.unknownKernel.excl)} samples at kernel-space addresses`), kern.text);
  assert.ok(kern.text.includes(`0x${o.unknownKernel.lo.toString(16).padStart(16, '0')}`), kern.text);
  const busy = o.samples - o.idle;
  assert.ok(kern.text.includes(`${((o.unknownKernel.excl / busy) * 100).toFixed(1)} % of busy`), kern.text);
  const user = rows[2];
  assert.match(user.text, /user code without an image \(JIT, unpacked code\)/);
  assert.ok(user.text.includes(`${fmt(o.unknownUser.excl)} samples at user-space addresses`), user.text);
  // The module rows carry no "outside modules" row any more, and the vendor roll-up
  // names no Idle or unresolved entry.
  const names = await page.$$eval('#drivers-body .mod-name', (n) => n.map((x) => x.textContent));
  assert.ok(!names.some((n) => /outside|idle/i.test(n)), names.join());
  const vendors = await page.$$eval('#vendors-body tr td:first-child', (n) => n.map((x) => x.textContent));
  assert.ok(vendors.length > 0 && !vendors.some((v) => /idle|outside/i.test(v)), vendors.join());
  const ms = await page.$$eval('#vendors-body tr', (trs) => trs.find((tr) => tr.cells[0].textContent === 'Microsoft').textContent);
  assert.match(ms, /% of busy/);
  // Module rows show the share of busy samples under the share of all samples.
  await page.check('#drivers-user');
  await page.waitForFunction(() => [...document.querySelectorAll('#drivers-body .mod-name')].some((n) => n.textContent === 'clr.dll'));
  const clr = await page.$$eval('#drivers-body tr', (trs) => trs.find((tr) => tr.querySelector('.mod-name').textContent === 'clr.dll').textContent);
  assert.match(clr, /% of busy/);
  await page.screenshot({ path: join(srv.dir, 'drivers-special.png'), fullPage: true });
  assert.deepEqual(page.problems, []);
  await page.context().close();
});
