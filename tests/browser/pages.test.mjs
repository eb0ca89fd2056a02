// pages.test.mjs — browser tests in headless Chromium: upload through the page, the run
// page's per-CPU charts, drag-to-zoom kept in the URL, and hostile text rendered inert.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, uploadAndWait } from '../support/server.mjs';
import { launch, openPage, uploadThroughPage } from '../support/browser.mjs';
import { perCpuCsv } from '../support/perfmon.mjs';

let srv, browser;
before(async () => { srv = await startServer(); browser = await launch(); });
after(async () => { await browser.close(); await srv.stop(); });

async function chartInfo(page, id) {
  return page.evaluate((cid) => {
    const c = window.Chart && window.Chart.getChart(document.getElementById(cid));
    if (!c) return null;
    return { type: c.config.type, datasets: c.data.datasets.length, points: c.data.datasets.map((d) => d.data.length), labels: c.data.datasets.map((d) => d.label) };
  }, id);
}

test('upload a perfmon CSV through the page and see the per-CPU chart drawn', async () => {
  const file = join(srv.dir, 'fourcpu.csv');
  writeFileSync(file, perCpuCsv({ cpus: 4, seconds: 90, pegged: [0, 2] }));
  const page = await openPage(browser);
  await page.goto(srv.url + '/');
  await page.fill('#run-name', 'browser upload');
  await page.setInputFiles('#file', file);
  await page.waitForURL(/\/runs\/[0-9a-f]{32}/, { timeout: 20000 });
  await page.waitForFunction(() => window.Chart && window.Chart.getChart(document.getElementById('cpu-lines')));
  assert.equal(await page.textContent('#run-name'), 'browser upload');
  const lines = await chartInfo(page, 'cpu-lines');
  assert.equal(lines.type, 'line');
  assert.deepEqual(lines.labels, ['CPU 0', 'CPU 1', 'CPU 2', 'CPU 3']);
  assert.ok(lines.points.every((n) => n === 90), JSON.stringify(lines.points));
  const heat = await chartInfo(page, 'cpu-heat');
  assert.equal(heat.type, 'heatGrid');
  assert.equal(await page.evaluate(() => window.Chart.getChart(document.getElementById('cpu-heat')).data.datasets[0].cells.length), 4 * 90);
  // The canvas really has pixels drawn on it.
  const inked = await page.evaluate(() => {
    const cv = document.getElementById('cpu-lines');
    const d = cv.getContext('2d').getImageData(0, 0, cv.width, cv.height).data;
    let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
    return n;
  });
  assert.ok(inked > 1000, `chart pixels drawn: ${inked}`);
  await page.screenshot({ path: join(srv.dir, 'run-page.png'), fullPage: true });
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('drag to zoom puts the window in the URL, and the URL reproduces the view', async () => {
  const up = await uploadAndWait(srv.url, Buffer.from(perCpuCsv({ cpus: 2, seconds: 120 })), 'zoom.csv');
  const page = await openPage(browser);
  await page.goto(`${srv.url}/runs/${up.body.run.id}`);
  await page.waitForFunction(() => window.Chart && window.Chart.getChart(document.getElementById('cpu-lines')));
  const area = await page.evaluate(() => {
    const c = window.Chart.getChart(document.getElementById('cpu-lines'));
    const r = c.canvas.getBoundingClientRect();
    return { left: r.left + c.chartArea.left, right: r.left + c.chartArea.right, y: r.top + (c.chartArea.top + c.chartArea.bottom) / 2 };
  });
  const w = area.right - area.left;
  await page.mouse.move(area.left + w * 0.25, area.y);
  await page.mouse.down();
  await page.mouse.move(area.left + w * 0.5, area.y, { steps: 5 });
  await page.mouse.up();
  await page.waitForFunction(() => new URLSearchParams(location.search).has('from'));
  const url = page.url();
  const q = new URL(url).searchParams;
  const from = Number(q.get('from')), to = Number(q.get('to'));
  const start = Date.UTC(2026, 0, 15, 10, 0, 0);
  assert.ok(from > start + 20000 && from < start + 40000, `from ${from - start}`);
  assert.ok(to > start + 50000 && to < start + 70000, `to ${to - start}`);
  await page.waitForFunction(() => {
    const c = window.Chart.getChart(document.getElementById('cpu-lines'));
    return c && c.data.datasets[0].data.length < 60;
  });
  const zoomed = await chartInfo(page, 'cpu-lines');

  const again = await openPage(browser);
  await again.goto(url);
  await again.waitForFunction(() => window.Chart && window.Chart.getChart(document.getElementById('cpu-lines')));
  assert.deepEqual(await chartInfo(again, 'cpu-lines'), zoomed);
  assert.equal(await again.isVisible('#zoom-reset'), true);
  await again.click('#zoom-reset');
  await again.waitForFunction(() => !new URLSearchParams(location.search).has('from'));
  await again.waitForFunction(() => window.Chart.getChart(document.getElementById('cpu-lines')).data.datasets[0].data.length === 120);
  assert.deepEqual(page.problems, []);
  assert.deepEqual(again.problems, []);
  await page.context().close();
  await again.context().close();
});

test('counter picker switches the per-CPU counter', async () => {
  const two = perCpuCsv({ cpus: 3, seconds: 30, counterName: '% DPC Time' });
  const up = await uploadAndWait(srv.url, Buffer.from(two), 'dpc.csv');
  const page = await openPage(browser);
  await page.goto(`${srv.url}/runs/${up.body.run.id}`);
  await page.waitForFunction(() => window.Chart && window.Chart.getChart(document.getElementById('cpu-lines')));
  assert.equal(await page.inputValue('#counter-pick'), '% DPC Time');
  assert.match(await page.textContent('#cpu-counter-title'), /% DPC Time/);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('hostile names, file names and counter paths are shown as text, never run', async () => {
  const evil = '"(PDH-CSV 4.0) (UTC)(0)","\\\\<img src=x onerror=alert(1)>\\Processor(0)\\% <b>bold</b>","\\\\H\\<script>document.title=1</script>\\c"\n' +
    '"01/01/2020 00:00:00.000","1","1"\n"01/01/2020 00:00:01.000","2","2"\n';
  const up = await uploadAndWait(srv.url, Buffer.from(evil), '<svg onload=alert(3)>.csv', '<img src=y onerror=alert(4)>');
  const page = await openPage(browser);
  await page.goto(srv.url + '/');
  await page.waitForSelector(`tr[data-run="${up.body.run.id}"]`);
  assert.equal(await page.textContent(`tr[data-run="${up.body.run.id}"] a`), '<img src=y onerror=alert(4)>');
  await page.goto(`${srv.url}/runs/${up.body.run.id}`);
  await page.waitForFunction(() => document.querySelectorAll('#counter-list li').length === 2);
  assert.equal(await page.textContent('#run-name'), '<img src=y onerror=alert(4)>');
  const list = await page.textContent('#counter-list');
  assert.ok(list.includes("<script>document.title=1</script>"));
  assert.equal(await page.evaluate(() => document.querySelectorAll('main img, main script, main svg, main b').length), 0);
  await page.waitForLoadState('networkidle'); // every fetch answered and rendered: nothing left to run
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('an unknown run id shows a clear message', async () => {
  const page = await openPage(browser);
  await page.goto(`${srv.url}/runs/${'0'.repeat(32)}`);
  await page.waitForSelector('#load-error:not([hidden])');
  assert.match(await page.textContent('#load-error'), /no such run/);
  await page.context().close();
});

test('the uploader edits, copies the link and deletes a run from its page', async () => {
  const file = join(srv.dir, 'edit-me.csv');
  writeFileSync(file, perCpuCsv({ cpus: 2, seconds: 20 }));
  const { page, id } = await uploadThroughPage(browser, srv.url, file);
  // The edit form is filled once the run has loaded.
  await page.waitForFunction(() => document.getElementById('edit-token').value !== '');
  await page.click('#edit summary');
  assert.match(await page.inputValue('#edit-token'), /^[0-9a-f]{32}$/, 'the upload kept its edit token');
  await page.fill('#edit-name', 'renamed in the browser');
  await page.fill('#edit-notes', 'after the NIC driver update');
  await page.click('#edit-form button[type=submit]');
  await page.waitForFunction(() => document.getElementById('run-name').textContent === 'renamed in the browser');
  assert.equal(await page.textContent('#run-notes'), 'after the NIC driver update');
  await page.click('#copy-link');
  await page.waitForFunction(() => document.getElementById('copy-done').textContent !== '');
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), page.url());
  await page.evaluate(() => { window.confirm = () => true; });
  await page.click('#delete-run');
  await page.waitForURL(`${srv.url}/`);
  await page.waitForFunction(() => document.querySelector('#runs tbody') !== null);
  assert.equal(await page.$(`tr[data-run="${id}"]`), null);
  assert.equal((await fetch(`${srv.url}/api/runs/${id}`)).status, 404);
  await page.context().close();
});

// The verdict's two answers (the run, its findings) must not wait for the page's other
// scripts: view.js asks for them as it runs, so both requests start before
// DOMContentLoaded (which fires after every deferred script has run) and each is made once.
test('the run and its findings are asked for before DOMContentLoaded, once each', async () => {
  const up = await uploadAndWait(srv.url, Buffer.from(perCpuCsv({ cpus: 2, seconds: 30 })), 'early.csv');
  const page = await openPage(browser);
  await page.goto(`${srv.url}/runs/${up.body.run.id}`);
  await page.waitForFunction(() => performance.getEntriesByName('etlscope:drawn').length > 0);
  const t = await page.evaluate(() => {
    const dcl = performance.getEntriesByType('navigation')[0].domContentLoadedEventStart;
    const base = `/api/runs/${view.runId}`;
    const starts = (path) => performance.getEntriesByType('resource')
      .filter((r) => new URL(r.name).pathname === path).map((r) => r.startTime);
    return { dcl, run: starts(base), findings: starts(`${base}/findings`) };
  });
  assert.equal(t.run.length, 1, JSON.stringify(t));
  assert.equal(t.findings.length, 1, JSON.stringify(t));
  assert.ok(t.run[0] < t.dcl && t.findings[0] < t.dcl, JSON.stringify(t));
  assert.match(await page.textContent('#verdict'), /\S/);
  assert.notEqual(await page.textContent('#verdict'), '…');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('the verdict is drawn while the other panels\' scripts are still loading', async () => {
  const up = await uploadAndWait(srv.url, Buffer.from(perCpuCsv({ cpus: 2, seconds: 30 })), 'late.csv');
  const page = await openPage(browser);
  // hold the other panels' script (web/CMakeLists.txt: run_panels.js) until the verdict is
  // on screen: a page whose verdict waits for every script (DOMContentLoaded) never shows
  // it, and this test times out
  let release, held = 0;
  const verdictShown = new Promise((r) => { release = r; });
  await page.route(/\/static\/run_panels\.[0-9a-f]+\.js$/, async (route) => { held++; await verdictShown; await route.continue(); });
  await page.goto(`${srv.url}/runs/${up.body.run.id}`, { waitUntil: 'commit' });
  await page.waitForFunction(() => {
    const v = document.getElementById('verdict');
    return v && /\S/.test(v.textContent) && v.textContent !== '…';
  }, null, { timeout: 15000 });
  assert.equal(await page.evaluate(() => document.readyState === 'complete' || performance.getEntriesByType('navigation')[0].domContentLoadedEventStart > 0), false);
  assert.equal(held, 1, 'the page asked for the panels\' script');
  release();
  await page.waitForFunction(() => performance.getEntriesByName('etlscope:drawn').length > 0);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

// Each request before the first paint costs a cold visit time (tens of ms each on a loaded
// machine): the run page's own style sheets and scripts are joined at build time
// (web/CMakeLists.txt) into one style sheet (app.css is inline in the HTML, web/embed.c) and
// two scripts; Chart.js and d3 are asked for after the first frame and run only once the
// verdict is drawn (run.js, askLateScripts and runLateScripts).
test('a run page loads one style sheet and two scripts; the chart libraries run after the verdict', async () => {
  const up = await uploadAndWait(srv.url, Buffer.from(perCpuCsv({ cpus: 2, seconds: 30 })), 'few.csv');
  const page = await openPage(browser);
  await page.addInitScript(() => {
    let d3;
    Object.defineProperty(window, 'd3', { configurable: true, get: () => d3, set: (v) => { d3 = v; if (!window.d3At) window.d3At = performance.now(); } });
  });
  await page.goto(`${srv.url}/runs/${up.body.run.id}`);
  await page.waitForFunction(() => performance.getEntriesByName('etlscope:drawn').length > 0);
  const t = await page.evaluate(() => {
    const own = (ext) => performance.getEntriesByType('resource').map((r) => new URL(r.name).pathname)
      .filter((p) => p.startsWith('/static/') && p.endsWith(ext));
    return {
      css: own('.css'), js: own('.js'),
      sheets: document.styleSheets.length,
      deferred: [...document.querySelectorAll('script[src][defer]')].map((s) => new URL(s.src).pathname),
      verdict: performance.getEntriesByName('etlscope:verdict')[0].startTime, d3At: window.d3At,
    };
  });
  assert.equal(t.css.length, 1, JSON.stringify(t.css));
  assert.equal(t.sheets, 2, 'the inline <style> and run.css');
  assert.equal(t.deferred.length, 2, JSON.stringify(t.deferred));
  assert.match(t.deferred[0], /^\/static\/run_first\.[0-9a-f]{16}\.js$/);
  assert.match(t.deferred[1], /^\/static\/run_panels\.[0-9a-f]{16}\.js$/);
  // the page's scripts: its two own, then Chart.js and d3 (two files)
  assert.equal(t.js.length, 5, JSON.stringify(t.js));
  assert.ok(t.d3At > t.verdict, `d3 ran at ${t.d3At} ms, the verdict was drawn at ${t.verdict} ms`);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

// The first paint waits for no style sheet: app.css is inline in the HTML (web/embed.c; the
// CSP allows it by its SHA-256) and run.css is linked after the facts card, so the verdict
// the HTML carries (server/run_page.c) is painted, styled, while run.css is still on its way.
// A page whose style sheet is render-blocking paints nothing until it arrives.
test('the verdict is painted and styled before the panels\' style sheet has arrived', async () => {
  const up = await uploadAndWait(srv.url, Buffer.from(perCpuCsv({ cpus: 2, seconds: 30 })), 'paint.csv');
  const page = await openPage(browser);
  let release, held = 0;
  const sheetMayGo = new Promise((r) => { release = r; });
  await page.route(/\/static\/run\.[0-9a-f]{16}\.css$/, async (route) => { held++; await sheetMayGo; await route.continue(); });
  await page.goto(`${srv.url}/runs/${up.body.run.id}`, { waitUntil: 'commit' });
  await page.waitForFunction(() => performance.getEntriesByName('first-contentful-paint').length > 0, null, { timeout: 15000 });
  const v = await page.evaluate(() => {
    const el = document.getElementById('verdict'), cs = getComputedStyle(el);
    const lcp = new Promise((done) => new PerformanceObserver((l) => done(l.getEntries().some((e) => e.element && e.element.closest('#verdict'))))
      .observe({ type: 'largest-contentful-paint', buffered: true }));
    return lcp.then((painted) => ({
      text: el.textContent, cls: el.className, border: cs.borderLeftWidth, style: cs.borderLeftStyle,
      panelShown: !document.getElementById('findings-panel').hidden, painted,
      sheetArrived: performance.getEntriesByType('resource').some((r) => /\/static\/run\.[0-9a-f]{16}\.css$/.test(r.name)),
    }));
  });
  assert.equal(held, 1, 'the page asked for run.css');
  assert.equal(v.sheetArrived, false, 'run.css was held');
  assert.ok(v.panelShown && /\S/.test(v.text) && v.text !== '…', JSON.stringify(v));
  assert.match(v.cls, /^verdict sev-[a-z]+$/);
  // app.css: .verdict { border-left: 6px solid … }, by hand
  assert.equal(v.border, '6px');
  assert.equal(v.style, 'solid');
  assert.equal(v.painted, true, 'the largest paint so far is the verdict');
  release();
  await page.waitForFunction(() => performance.getEntriesByName('etlscope:drawn').length > 0);
  assert.deepEqual(page.problems, [], 'no CSP refusal of the inline style, no error');
  await page.context().close();
});

// The chart libraries (Chart.js, d3 for the flame graph: ~280 KB, ~150 ms of compiling on a
// background thread) are not fetched with the page: run.js asks for them once the first
// frame is out, so their compiling does not compete with the verdict's first paint, and
// each is fetched once (the preload is the script's fetch). With run.css held, no script of
// the page has run: a page that names them in preload links has asked for them by then.
test('the chart libraries are asked for after the first paint, once each', async () => {
  const up = await uploadAndWait(srv.url, Buffer.from(perCpuCsv({ cpus: 2, seconds: 30 })), 'libs.csv');
  const page = await openPage(browser);
  const libs = /\/static\/(chart\.umd|d3-selection|d3-flamegraph)\.[0-9a-f]{16}\.js$/;
  const asked = [];
  page.on('request', (r) => { if (libs.test(new URL(r.url()).pathname)) asked.push(new URL(r.url()).pathname); });
  let release;
  const sheetMayGo = new Promise((r) => { release = r; });
  await page.route(/\/static\/run\.[0-9a-f]{16}\.css$/, async (route) => { await sheetMayGo; await route.continue(); });
  await page.goto(`${srv.url}/runs/${up.body.run.id}`, { waitUntil: 'commit' });
  await page.waitForFunction(() => performance.getEntriesByName('first-contentful-paint').length > 0, null, { timeout: 15000 });
  assert.match(await page.textContent('#verdict'), /\S/);
  assert.deepEqual(asked, [], 'no chart library asked for before the first paint');
  release();
  await page.waitForFunction(() => performance.getEntriesByName('etlscope:drawn').length > 0);
  assert.equal(asked.length, 3, JSON.stringify(asked));
  assert.equal(new Set(asked).size, 3, `each fetched once: ${JSON.stringify(asked)}`);
  assert.equal(await page.evaluate(() => typeof window.Chart === 'function' && typeof window.d3.select === 'function' && typeof window.flamegraph), 'function');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});
