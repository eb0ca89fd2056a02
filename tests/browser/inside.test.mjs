// inside.test.mjs — "what runs inside the DPCs and ISRs" in headless Chromium: on the demo
// field story the run page's DPC/ISR panel lists idsvia64.sys (Symantec, Antivirus) as
// where the CPU was in most samples inside ndis.sys's DPCs, with the share the trace writer
// reports, draws the stacked bar, lists the caller chain; a trace without samples says how
// to record them; the compare page shows the filter's share before and after its removal.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { uploadAndWait } from '../support/server.mjs';
import { launch, openPage } from '../support/browser.mjs';
import { etlgen } from '../support/etlgen.mjs';
import { startStoryServer } from '../support/story.mjs';

let srv, browser, runs;
before(async () => {
  ({ srv, runs } = await startStoryServer());
  browser = await launch();
  const plain = etlgen(srv.dir, {
    cpus: 2, duration_s: 1, seed: 3, sample_rate_hz: 0, modules: [
      { name: 'ndis.sys', base: '0xfffff80072a00000', size: 1572864, dpc: { rate: 500, duration_us: { dist: 'fixed', value: 150 } } }],
  }, 'plain');
  runs.plain = { id: (await uploadAndWait(srv.url, plain.bytes, 'plain.etl', 'plain')).body.run.id };
});
after(async () => { await browser.close(); await srv.stop(); });

const pct = (f) => `${(f * 100).toFixed(f >= 0.995 || f < 0.001 ? 0 : 1)} %`;

async function openRun(id) {
  const page = await openPage(browser);
  await page.goto(`${srv.url}/runs/${id}`);
  await page.waitForFunction(() => document.getElementById('dpc-inside-block').dataset.ready, null, { timeout: 20000 });
  return page;
}

test('the DPC/ISR panel shows the IDS filter inside ndis.sys DPCs', async () => {
  const page = await openRun(runs['field-before'].id);
  const want = runs['field-before'].expected.modules.find((m) => m.name === 'ndis.sys').inside;
  const rows = await page.$$eval('#dpc-inside tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
  assert.deepEqual(rows[0], ['ndis.sys DPC', want.samples.toLocaleString('en-US'), 'idsvia64.sys',
    'Symantec / NortonLifeLock (Broadcom)', 'Antivirus', pct(want.leaf['idsvia64.sys'] / want.samples)]);
  assert.deepEqual(rows[1].slice(2), ['ndis.sys', 'Microsoft', 'Microsoft in-box', pct(want.leaf['ndis.sys'] / want.samples)]);
  const chain = await page.$$eval('#dpc-inside-chains tbody tr', (trs) => trs.map((tr) => tr.cells[1].textContent));
  assert.deepEqual(chain, ['idsvia64.sys ← ndis.sys ← ntoskrnl.exe', 'ndis.sys ← ntoskrnl.exe']);
  const bars = await page.evaluate(() => {
    const c = window.Chart.getChart(document.getElementById('dpc-inside-chart'));
    return { labels: c.data.labels, sets: c.data.datasets.map((d) => [d.label, d.data[0]]) };
  });
  assert.deepEqual(bars.labels, ['ndis.sys DPC']);
  assert.deepEqual(bars.sets, [['idsvia64.sys', want.leaf['idsvia64.sys']], ['ndis.sys', want.leaf['ndis.sys']]]);
  assert.match(await page.textContent('#dpc-inside-note'), /CPU samples fell inside DPCs\/ISRs/);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('a trace without CPU samples says how to record them', async () => {
  const page = await openRun(runs.plain.id);
  assert.match(await page.textContent('#dpc-inside-note'), /No CPU sample fell inside a DPC or ISR.*-stackwalk Profile/);
  assert.equal(await page.isVisible('#dpc-inside-box'), false);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('compare: the filter\'s share inside ndis.sys DPCs, then gone', async () => {
  const page = await openPage(browser);
  await page.goto(`${srv.url}/compare?runs=${runs['field-before'].id},${runs['field-after-removal'].id}`);
  await page.waitForFunction(() => document.getElementById('cmp-inside-panel').dataset.ready, null, { timeout: 20000 });
  const rows = await page.$$eval('#cmp-inside tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
  const before = runs['field-before'].expected.modules.find((m) => m.name === 'ndis.sys').inside;
  const afterIn = runs['field-after-removal'].expected.modules.find((m) => m.name === 'ndis.sys').inside;
  const ids = rows.find((r) => r[1] === 'idsvia64.sys');
  assert.deepEqual(ids, ['ndis.sys DPC', 'idsvia64.sys',
    `${pct(before.leaf['idsvia64.sys'] / before.samples)} (${before.leaf['idsvia64.sys'].toLocaleString('en-US')})`, '0 %']);
  const own = rows.find((r) => r[1] === 'ndis.sys');
  assert.equal(own[3], `${pct(1)} (${afterIn.samples.toLocaleString('en-US')})`);
  assert.deepEqual(page.problems, []);
  await page.close();
});
