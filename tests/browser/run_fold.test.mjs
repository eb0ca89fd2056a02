// run_fold.test.mjs — what a run page leaves for later, in headless Chromium: cards and the
// DPC/ISR card's chart boxes below the fold are not laid out or painted until they near the
// viewport (web/run_fold.css), yet every panel has drawn its data into them by
// etlscope:drawn; and no browser storage is opened before the verdict and the panels' first
// requests (run.js: the edit token waits). Data: the demo's field story trace, cut to 1 s.
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

// For an element: whether the browser renders it now (false inside a skipped
// content-visibility: auto subtree), and what its canvas or table holds.
function probe(page, sel) {
  return page.evaluate((s) => {
    const el = document.querySelector(s);
    const out = { rendered: el.checkVisibility({ contentVisibilityAuto: true }), top: Math.round(el.getBoundingClientRect().top) };
    if (el.tagName === 'CANVAS') {
      // pixels the chart drew, read back from the canvas (not from Chart.js's own state)
      const px = el.width && el.height ? el.getContext('2d').getImageData(0, 0, el.width, el.height).data : [];
      let inked = 0;
      for (let i = 3; i < px.length; i += 4) if (px[i]) inked++;
      out.inked = inked;
      out.width = el.width;
    } else out.rows = el.querySelectorAll('tr').length;
    return out;
  }, sel);
}

const below = [
  ['the DPC/ISR card\'s time-by-module chart', '#dpc-stack'],
  ['the drivers card\'s table', '#drivers-body'],
  ['the drivers card\'s category chart', '#drivers-chart'],
];

test('cards below the fold are skipped until scrolled to, and hold their drawn data all along', async () => {
  const page = await openPage(browser);
  await page.goto(`${srv.url}/runs/${etl}`);
  await page.waitForFunction(() => performance.getEntriesByName('etlscope:drawn').length > 0, null, { timeout: 30000 });
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const viewport = page.viewportSize().height;
  for (const [what, sel] of below) {
    const p = await probe(page, sel);
    assert.ok(p.top > 2 * viewport, `${what} is below the fold: ${JSON.stringify(p)}`);
    assert.equal(p.rendered, false, `${what} is not rendered while far below the fold: ${JSON.stringify(p)}`);
    if ('inked' in p) assert.ok(p.width > 300 && p.inked > 1000, `${what} is drawn while skipped: ${JSON.stringify(p)}`);
    else assert.ok(p.rows > 1, `${what} is filled while skipped: ${JSON.stringify(p)}`);
  }
  for (const [what, sel] of below) {
    await page.evaluate((s) => document.querySelector(s).scrollIntoView({ block: 'center' }), sel);
    await page.waitForFunction((s) => document.querySelector(s).checkVisibility({ contentVisibilityAuto: true }), sel, { timeout: 5000 });
    const p = await probe(page, sel);
    if ('inked' in p) assert.ok(p.width > 300 && p.inked > 1000, `${what} on screen: ${JSON.stringify(p)}`);
    else assert.ok(p.rows > 1, `${what} on screen: ${JSON.stringify(p)}`);
  }
  // the verdict and the run's facts are rendered at once
  assert.equal((await probe(page, '#verdict')).rendered, true);
  assert.equal((await probe(page, '#facts')).rendered, true);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('no browser storage is opened before the verdict and the panels\' first requests', async () => {
  const page = await openPage(browser);
  // the first touch of window.localStorage or window.sessionStorage (opening either costs a
  // fresh profile tens of ms of the main thread)
  await page.addInitScript(() => {
    for (const name of ['localStorage', 'sessionStorage']) {
      let owner = window;
      while (owner && !Object.getOwnPropertyDescriptor(owner, name)) owner = Object.getPrototypeOf(owner);
      const d = Object.getOwnPropertyDescriptor(owner, name);
      Object.defineProperty(window, name, { configurable: true, get() {
        if (window.storageAt === undefined) window.storageAt = performance.now();
        return d.get.call(window);
      } });
    }
  });
  await page.goto(`${srv.url}/runs/${etl}`);
  await page.waitForFunction(() => performance.getEntriesByName('etlscope:drawn').length > 0, null, { timeout: 30000 });
  const t = await page.evaluate(() => ({
    storageAt: window.storageAt,
    verdict: performance.getEntriesByName('etlscope:verdict')[0].startTime,
    // the DPC/ISR panel asks for its timeline ahead of Chart.js (panel_dpcisr.js, askAhead)
    timeline: performance.getEntriesByType('resource').filter((r) => /\/dpcisr\/timeline\?/.test(r.name)).map((r) => r.startTime),
    token: document.getElementById('edit-token').value,
  }));
  assert.ok(t.storageAt !== undefined, 'the page reads the edit token from storage');
  assert.ok(t.timeline.length >= 1, JSON.stringify(t));
  assert.ok(t.storageAt > t.verdict, `storage opened at ${t.storageAt} ms, the verdict was drawn at ${t.verdict} ms`);
  assert.ok(t.storageAt >= t.timeline[0], `storage opened at ${t.storageAt} ms, the first timeline request at ${t.timeline[0]} ms`);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});
