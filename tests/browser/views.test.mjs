// views.test.mjs — the run page's charts and view state in headless Chromium: time axes end
// at the data; the DPC/ISR heatmap and stacked bars share their x axis pixel for pixel;
// every CPU row of a heatmap is labelled, or the label step is said; the clicked histogram
// bucket and the ticked counters are kept in the URL; a bucket's event list says "200 of N".
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer, getJson, uploadAndWait } from '../support/server.mjs';
import { launch, openPage, barCenter } from '../support/browser.mjs';
import { generate, select, stats, DPC_KINDS } from '../support/etlgen.mjs';
import { perCpuCsv } from '../support/perfmon.mjs';

const CPUS = 48;
const scenario = {
  cpus: CPUS, pointer_size: 8, compressed: false, buffer_size: 65536, duration_s: 2, seed: 7, sample_rate_hz: 0,
  modules: [
    { name: 'ntoskrnl.exe', base: '0xfffff80070600000', size: 11534336,
      dpc: { rate: 2000, kind: 'timer', duration_us: { dist: 'lognormal', median: 4, sigma: 0.5 } } },
    { name: 'ndis.sys', base: '0xfffff80072a00000', size: 1572864,
      dpc: { rate: 6000, duration_us: { dist: 'lognormal', median: 150, sigma: 0.4 } },
      isr: { rate: 1000, msi: true, duration_us: { dist: 'lognormal', median: 8, sigma: 0.7 } } },
  ],
};

let srv, browser, etl, perf, records;
before(async () => {
  srv = await startServer();
  browser = await launch();
  const g = generate(srv.dir, 'views', scenario, true);
  records = g.records;
  etl = (await uploadAndWait(srv.url, readFileSync(g.path), 'views.etl', 'views')).body.run.id;
  perf = (await uploadAndWait(srv.url, Buffer.from(perCpuCsv({ cpus: 4, seconds: 30 })), 'views.csv', 'perf views')).body.run.id;
});
after(async () => { await browser.close(); await srv.stop(); });

// The DPC/ISR panel has drawn its first view, or said why it could not (a failed request
// shows #dpc-error and never sets ready): the test then fails with the panel's own words.
async function dpcReady(page) {
  await page.waitForFunction(() => document.getElementById('dpc-panel').dataset.ready || !document.getElementById('dpc-error').hidden, null, { timeout: 60000 });
  assert.equal(await page.isVisible('#dpc-error'), false, `the DPC/ISR panel failed: ${await page.textContent('#dpc-error')}`);
}

function axes(page, id) {
  return page.evaluate((cid) => {
    const c = window.Chart.getChart(document.getElementById(cid));
    const y = c.scales.y;
    return {
      min: c.scales.x.min, max: c.scales.x.max, left: c.chartArea.left, right: c.chartArea.right,
      height: c.chartArea.height, ylabels: y.ticks.map((t) => t.label), ytitle: y.options.title.display ? y.options.title.text : '',
      yfont: (y.options.ticks.font && y.options.ticks.font.size) || window.Chart.defaults.font.size, rows: (y.options.labels || []).length,
    };
  }, id);
}

// Labels on every row, or on every k-th row (k said in the axis title) with room for each.
function assertCpuLabels(a, n) {
  assert.equal(a.ylabels.length, n, 'one tick per CPU row');
  const m = a.ytitle.match(/every (\d+)(?:st|nd|rd|th) CPU labelled/);
  const k = m ? Number(m[1]) : 1;
  a.ylabels.forEach((l, i) => assert.equal(l, i % k === 0 ? `CPU ${i}` : '', `row ${i} (step ${k}, title "${a.ytitle}")`));
  assert.ok((a.height / n) * k >= a.yfont, `labelled rows ${((a.height / n) * k).toFixed(1)} px apart, font ${a.yfont} px`);
  return k;
}

test('the DPC/ISR heatmap and stacked bars end at the data and share the x axis', async () => {
  const page = await openPage(browser);
  let timelineUrl = null;
  page.on('request', (r) => { if (r.url().includes('/dpcisr/timeline')) timelineUrl = r.url(); });
  await page.goto(`${srv.url}/runs/${etl}`);
  await dpcReady(page);
  const tl = (await getJson(timelineUrl)).body;
  const heat = await axes(page, 'dpc-heat'), stack = await axes(page, 'dpc-stack');
  assert.ok(Math.abs(heat.min - tl.t[0]) < 0.5, `axis starts at ${heat.min}, data at ${tl.t[0]}`);
  const end = tl.t[tl.t.length - 1] + tl.slice_ms;
  assert.ok(Math.abs(heat.max - end) < 0.5, `axis ends at ${heat.max}, the last slice at ${end}`);
  assert.equal(stack.min, heat.min);
  assert.equal(stack.max, heat.max);
  assert.ok(Math.abs(stack.left - heat.left) < 1 && Math.abs(stack.right - heat.right) < 1,
    `plot areas heat ${heat.left}–${heat.right}, bars ${stack.left}–${stack.right}`);
  const k = assertCpuLabels(heat, CPUS);
  assert.ok(k <= 2, `step ${k}`);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('a clicked bucket is kept in the URL, and its list says how many of how many', async () => {
  const page = await openPage(browser);
  await page.goto(`${srv.url}/runs/${etl}`);
  await dpcReady(page);
  const h = (await getJson(`${srv.url}/api/runs/${etl}/dpcisr/histogram`)).body;
  const expected = stats(select(records, { kinds: new Set(DPC_KINDS) }), h.edges_us).counts;
  // The fullest bucket above the guideline: every event there is stored, more than 200.
  let b = h.dpc.first_above_bucket;
  for (let i = b; i < expected.length; i++) if (expected[i] > expected[b]) b = i;
  assert.ok(expected[b] > 200, `bucket ${b} holds ${expected[b]}`);
  await page.evaluate(() => document.getElementById('dpc-hist').scrollIntoView({ block: 'center' }));
  const pos = await barCenter(page, 'dpc-hist', b);
  await page.mouse.click(pos.x, pos.y);
  await page.waitForFunction((i) => new URLSearchParams(location.search).get('bucket') === String(i), b);
  await page.waitForFunction(() => document.querySelectorAll('#dpc-bucket-events tbody tr').length > 0);
  const note = `200 of ${expected[b].toLocaleString('en-US')} DPCs in this bucket shown`;
  assert.ok((await page.textContent('#dpc-bucket-note')).startsWith(note), await page.textContent('#dpc-bucket-note'));
  assert.equal(await page.$$eval('#dpc-bucket-events tbody tr', (t) => t.length), 200);
  const title = await page.textContent('#dpc-bucket-title');

  const again = await openPage(browser);
  await again.goto(page.url());
  await dpcReady(again);
  await again.waitForFunction(() => document.querySelectorAll('#dpc-bucket-events tbody tr').length > 0);
  assert.equal(await again.textContent('#dpc-bucket-title'), title);
  assert.ok((await again.textContent('#dpc-bucket-note')).startsWith(note));
  // Switching to ISRs drops the DPC bucket from the view and the URL.
  await again.click('#dpc-kind button[data-kind="isr"]');
  await again.waitForFunction(() => !new URLSearchParams(location.search).has('bucket'));
  assert.equal(await again.isVisible('#dpc-bucket'), false);
  assert.deepEqual(page.problems, []);
  assert.deepEqual(again.problems, []);
  await page.context().close();
  await again.context().close();
});

test('a panel read whose connection drops, or that is asked to wait, is sent again and draws', async () => {
  // Table: how the first answer of each panel request fails; the second is the server's.
  const cases = [
    ['histogram', (r) => r.abort('connectionreset')],
    ['timeline', (r) => r.fulfill({ status: 429, headers: { 'Retry-After': '1', 'Content-Type': 'application/json' }, body: '{"error":"too many requests; slow down"}' })],
  ];
  for (const [what, fail] of cases) {
    const page = await openPage(browser);
    const seen = [];
    await page.route(`**/api/runs/*/dpcisr/${what}*`, (r) => {
      seen.push(r.request().url());
      return seen.length === 1 ? fail(r) : r.continue();
    });
    await page.goto(`${srv.url}/runs/${etl}`);
    await dpcReady(page);
    assert.equal(seen.length, 2, `${what}: asked ${seen.length} times`);
    assert.equal(seen[0], seen[1]);
    await page.context().close();
  }
});

test('perfmon charts end at the first and last sample; ticked counters are kept in the URL', async () => {
  const start = Date.UTC(2026, 0, 15, 10, 0, 0);
  const page = await openPage(browser);
  await page.goto(`${srv.url}/runs/${perf}`);
  await page.waitForFunction(() => window.Chart && window.Chart.getChart(document.getElementById('cpu-heat')) && document.querySelectorAll('#counter-list input').length > 0);
  const lines = await axes(page, 'cpu-lines');
  assert.equal(lines.min, start);
  assert.equal(lines.max, start + 29000);
  const heat = await axes(page, 'cpu-heat');
  assert.equal(heat.min, start);
  assert.equal(heat.max, start + 30000, 'the last one-second cell ends the axis');
  assertCpuLabels(heat, 4);
  const counters = (await getJson(`${srv.url}/api/runs/${perf}/counters`)).body.counters;
  const want = [counters[3], counters[1]];
  for (const c of want) await page.check(`#counter-list input[value="${c.idx}"]`);
  await page.waitForFunction((n) => { const c = window.Chart.getChart(document.getElementById('counter-chart')); return c && c.data.datasets.length === n; }, want.length);
  assert.equal(new URL(page.url()).searchParams.get('pick'), want.map((c) => c.idx).join(','));

  const again = await openPage(browser);
  await again.goto(page.url());
  await again.waitForFunction(() => { const c = window.Chart && window.Chart.getChart(document.getElementById('counter-chart')); return c && c.data.datasets.length === 2; });
  assert.deepEqual(await again.evaluate(() => window.Chart.getChart(document.getElementById('counter-chart')).data.datasets.map((d) => d.label)), want.map((c) => c.path));
  assert.deepEqual(await again.$$eval('#counter-list input:checked', (l) => l.map((i) => Number(i.value)).sort((a, b) => a - b)), want.map((c) => c.idx).sort((a, b) => a - b));
  const counterAxis = await axes(again, 'counter-chart');
  assert.equal(counterAxis.min, start);
  assert.equal(counterAxis.max, start + 29000);
  assert.deepEqual(page.problems, []);
  assert.deepEqual(again.problems, []);
  await page.context().close();
  await again.context().close();
});
