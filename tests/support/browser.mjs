// browser.mjs — test helper: headless Debian Chromium through playwright-core.
import { chromium } from 'playwright-core';

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

// A page that records console errors, page errors and dialogs (alert() from injected HTML).
export async function openPage(browser, opts = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...opts });
  const page = await context.newPage();
  page.problems = [];
  page.on('console', (m) => { if (m.type() === 'error') page.problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => page.problems.push(`pageerror: ${e}`));
  page.on('dialog', async (d) => { page.problems.push(`dialog: ${d.message()}`); await d.dismiss(); });
  return page;
}

// Uploads the file at path through the start page's file picker (single file: the page then
// opens the new run); returns a page on the run (clipboard allowed) and the run id.
export async function uploadThroughPage(browser, base, path) {
  const page = await openPage(browser, { permissions: ['clipboard-read', 'clipboard-write'] });
  await page.goto(base + '/');
  await page.setInputFiles('#file', path);
  await page.waitForURL(/\/runs\/[0-9a-f]{32}$/, { timeout: 20000 });
  return { page, id: new URL(page.url()).pathname.split('/').pop() };
}

// The viewport point in the middle of bar `index` of the bar chart on canvas `canvasId`.
export function barCenter(page, canvasId, index) {
  return page.evaluate(([cid, b]) => {
    const c = window.Chart.getChart(document.getElementById(cid));
    const el = c.getDatasetMeta(0).data[b];
    const r = c.canvas.getBoundingClientRect();
    return { x: r.left + el.x, y: r.top + (el.y + el.base) / 2 };
  }, [canvasId, index]);
}

// Records, in window.intlUses, every use of Intl by the page (number formats, collation)
// from its first script on: a page's first Intl use costs it 30–70 ms of main thread, so the
// run page has none until it is fully drawn (web/common.js, fmt.fixed). Call before goto.
export function watchIntl(page) {
  return page.addInitScript(() => {
    window.intlUses = [];
    const NF = Intl.NumberFormat, Coll = Intl.Collator, toLocale = Number.prototype.toLocaleString, compare = String.prototype.localeCompare;
    const seen = () => { window.intlUses.push(new Error().stack.split('\n').slice(2, 4).join(' ')); };
    Intl.NumberFormat = function (...a) { seen(); return new NF(...a); };
    Intl.NumberFormat.prototype = NF.prototype;
    Intl.Collator = function (...a) { seen(); return new Coll(...a); };
    Intl.Collator.prototype = Coll.prototype;
    Number.prototype.toLocaleString = function (...a) { seen(); return toLocale.apply(this, a); }; // eslint-disable-line no-extend-native
    String.prototype.localeCompare = function (...a) { seen(); return compare.apply(this, a); }; // eslint-disable-line no-extend-native
  });
}
