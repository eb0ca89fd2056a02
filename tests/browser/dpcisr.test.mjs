// dpcisr.test.mjs — the DPC/ISR panel in headless Chromium: the histogram drawn with the
// guideline, the DPC/ISR toggle, a module filter from the table (with its chip), a CPU pick,
// drag-to-zoom on the heatmap, clicking a bucket, the URL reproducing the view, and the
// empty state for a trace recorded without DPC/ISR tracing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, getJson, uploadAndWait, shared } from '../support/server.mjs';
import { launch, openPage, barCenter, watchIntl } from '../support/browser.mjs';
import { generate } from '../support/etlgen.mjs';

let srv, browser, runId, ndisId;

const scenario = {
  cpus: 8, pointer_size: 8, compressed: true, buffer_size: 65536, duration_s: 3, seed: 11, sample_rate_hz: 0,
  modules: [
    { name: 'ntoskrnl.exe', path: '\\SystemRoot\\system32\\ntoskrnl.exe', base: '0xfffff80070600000', size: 11534336,
      dpc: { rate: 3000, kind: 'timer', duration_us: { dist: 'lognormal', median: 4, sigma: 0.5 } } },
    { name: 'hal.dll', base: '0xfffff80070000000', size: 1048576,
      isr: { rate: 4000, duration_us: { dist: 'lognormal', median: 3, sigma: 0.6 } } },
    { name: 'ndis.sys', base: '0xfffff80072a00000', size: 1572864, cpus: [0, 2, 4, 6],
      dpc: { rate: 5000, duration_us: { dist: 'lognormal', median: 150, sigma: 0.5 } },
      isr: { rate: 1500, msi: true, duration_us: { dist: 'lognormal', median: 8, sigma: 0.7 } } },
  ],
};

before(async () => {
  srv = await startServer();
  browser = await launch();
  const g = generate(srv.dir, 'panel', scenario, false);
  const up = await uploadAndWait(srv.url, readFileSync(g.path), 'panel.etl', 'DPC panel');
  runId = up.body.run.id;
  ndisId = (await getJson(`${srv.url}/api/runs/${runId}/modules`)).body.modules.find((m) => m.name === 'ndis.sys').id;
});
after(async () => { await browser.close(); await srv.stop(); });

const ready = (page, prev) => page.waitForFunction((p) => {
  const r = document.getElementById('dpc-panel').dataset.ready;
  return r && r !== p;
}, prev, { timeout: 15000 });
const readyValue = (page) => page.evaluate(() => document.getElementById('dpc-panel').dataset.ready);

function histInfo(page) {
  return page.evaluate(() => {
    const c = window.Chart.getChart(document.getElementById('dpc-hist'));
    const g = c.$guideline;
    const x = c.scales.x;
    const px = Math.round((x.getPixelForValue(g.bucket - 1) + x.getPixelForValue(g.bucket)) / 2);
    // The guideline is drawn: red pixels down its column inside the chart area.
    const ctx = c.canvas.getContext('2d');
    const dpr = window.devicePixelRatio || 1;
    let red = 0;
    for (let y = Math.round(c.chartArea.top + 20); y < c.chartArea.bottom; y += 4) {
      const d = ctx.getImageData(Math.round(px * dpr), Math.round(y * dpr), 1, 1).data;
      if (d[0] > 180 && d[1] < 90 && d[2] < 90) red++;
    }
    return { bars: c.data.datasets[0].data.length, data: c.data.datasets[0].data, guideline: g, red, label: c.data.datasets[0].label };
  });
}

test('the histogram is drawn with the guideline; the DPC/ISR toggle moves it to 25 µs', async () => {
  const page = await openPage(browser);
  await page.goto(`${srv.url}/runs/${runId}`);
  await ready(page, null);
  const api = (await getJson(`${srv.url}/api/runs/${runId}/dpcisr/histogram`)).body;
  let h = await histInfo(page);
  assert.equal(h.bars, 42);
  assert.deepEqual(h.data, api.dpc.counts);
  assert.equal(h.guideline.us, 100);
  assert.equal(h.guideline.bucket, api.dpc.first_above_bucket);
  assert.ok(h.red >= 10, `guideline line pixels: ${h.red}`);
  const tiles = await page.textContent('#dpc-stats');
  assert.match(tiles, new RegExp(api.dpc.count.toLocaleString('en-US')));
  assert.match(tiles, /above 100 µs/);
  await page.click('#dpc-kind button[data-kind="isr"]');
  await page.waitForFunction(() => window.Chart.getChart(document.getElementById('dpc-hist')).$guideline.us === 25);
  h = await histInfo(page);
  assert.deepEqual(h.data, api.isr.counts);
  assert.equal(new URL(page.url()).searchParams.get('hist'), 'isr');
  // The trace facts are shown.
  const facts = await page.textContent('#trace-facts');
  assert.match(facts, /64-bit/);
  assert.match(facts, /dpc, interrupt/);
  // The heatmap's legend: the fixed 0–100 % scale with the 50 % limit marked (its cells'
  // colours: the next test).
  await page.waitForFunction(() => window.Chart.getChart(document.getElementById('dpc-heat')));
  const heat = { legend: await page.textContent('#dpc-heat-legend') };
  assert.match(heat.legend, /^0 %100\.0 % of the CPU in DPCs\+ISRs .*· mark │ at 50\.0 %: saturated/);
  await page.screenshot({ path: join(srv.dir, 'dpcisr.png'), fullPage: true });
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

// The heatmap's cells are painted in one pass (web/view.js, heatmap), without a Chart.js
// element per cell. Two cells read back from the canvas, in different rows, have the
// colours of their values in the API's JSON on the fixed 0–100 % ramp, worked out here from
// the ramp's five stops; hovering each shows that cell's CPU, slice start and DPC/ISR shares.
const RAMP = [[247, 251, 255], [253, 230, 138], [245, 158, 11], [220, 38, 38], [127, 29, 29]];
function rampColor(f) {
  const x = Math.min(1, Math.max(0, f)) * 4, i = Math.min(3, Math.floor(x)), k = x - i;
  const c = RAMP[i].map((v, j) => Math.round(v + (RAMP[i + 1][j] - v) * k));
  return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
}
// a fraction as the panel shows it: 12.3 %, 0.05 %, 0 %
const share = (f) => `${f === 0 ? '0' : f * 100 < 0.095 ? (f * 100).toFixed(2) : (f * 100).toFixed(1)} %`;

test('the heatmap paints each cell in its value\'s colour; the tooltip names the cell under the pointer', async () => {
  const page = await openPage(browser);
  await page.goto(`${srv.url}/runs/${runId}`);
  await ready(page, null);
  const asked = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name).find((u) => /\/dpcisr\/timeline\?/.test(u)));
  const tl = (await getJson(asked)).body;
  // the busiest cell of all, and the busiest of a CPU ndis.sys does not run on (CPU 1)
  const cellsOf = (row) => tl.t.map((_, i) => ({ row, i, cpu: tl.cpus[row].cpu, dpc: tl.cpus[row].dpc[i], isr: tl.cpus[row].isr[i] }));
  const busiest = (cells) => cells.reduce((a, b) => (b.dpc + b.isr > a.dpc + a.isr ? b : a));
  const a = busiest(tl.cpus.flatMap((_, row) => cellsOf(row)));
  const b = busiest(cellsOf(tl.cpus.findIndex((c) => c.cpu === 1)));
  assert.ok(a.dpc + a.isr > 0.05 && b.dpc + b.isr > 0 && a.row !== b.row, JSON.stringify([a, b]));
  assert.notEqual(rampColor(a.dpc + a.isr), rampColor(b.dpc + b.isr));
  await page.evaluate(() => document.getElementById('dpc-heat').scrollIntoView({ block: 'center' }));
  for (const c of [a, b]) {
    const at = await page.evaluate(({ row, mid }) => {
      const chart = window.Chart.getChart(document.getElementById('dpc-heat')), r = chart.currentDevicePixelRatio;
      const x = chart.scales.x.getPixelForValue(mid), y = chart.scales.y.getPixelForValue(row);
      const px = chart.ctx.getImageData(Math.floor(x * r), Math.floor(y * r), 1, 1).data;
      const box = chart.canvas.getBoundingClientRect();
      return { color: `rgb(${px[0]}, ${px[1]}, ${px[2]})`, x: box.left + x, y: box.top + y };
    }, { row: c.row, mid: tl.t[c.i] + tl.slice_ms / 2 });
    assert.equal(at.color, rampColor(c.dpc + c.isr), `CPU ${c.cpu}, slice ${c.i}`);
    await page.mouse.move(at.x, at.y);
    const tip = await page.waitForFunction((want) => {
      const tt = window.Chart.getChart(document.getElementById('dpc-heat')).tooltip;
      return tt.opacity > 0 && tt.title.length && tt.title[0].startsWith(want) && { title: tt.title, body: tt.body.flatMap((x) => x.lines) };
    }, `CPU ${c.cpu} ·`, { timeout: 5000 }).then((h) => h.jsonValue());
    const iso = new Date(tl.t[c.i]).toISOString();
    assert.deepEqual(tip.title, [`CPU ${c.cpu} · ${iso.slice(0, 10)} ${iso.slice(11, 23)}`]);
    assert.equal(tip.body[0], `DPC ${share(c.dpc)} + ISR ${share(c.isr)} of the CPU`);
  }
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('click a module to filter every chart, pick CPUs, zoom by dragging; the URL reproduces the view', async () => {
  const page = await openPage(browser);
  await page.goto(`${srv.url}/runs/${runId}`);
  await ready(page, null);
  // Module filter from the table.
  let prev = await readyValue(page);
  await page.click(`#dpc-modules tr[data-module="${ndisId}"]`);
  await ready(page, prev);
  assert.equal(new URL(page.url()).searchParams.get('module'), String(ndisId));
  assert.match(await page.textContent('#dpc-chips'), /module: ndis\.sys/);
  const modHist = (await getJson(`${srv.url}/api/runs/${runId}/dpcisr/histogram?module=${ndisId}`)).body;
  assert.deepEqual((await histInfo(page)).data, modHist.dpc.counts);
  const stackLabels = await page.evaluate(() => window.Chart.getChart(document.getElementById('dpc-stack')).data.datasets.map((d) => d.label));
  assert.deepEqual(stackLabels, ['ndis.sys']);
  // CPU picker: CPUs 0 and 2.
  prev = await readyValue(page);
  await page.click('#dpc-cpus button[data-cpu="0"]');
  await ready(page, prev);
  prev = await readyValue(page);
  await page.click('#dpc-cpus button[data-cpu="2"]');
  await ready(page, prev);
  assert.equal(new URL(page.url()).searchParams.get('cpus'), '0,2');
  const heatRows = await page.evaluate(() => window.Chart.getChart(document.getElementById('dpc-heat')).options.scales.y.labels);
  assert.deepEqual(heatRows, ['CPU 0', 'CPU 2']);
  // Drag across the heatmap: a window in the URL, every chart recomputed for it.
  await page.evaluate(() => document.getElementById('dpc-heat').scrollIntoView({ block: 'center' }));
  const b2 = await page.evaluate(() => {
    const c = window.Chart.getChart(document.getElementById('dpc-heat'));
    const r = c.canvas.getBoundingClientRect();
    return { left: r.left + c.chartArea.left, right: r.left + c.chartArea.right, y: r.top + (c.chartArea.top + c.chartArea.bottom) / 2 };
  });
  const w = b2.right - b2.left;
  prev = await readyValue(page);
  await page.mouse.move(b2.left + w * 0.2, b2.y);
  await page.mouse.down();
  await page.mouse.move(b2.left + w * 0.6, b2.y, { steps: 6 });
  await page.mouse.up();
  await ready(page, prev);
  const q = new URL(page.url()).searchParams;
  const from = Number(q.get('from')), to = Number(q.get('to'));
  const run = (await getJson(`${srv.url}/api/runs/${runId}`)).body;
  const start = run.summary.start_utc_us / 1000, dur = run.summary.duration_us / 1000;
  assert.ok(from > start + dur * 0.1 && from < start + dur * 0.3, `from at ${(from - start) / dur}`);
  assert.ok(to > start + dur * 0.5 && to < start + dur * 0.7, `to at ${(to - start) / dur}`);
  const zq = `module=${ndisId}&cpus=0,2&from=${from}&to=${to}`;
  const zoomed = (await getJson(`${srv.url}/api/runs/${runId}/dpcisr/histogram?${zq}`)).body;
  assert.deepEqual((await histInfo(page)).data, zoomed.dpc.counts);
  assert.ok(zoomed.dpc.count < modHist.dpc.count);
  // Click a histogram bar: that bucket's events are listed.
  const best = await page.evaluate(() => {
    const data = window.Chart.getChart(document.getElementById('dpc-hist')).data.datasets[0].data;
    let i = 0;
    data.forEach((v, k) => { if (v > data[i]) i = k; });
    return i;
  });
  await page.evaluate(() => document.getElementById('dpc-hist').scrollIntoView({ block: 'center' }));
  const pos = await barCenter(page, 'dpc-hist', best);
  await page.mouse.click(pos.x, pos.y);
  await page.waitForSelector('#dpc-bucket-events table tbody tr');
  assert.match(await page.textContent('#dpc-bucket-title'), /DPCs of/);
  const rows = await page.$$eval('#dpc-bucket-events tbody tr', (trs) => trs.map((tr) => tr.children[3].textContent));
  assert.ok(rows.length > 0 && rows.every((m) => m === 'ndis.sys'));
  const url = page.url();
  assert.deepEqual(page.problems, []);
  await page.context().close();

  // Reopen the link: the same view.
  const again = await openPage(browser);
  await again.goto(url);
  await ready(again, null);
  assert.deepEqual((await histInfo(again)).data, zoomed.dpc.counts);
  assert.match(await again.textContent('#dpc-chips'), /module: ndis\.sys/);
  assert.match(await again.textContent('#dpc-chips'), /CPUs 0,2/);
  assert.equal(await again.getAttribute(`#dpc-modules tr[data-module="${ndisId}"]`, 'class'), 'clickable selected');
  assert.equal(await again.getAttribute('#dpc-cpus button[data-cpu="2"]', 'aria-pressed'), 'true');
  assert.notEqual(await again.textContent('#window-text'), 'whole run');
  // Remove the module chip: the filter goes, the rest stays.
  const prev2 = await readyValue(again);
  await again.click('#dpc-chips button[data-key="module"]');
  await ready(again, prev2);
  const q2 = new URL(again.url()).searchParams;
  assert.equal(q2.get('module'), null);
  assert.equal(q2.get('cpus'), '0,2');
  assert.deepEqual(again.problems, []);
  await again.context().close();
});

test('a trace without DPC/ISR tracing gets an empty state with the commands that record it', async () => {
  const up = await uploadAndWait(srv.url, readFileSync(join(shared, 'samples', 'etl', 'airbus-ShutdownPerfDiagLogger.etl')), 'shutdown.etl');
  const page = await openPage(browser);
  await page.goto(`${srv.url}/runs/${up.body.run.id}`);
  await page.waitForFunction(() => document.getElementById('dpc-panel').dataset.ready === 'empty');
  assert.equal(await page.isVisible('#dpc-empty'), true);
  assert.equal(await page.isVisible('#dpc-body'), false);
  assert.equal(await page.isVisible('#dpc-kind'), false);
  const text = await page.textContent('#dpc-empty');
  assert.match(text, /DPC\/ISR tracing was not enabled in this trace/);
  assert.match(text, /xperf -on PROC_THREAD\+LOADER\+DPC\+INTERRUPT/);
  assert.match(text, /wpr -start GeneralProfile -start CPU/);
  // The empty state leads to the "Record a trace" page, whose commands carry this server's address.
  await page.click('#dpc-record-link');
  await page.waitForURL(`${srv.url}/record`);
  await page.waitForFunction(() => document.querySelector('.server-origin').textContent.startsWith('http://127.0.0.1:'));
  assert.equal(await page.textContent('#curl-cmd'), `curl.exe -X POST -T C:\\traces\\freeze.etl "${srv.url}/api/uploads?file=freeze.etl"`);
  assert.match(await page.textContent('#ps1-cmd'), new RegExp(`-Server ${srv.url} -Seconds 60`));
  assert.equal(await page.getAttribute('#wprp-link', 'href'), '/record/etlscope.wprp');
  await page.goBack();
  await page.waitForFunction(() => document.getElementById('dpc-panel').dataset.ready === 'empty');
  await page.waitForFunction(() => /off/.test(document.getElementById('trace-facts').textContent));
  assert.equal(await page.evaluate(() => window.Chart.getChart(document.getElementById('dpc-hist')) || null), null);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

// The run page formats its numbers and its charts' linear tick labels without Intl until it
// is fully drawn (watchIntl says why), and every linear axis label is still the one
// Chart.js's own formatter gives.
test('the ETW run page is drawn without Intl; linear tick labels are Chart.js\'s own', async () => {
  const page = await openPage(browser);
  await watchIntl(page);
  await page.goto(`${srv.url}/runs/${runId}`);
  await page.waitForFunction(() => performance.getEntriesByName('etlscope:drawn').length > 0, null, { timeout: 15000 });
  const t = await page.evaluate(() => {
    const uses = window.intlUses.slice();
    const axes = [];
    for (const canvas of document.querySelectorAll('canvas')) {
      const c = window.Chart.getChart(canvas);
      if (!c) continue;
      for (const s of Object.values(c.scales)) {
        if (s.type !== 'linear' || s.options.ticks.callback !== window.Chart.defaults.scales.linear.ticks.callback) continue;
        const want = s.ticks.map((k, i) => window.Chart.Ticks.formatters.numeric.call(s, k.value, i, s.ticks));
        axes.push({ id: `${canvas.id}.${s.id}`, got: s.ticks.map((k) => k.label), want });
      }
    }
    return { uses, axes };
  });
  assert.deepEqual(t.uses, []);
  assert.ok(t.axes.length >= 3, JSON.stringify(t.axes.map((a) => a.id)));
  for (const a of t.axes) assert.deepEqual(a.got, a.want, a.id);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

// The panels' first answers are asked for as soon as the verdict is drawn (their askAhead),
// while Chart.js runs, not after it; each is asked for once.
test('the panels ask for their first answers before Chart.js runs, once each', async () => {
  const page = await openPage(browser);
  await page.addInitScript(() => {
    let chart;
    Object.defineProperty(window, 'Chart', {
      configurable: true,
      get: () => chart,
      set: (v) => { chart = v; if (!window.chartAt) window.chartAt = performance.now(); },
    });
  });
  await page.goto(`${srv.url}/runs/${runId}`);
  await page.waitForFunction(() => performance.getEntriesByName('etlscope:drawn').length > 0, null, { timeout: 15000 });
  const t = await page.evaluate(() => ({
    chartAt: window.chartAt,
    asked: performance.getEntriesByType('resource').map((r) => ({ path: new URL(r.name).pathname, start: r.startTime }))
      .filter((r) => /\/(drivers|dpcisr\/(histogram|modules|timeline|events|inside)|modules|syscalls|scheduling)$/.test(r.path)),
  }));
  assert.ok(t.chartAt > 0, 'Chart.js ran');
  const paths = t.asked.map((r) => r.path.replace(/^.*\/runs\/[0-9a-f]+\//, '')).sort();
  assert.deepEqual(paths, ['dpcisr/events', 'dpcisr/histogram', 'dpcisr/inside', 'dpcisr/modules', 'dpcisr/timeline', 'drivers', 'modules', 'scheduling', 'syscalls']);
  for (const r of t.asked) assert.ok(r.start < t.chartAt, `${r.path} asked at ${r.start} ms, Chart.js ran at ${t.chartAt} ms`);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

// The heatmap's points come from a card's width read before the panels are shown (run.js
// calls askAhead first; panel_dpcisr.js, heatWidth): reading the panel's own box after it is
// shown forced a layout of the whole page before the first requests went out. Times are
// taken in the page by wrapping fetch and the hidden setter (order only, no durations).
test('the DPC/ISR panel asks before it is shown, for as many points as its heatmap is wide', async () => {
  const page = await openPage(browser);
  await page.addInitScript(() => {
    window.seen = [];
    const fetch0 = window.fetch;
    window.fetch = function (u, ...a) { window.seen.push(['fetch', String(u)]); return fetch0.call(this, u, ...a); };
    const d = Object.getOwnPropertyDescriptor(HTMLElement.prototype, 'hidden');
    Object.defineProperty(HTMLElement.prototype, 'hidden', {
      configurable: true,
      get() { return d.get.call(this); },
      set(v) { if (this.id === 'dpc-panel' && !v) window.seen.push(['shown', this.id]); d.set.call(this, v); },
    });
  });
  await page.goto(`${srv.url}/runs/${runId}`);
  await page.waitForFunction(() => performance.getEntriesByName('etlscope:drawn').length > 0, null, { timeout: 15000 });
  const t = await page.evaluate(() => ({ seen: window.seen, box: document.getElementById('dpc-heat-box').clientWidth }));
  const timeline = t.seen.findIndex(([k, u]) => k === 'fetch' && /\/dpcisr\/timeline\?/.test(u));
  const shown = t.seen.findIndex(([k]) => k === 'shown');
  assert.ok(timeline >= 0 && shown >= 0, JSON.stringify(t.seen));
  assert.ok(timeline < shown, `the timeline was asked for after the panel was shown: ${JSON.stringify(t.seen)}`);
  // the box's width as Chromium laid it out, once drawn: one point per 3 px (50–600)
  const points = Number(new URL(t.seen[timeline][1], srv.url).searchParams.get('points'));
  assert.equal(points, Math.max(50, Math.min(600, Math.floor(t.box / 3))), `box ${t.box} px`);
  assert.equal(t.seen.filter(([k, u]) => k === 'fetch' && /\/dpcisr\/timeline\?/.test(u)).length, 1);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});
