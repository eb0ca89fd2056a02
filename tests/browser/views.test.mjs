// views.test.mjs — the run page's charts and view state in headless Chromium: time axes end
// at the data; the DPC/ISR heatmap and stacked bars share their x axis pixel for pixel;
// every CPU row of a heatmap is labelled, or the label step is said; the stacked module bars
// are painted at the timeline's heights in series order; the clicked histogram
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

// One column of the DPC/ISR stacked bars, read back from the canvas at the middle of slice i:
// from the plot's top down, the first pixel in any series' colour, and the colour at each
// given height. Series colours are the datasets' own, turned into RGB by the browser.
function barColumn(page, i, heights) {
  return page.evaluate(({ i, heights }) => {
    const c = window.Chart.getChart(document.getElementById('dpc-stack'));
    const a = c.chartArea, x = c.scales.x, r = c.currentDevicePixelRatio;
    const one = document.createElement('canvas').getContext('2d', { willReadFrequently: true });
    const rgb = (css) => { one.clearRect(0, 0, 1, 1); one.fillStyle = css; one.fillRect(0, 0, 1, 1); return [...one.getImageData(0, 0, 1, 1).data].slice(0, 3).join(','); };
    const colours = c.data.datasets.map((d) => rgb(d.backgroundColor));
    const ds = c.data.datasets[0];
    const cx = a.left + ((ds.t[i] + ds.step / 2 - x.min) / (x.max - x.min)) * a.width;
    const col = c.ctx.getImageData(Math.floor(cx * r), 0, 1, c.canvas.height).data;
    const at = (y) => { const k = Math.floor(y * r) * 4; return col[k + 3] === 255 ? `${col[k]},${col[k + 1]},${col[k + 2]}` : 'none'; };
    let top = null;
    for (let y = Math.ceil(a.top); y < a.bottom && top === null; y++) if (colours.includes(at(y))) top = y;
    return { colours, top, at: heights.map(at), area: { top: a.top, bottom: a.bottom, height: a.height }, ymax: c.scales.y.max,
      elements: c.data.datasets.map((d, k) => c.getDatasetMeta(k).data.length) };
  }, { i, heights });
}

test('the DPC/ISR stacked bars are painted at the heights the timeline says, in series order', async () => {
  // three modules of comparable DPC time, so that every band is several pixels tall
  const mod = (name, base, rate, median) => ({ name, base, size: 1048576, dpc: { rate, duration_us: { dist: 'lognormal', median, sigma: 0.3 } } });
  const g = generate(srv.dir, 'bars', { cpus: 4, pointer_size: 8, compressed: false, buffer_size: 65536, duration_s: 2, seed: 11, sample_rate_hz: 0,
    modules: [mod('ntoskrnl.exe', '0xfffff80070600000', 3000, 40), mod('ndis.sys', '0xfffff80072a00000', 2000, 50), mod('storport.sys', '0xfffff80073a00000', 1500, 60)] }, true);
  const run = (await uploadAndWait(srv.url, readFileSync(g.path), 'bars.etl', 'bars')).body.run.id;
  const page = await openPage(browser);
  let timelineUrl = null;
  page.on('request', (r) => { if (r.url().includes('/dpcisr/timeline')) timelineUrl = r.url(); });
  await page.goto(`${srv.url}/runs/${run}`);
  await dpcReady(page);
  await page.evaluate(() => document.getElementById('dpc-stack').scrollIntoView({ block: 'center' }));
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const tl = (await getJson(timelineUrl)).body;
  // the series bottom-up: the modules in the answer's order, then "other"
  const series = tl.modules.map((m) => m.busy_ms);
  if (tl.other) series.push(tl.other.busy_ms);
  assert.ok(series.length >= 2, `${series.length} series`);
  const total = (i, from = 0) => series.slice(from).reduce((s, v) => s + v[i], 0);
  // the two fullest slices where the bottom series and the ones above it both show
  const slices = tl.t.map((_, i) => i).filter((i) => series.every((v) => v[i] > 0))
    .sort((p, q) => total(q) - total(p)).slice(0, 2);
  assert.equal(slices.length, 2, 'two slices where every series shows');
  const px = (v, info) => info.area.bottom - (v / info.ymax) * info.area.height;
  for (const i of slices) {
    const first = await barColumn(page, i, []);
    assert.deepEqual(first.elements, series.map(() => 0), 'no bar elements: the bars are painted in one pass');
    // each band's middle, from the cumulative sums worked out here
    let sum = 0;
    const bands = series.map((v, k) => { const lo = sum; sum += v[i]; return { k, lo: px(lo, first), hi: px(sum, first) }; })
      .filter((b) => b.lo - b.hi >= 4);
    assert.equal(bands.length, series.length, `slice ${i}: bands ${JSON.stringify(bands)}`);
    const col = await barColumn(page, i, bands.map((b) => (b.lo + b.hi) / 2));
    assert.ok(Math.abs(col.top - px(total(i), col)) <= 1.5, `slice ${i}: bars top at ${col.top} px, the timeline's ${total(i)} ms is at ${px(total(i), col).toFixed(1)} px`);
    bands.forEach((b, n) => assert.equal(col.at[n], col.colours[b.k], `slice ${i}: series ${b.k} (${tl.modules[b.k] ? tl.modules[b.k].name : 'other'}) band at ${((b.lo + b.hi) / 2).toFixed(1)} px`));
  }
  // the index tooltip at the first slice lists every series with the timeline's values
  const i = slices[0];
  const at = await page.evaluate((i) => {
    const c = window.Chart.getChart(document.getElementById('dpc-stack'));
    const d = c.data.datasets[0], b = c.canvas.getBoundingClientRect();
    return { x: b.left + c.scales.x.getPixelForValue(d.t[i] + d.step / 2), y: b.top + (c.chartArea.top + c.chartArea.bottom) / 2 };
  }, i);
  await page.mouse.move(at.x, at.y);
  await page.waitForFunction(() => window.Chart.getChart(document.getElementById('dpc-stack')).tooltip.opacity > 0);
  const tip = await page.evaluate(() => window.Chart.getChart(document.getElementById('dpc-stack')).tooltip.dataPoints.map((p) => [p.dataIndex, p.parsed.y]));
  assert.deepEqual(tip, series.map((v) => [i, v[i]]));
  // a click on the bottom series' legend entry hides it: the column's top is then the rest's
  const box = await page.evaluate(() => {
    const c = window.Chart.getChart(document.getElementById('dpc-stack'));
    const h = c.legend.legendHitBoxes[0], b = c.canvas.getBoundingClientRect();
    return { x: b.left + h.left + h.width / 2, y: b.top + h.top + h.height / 2 };
  });
  await page.mouse.click(box.x, box.y);
  await page.waitForFunction(() => !window.Chart.getChart(document.getElementById('dpc-stack')).isDatasetVisible(0));
  const hidden = await barColumn(page, i, []);
  assert.ok(Math.abs(hidden.top - px(total(i, 1), hidden)) <= 1.5, `slice ${i} without series 0: top at ${hidden.top} px, want ${px(total(i, 1), hidden).toFixed(1)}`);
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
