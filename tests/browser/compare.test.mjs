// compare.test.mjs — the share-and-compare flow in headless Chromium: open a run, copy its
// link, open the link in a fresh browser context, add a second run to compare, and see the
// two histograms overlaid with the guideline and the per-module delta table; the baseline
// picked on the page and kept in the URL. (The README's pictures: scripts/screenshots.mjs.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startStoryServer } from '../support/story.mjs';
import { launch, openPage } from '../support/browser.mjs';

let srv, browser;
const runs = {};

before(async () => {
  let story;
  ({ srv, runs: story } = await startStoryServer()); // named 'FS01 before' and 'FS01 after removing teaming'
  browser = await launch();
  for (const [s, r] of Object.entries(story)) runs[s] = r.id;
});
after(async () => { await browser.close(); await srv.stop(); });

test('a copied run link opens in a new context, where a second run is added to compare', async () => {
  const page = await openPage(browser, { permissions: ['clipboard-read', 'clipboard-write'] });
  await page.goto(`${srv.url}/runs/${runs['field-before']}`);
  // The heading holds "…" until the run has loaded and the page's controls are wired.
  await page.waitForFunction(() => document.getElementById('run-name').textContent === 'FS01 before');
  await page.click('#copy-link');
  await page.waitForFunction(() => document.getElementById('copy-done').textContent !== '');
  const link = await page.evaluate(() => navigator.clipboard.readText());
  assert.equal(link, `${srv.url}/runs/${runs['field-before']}`);

  const other = await openPage(browser, { viewport: { width: 1280, height: 1000 } });
  await other.goto(link);
  await other.waitForFunction(() => document.getElementById('run-name').textContent === 'FS01 before');
  await other.waitForFunction(() => document.querySelectorAll('#compare-with option').length >= 2);
  await other.selectOption('#compare-with', runs['field-after-removal']);
  await other.waitForURL(/\/compare\?runs=/);
  await other.waitForFunction(() => window.Chart && window.Chart.getChart(document.getElementById('cmp-hist')));
  const hist = await other.evaluate(() => {
    const c = window.Chart.getChart(document.getElementById('cmp-hist'));
    return { labels: c.data.datasets.map((d) => d.label), sums: c.data.datasets.map((d) => d.data.reduce((a, b) => a + b, 0)), guideline: c.options.plugins.guideline };
  });
  assert.deepEqual(hist.labels, ['FS01 before', 'FS01 after removing teaming']);
  assert.ok(hist.sums.every((s) => s > 100000), JSON.stringify(hist.sums));
  assert.match(hist.guideline.label, /100 µs/);
  const row = await other.evaluate(() => [...document.querySelectorAll('#cmp-modules tbody tr')].map((tr) => tr.textContent).find((t) => t.startsWith('ndis.sys')));
  assert.ok(row, 'ndis.sys in the delta table');
  const story = await other.textContent('#cmp-story');
  assert.match(story, /ndis\.sys in "FS01 after removing teaming": better — DPCs average 2\d\d µs → \d\d µs \(now below the 100 µs guideline\)/);
  // The compare link itself reproduces the view in yet another context.
  const third = await openPage(browser);
  await third.goto(other.url());
  await third.waitForFunction(() => document.querySelectorAll('#cmp-modules tbody tr').length > 3);
  assert.equal(await third.textContent('#cmp-story'), story);
  await other.screenshot({ path: join(srv.dir, 'compare.png') });
  for (const p of [page, other, third]) {
    assert.deepEqual(p.problems, []);
    await p.context().close();
  }
});

test('the baseline is shown, changed on the page and kept in the URL', async () => {
  const page = await openPage(browser, { viewport: { width: 1280, height: 1000 } });
  const a = runs['field-before'], b = runs['field-after-removal'];
  await page.goto(`${srv.url}/compare?runs=${a},${b}`);
  await page.waitForFunction(() => document.querySelectorAll('#cmp-modules tbody tr').length > 3);
  // Same start: the first named is the baseline, and the page says so.
  assert.equal(await page.isChecked(`#cmp-runs li[data-run="${a}"] input[name="cmp-base"]`), true);
  assert.match(await page.textContent('#cmp-baseline'), /Baseline: "FS01 before"/);
  await page.check(`#cmp-runs li[data-run="${b}"] input[name="cmp-base"]`);
  await page.waitForFunction(() => /Baseline: "FS01 after removing teaming"/.test(document.getElementById('cmp-baseline').textContent));
  assert.equal(new URL(page.url()).searchParams.get('base'), b);
  // Against the removal run, the "before" trace is worse: red, judged by time, not count.
  await page.waitForFunction(() => /ndis\.sys in "FS01 before": worse/.test(document.getElementById('cmp-story').textContent));
  const cell = await page.evaluate(() => {
    const tr = [...document.querySelectorAll('#cmp-modules tbody tr')].find((t) => t.cells[0].textContent === 'ndis.sys');
    const j = tr.querySelector('td.change strong');
    return { text: j.textContent, cls: j.className };
  });
  assert.match(cell.text, /^worse \(time above the guideline/);
  assert.equal(cell.cls, 'worse');
  // The link reproduces the choice in a fresh context.
  const again = await openPage(browser);
  await again.goto(page.url());
  await again.waitForFunction(() => /Baseline: "FS01 after removing teaming"/.test(document.getElementById('cmp-baseline').textContent));
  assert.equal(await again.isChecked(`#cmp-runs li[data-run="${b}"] input[name="cmp-base"]`), true);
  assert.equal(await again.evaluate(() => document.querySelector('#cmp-runs li').dataset.run), b, 'the baseline is listed first');
  for (const p of [page, again]) {
    assert.deepEqual(p.problems, []);
    await p.context().close();
  }
});

test('the runs list compares the ticked runs', async () => {
  const page = await openPage(browser);
  await page.goto(srv.url + '/');
  await page.waitForSelector(`input[data-compare="${runs['field-before']}"]`);
  assert.equal(await page.isDisabled('#compare-btn'), true);
  await page.check(`input[data-compare="${runs['field-before']}"]`);
  await page.check(`input[data-compare="${runs['field-after-removal']}"]`);
  await page.click('#compare-btn');
  await page.waitForURL(/\/compare\?runs=/);
  await page.waitForFunction(() => document.querySelectorAll('#cmp-runs li').length === 2);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('every table on a run page saves as CSV and every chart as PNG', async () => {
  const page = await openPage(browser, { acceptDownloads: true });
  await page.goto(`${srv.url}/runs/${runs['field-before']}`);
  await page.waitForFunction(() => document.querySelectorAll('button.export-chart').length >= 2 &&
    document.querySelectorAll('.export-bar button').length >= 2, null, { timeout: 60000 });
  // Every panel has drawn (the page's own mark); the export bars follow a table's rows after
  // a debounce, so wait for them to catch up rather than count at one instant. Tables with
  // rows only: an empty one (the I/O panel's when the run has no I/O) has nothing to save.
  await page.waitForFunction(() => performance.getEntriesByName('etlscope:drawn').length > 0, null, { timeout: 30000 });
  const counts = () => page.evaluate(() => ({
    tables: [...document.querySelectorAll('main table')].filter((t) => t.querySelector('tr')).length,
    bars: document.querySelectorAll('.export-bar button').length,
  }));
  await page.waitForFunction(() => document.querySelectorAll('.export-bar button').length ===
    [...document.querySelectorAll('main table')].filter((t) => t.querySelector('tr')).length, null, { timeout: 10000 })
    .catch(() => {});
  const c = await counts();
  assert.equal(c.bars, c.tables, 'one CSV button per table');
  // The DPC/ISR module table as CSV: a header row, then ndis.sys.
  const bar = page.locator('#dpc-panel .export-bar button').first();
  const [csv] = await Promise.all([page.waitForEvent('download'), bar.click()]);
  assert.match(csv.suggestedFilename(), /^etlscope-.*\.csv$/);
  const text = readFileSync(await csv.path(), 'utf8');
  const lines = text.trim().split('\r\n');
  assert.ok(lines.length > 3, text.slice(0, 200));
  assert.ok(lines.some((l) => l.startsWith('ndis.sys')), text.slice(0, 400));
  const [png] = await Promise.all([page.waitForEvent('download'), page.locator('button.export-chart').first().click()]);
  const bytes = readFileSync(await png.path());
  assert.deepEqual([...bytes.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], 'a PNG file');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});
