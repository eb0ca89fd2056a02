// run_layout_order.test.mjs — what a chart's size read lays out on the run page, in headless
// Chromium: every chart box is laid out on its own (web/run_fold.css: size and layout
// containment) and its canvas still fills it; the DPC/ISR and drivers panels build their
// charts before they write their tables, so Chart.js's read of a box's size (a forced
// layout) never lays out a table written just before it (bench/README.md h-pages7).
// Data: the demo's field story trace, cut to 1 s.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../support/server.mjs';
import { uploadStoryCut } from '../support/story.mjs';
import { launch, openPage } from '../support/browser.mjs';

let srv, browser, etl;
before(async () => {
  srv = await startServer();
  browser = await launch();
  etl = await uploadStoryCut(srv, 'field-before', 'field-before.etl', 'FS01 before the driver update');
});
after(async () => { await browser.close(); await srv.stop(); });

const drawn = (page) => page.waitForFunction(() => performance.getEntriesByName('etlscope:drawn').length > 0, null, { timeout: 30000 });

test('a panel\'s charts are built before its tables are written', async () => {
  const page = await openPage(browser);
  // one log, in call order, of the first 2D context asked of each canvas (Chart.js asks for
  // it when a chart is built, right before it reads the box's size) and of each time an
  // element with an id has its children replaced (how the panels write their tables)
  await page.addInitScript(() => {
    window.drawOrder = [];
    const seen = new Set();
    const getContext = HTMLCanvasElement.prototype.getContext;
    HTMLCanvasElement.prototype.getContext = function (...a) {
      if (this.id && !seen.has(this)) { seen.add(this); window.drawOrder.push(`chart ${this.id}`); }
      return getContext.apply(this, a);
    };
    const replaceChildren = Element.prototype.replaceChildren;
    Element.prototype.replaceChildren = function (...a) {
      if (this.id) window.drawOrder.push(`rows ${this.id}`);
      return replaceChildren.apply(this, a);
    };
  });
  await page.goto(`${srv.url}/runs/${etl}`);
  await drawn(page);
  const order = await page.evaluate(() => window.drawOrder);
  const at = (what) => {
    const i = order.indexOf(what);
    assert.ok(i >= 0, `${what} happened: ${order.join(', ')}`);
    return i;
  };
  for (const [chart, table] of [
    ['chart dpc-hist', 'rows dpc-modules'], ['chart dpc-heat', 'rows dpc-modules'], ['chart dpc-stack', 'rows dpc-modules'],
    ['chart dpc-inside-chart', 'rows dpc-inside'], ['chart drivers-chart', 'rows drivers-body'], ['chart drivers-chart', 'rows vendors-body'],
  ]) assert.ok(at(chart) < at(table), `${chart} before ${table}: ${order.join(', ')}`);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('every chart box is laid out on its own and its chart fills it', async () => {
  const page = await openPage(browser);
  await page.goto(`${srv.url}/runs/${etl}`);
  await drawn(page);
  const boxes = await page.evaluate(() => [...document.querySelectorAll('.chart-box')]
    .filter((b) => b.offsetParent !== null || b.checkVisibility({ contentVisibilityAuto: false }))
    .map((b) => {
      const c = b.querySelector('canvas');
      const chart = c && window.Chart && window.Chart.getChart(c);
      return {
        id: b.id || (c && c.id), contain: getComputedStyle(b).contain,
        box: [b.clientWidth, b.clientHeight], canvas: chart ? [c.clientWidth, c.clientHeight] : null,
      };
    }));
  const charted = boxes.filter((b) => b.canvas);
  // the ETW run's charts: DPC/ISR histogram, heatmap and module bars, the drivers' categories
  for (const id of ['dpc-hist', 'dpc-heat-box', 'dpc-stack-box', 'drivers-chart']) {
    assert.ok(charted.some((b) => b.id === id), `${id} has a chart: ${JSON.stringify(boxes)}`);
  }
  for (const b of boxes) {
    const c = b.contain.split(' ');
    assert.ok((c.includes('size') || c.includes('strict')) && (c.includes('layout') || c.includes('strict')), `${b.id} is contained: ${JSON.stringify(b)}`);
  }
  for (const b of charted) {
    assert.ok(b.box[0] > 300 && b.box[1] > 100, `${b.id} has a size: ${JSON.stringify(b)}`);
    assert.ok(Math.abs(b.canvas[0] - b.box[0]) <= 1 && Math.abs(b.canvas[1] - b.box[1]) <= 1, `${b.id}'s chart fills its box: ${JSON.stringify(b)}`);
  }
  assert.deepEqual(page.problems, []);
  await page.context().close();
});
