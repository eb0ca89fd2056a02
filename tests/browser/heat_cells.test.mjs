// heat_cells.test.mjs — the perfmon CPU heatmap's cells, when each is about two pixels wide
// (a 20-minute log at the panel's one point per 2 px), read back from the canvas: every
// cell's middle pixel is its value's colour on the fixed 0–100 % ramp, worked out here from
// the ramp's five stops and the API's JSON, not blended with a neighbour's (web/view.js,
// heatmap: one pixel per cell scaled without smoothing). The DPC/ISR heatmap's colours are
// checked, cell by cell under the pointer, in dpcisr.test.mjs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, getJson, uploadAndWait } from '../support/server.mjs';
import { launch, openPage } from '../support/browser.mjs';
import { perCpuCsv } from '../support/perfmon.mjs';

const RAMP = [[247, 251, 255], [253, 230, 138], [245, 158, 11], [220, 38, 38], [127, 29, 29]];
function rampColor(f) {
  const x = Math.min(1, Math.max(0, f)) * 4, i = Math.min(3, Math.floor(x)), k = x - i;
  return RAMP[i].map((v, j) => Math.round(v + (RAMP[i + 1][j] - v) * k)).concat(255).join(',');
}

let srv, browser, perf;
before(async () => {
  srv = await startServer();
  browser = await launch();
  perf = (await uploadAndWait(srv.url, Buffer.from(perCpuCsv({ cpus: 4, seconds: 1200 })), 'heat.csv', 'heat cells')).body.run.id;
});
after(async () => { await browser.close(); await srv.stop(); });

test('every cell of a narrow-celled perfmon heatmap has its value\'s colour at its middle', async () => {
  const page = await openPage(browser);
  await page.goto(`${srv.url}/runs/${perf}`);
  await page.waitForFunction(() => window.Chart && window.Chart.getChart(document.getElementById('cpu-heat')), null, { timeout: 60000 });
  const asked = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name).find((u) => /\/cpu\?/.test(u)));
  const d = (await getJson(asked)).body;
  assert.equal(d.counter, '% Processor Time');
  const n = d.t.length, step = (d.t[n - 1] - d.t[0]) / (n - 1);
  await page.evaluate(() => document.getElementById('cpu-heat').scrollIntoView({ block: 'center' }));
  const got = await page.evaluate(({ t, step, rows }) => {
    const chart = window.Chart.getChart(document.getElementById('cpu-heat')), r = chart.currentDevicePixelRatio;
    const px = chart.ctx.getImageData(0, 0, chart.canvas.width, chart.canvas.height);
    const cellPx = chart.scales.x.getPixelForValue(t[0] + step) - chart.scales.x.getPixelForValue(t[0]);
    const out = [];
    for (let row = 0; row < rows; row++) {
      const y = Math.floor(chart.scales.y.getPixelForValue(row) * r);
      out.push(t.map((tk) => {
        const o = 4 * (y * px.width + Math.floor(chart.scales.x.getPixelForValue(tk + step / 2) * r));
        return Array.from(px.data.slice(o, o + 4)).join(',');
      }));
    }
    return { out, cellPx };
  }, { t: d.t, step, rows: d.series.length });
  assert.ok(n > 300 && got.cellPx < 3, `${n} cells a row, ${got.cellPx} px each: narrow cells are what this checks`);
  const wrong = [];
  d.series.forEach((s, row) => s.mean.forEach((v, k) => {
    if (v === null) return;
    if (got.out[row][k] !== rampColor(v / 100)) wrong.push(`CPU ${s.cpu} cell ${k} (${v}): ${got.out[row][k]} not ${rampColor(v / 100)}`);
  }));
  assert.equal(wrong.length, 0, `${wrong.length} of ${n * d.series.length} cells:\n${wrong.slice(0, 5).join('\n')}`);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});
