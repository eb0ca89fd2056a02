// layout.test.mjs — the pages at phone width (390 px) and on a 1440 px screen, in headless
// Chromium: at 390 px nothing makes the page wider than the screen (one column; a wide table
// scrolls sideways in its own box); at 1440 px the drivers table shows every column, the CPU
// columns included, without scrolling sideways. Data: the demo's field story trace.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, uploadAndWait } from '../support/server.mjs';
import { uploadStoryCut } from '../support/story.mjs';
import { launch, openPage } from '../support/browser.mjs';
import { perCpuCsv } from '../support/perfmon.mjs';

let srv, browser, etl, etl2, perf;
before(async () => {
  srv = await startServer();
  browser = await launch();
  // The demo's field story, cut to 1 s (same modules, vendors and products; fewer events).
  etl = await uploadStoryCut(srv, 'field-before', 'field-before.etl', 'FS01 before the driver update');
  etl2 = await uploadStoryCut(srv, 'field-after-update', 'field-after.etl', 'FS01 after the driver update, a long name to show in lists');
  perf = (await uploadAndWait(srv.url, Buffer.from(perCpuCsv({ cpus: 8, seconds: 60 })), 'perf.csv', 'perfmon at phone width')).body.run.id;
});
after(async () => { await browser.close(); await srv.stop(); });

// Waits until the page has drawn its data (tables filled, charts made).
async function settle(page, path) {
  await page.goto(srv.url + path);
  if (path === '/') await page.waitForSelector('#runs tbody tr');
  else if (path.startsWith('/compare')) await page.waitForFunction(() => document.querySelectorAll('#cmp-modules tbody tr').length && document.querySelectorAll('#cmp-add option').length > 1 && document.getElementById('cmp-stacks-panel').dataset.done);
  else if (path.endsWith(etl)) await page.waitForFunction(() => document.getElementById('dpc-panel').dataset.ready && document.getElementById('stacks-panel').dataset.ready && document.querySelectorAll('#drivers-body tr').length && document.querySelectorAll('#vendors-body tr').length);
  else await page.waitForFunction(() => window.Chart && window.Chart.getChart(document.getElementById('cpu-heat')));
}

// What sticks out of a width-px viewport: the page's own scroll width, and each visible
// table wider than the screen that no sideways-scrolling box of at most width px holds.
function overflow(page, width) {
  return page.evaluate((vw) => {
    const loose = [];
    for (const t of document.querySelectorAll('main table')) {
      if (!t.offsetParent || t.getBoundingClientRect().right <= vw) continue;
      let box = t.parentElement;
      while (box && !/(auto|scroll)/.test(getComputedStyle(box).overflowX)) box = box.parentElement;
      if (!box || box.getBoundingClientRect().right > vw) loose.push(t.id || t.className);
    }
    return { scrollWidth: document.documentElement.scrollWidth, loose };
  }, width);
}

for (const [name, path] of [['the start page', () => '/'], ['an ETW run page', () => `/runs/${etl}`], ['a perfmon run page', () => `/runs/${perf}`], ['the compare page', () => `/compare?runs=${etl},${etl2}`]]) {
  test(`${name} fits a 390 px phone screen; wide tables scroll in their own box`, async () => {
    const page = await openPage(browser, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    await settle(page, path());
    const o = await overflow(page, 390);
    assert.equal(o.scrollWidth, 390, 'the page is no wider than the screen');
    assert.deepEqual(o.loose, [], 'every wide table is inside its own scroll box');
    // One column: every card starts at the same left edge.
    const lefts = await page.$$eval('main > section:not([hidden])', (s) => [...new Set(s.map((x) => Math.round(x.getBoundingClientRect().left)))]);
    assert.equal(lefts.length, 1, `card left edges ${lefts}`);
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });
}

test('at 1440 px the drivers table shows its CPU columns without a sideways scroll', async () => {
  const page = await openPage(browser, { viewport: { width: 1440, height: 900 } });
  await settle(page, `/runs/${etl}`);
  const d = await page.evaluate(() => {
    const wrap = document.querySelector('table.drivers').parentElement;
    const box = wrap.getBoundingClientRect();
    const cols = [...document.querySelectorAll('#drivers-head th:not([hidden])')].slice(-2).map((th) => {
      const r = th.getBoundingClientRect();
      return { text: th.textContent, left: r.left, right: r.right };
    });
    return { scrollWidth: wrap.scrollWidth, clientWidth: wrap.clientWidth, left: box.left, right: box.right, cols };
  });
  assert.ok(d.scrollWidth <= d.clientWidth, `drivers table ${d.scrollWidth} px in a ${d.clientWidth} px box`);
  assert.deepEqual(d.cols.map((c) => c.text.replace(/[▲▼ ]+$/, '')), ['CPU excl.', 'CPU incl.']);
  for (const c of d.cols) assert.ok(c.left >= d.left && c.right <= d.right + 0.5, `${c.text} at ${c.left}–${c.right}, box ${d.left}–${d.right}`);
  assert.equal(await overflow(page, 1440).then((o) => o.scrollWidth), 1440);
  await page.context().close();
});
