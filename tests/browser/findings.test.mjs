// findings.test.mjs — browser tests of the verdict/findings panel and the drivers table on
// a demo-like run (the field story): verdict first, findings link to their filter and scroll
// to their panel, the table sorts and filters, category colours come from one table, hostile
// module names stay text.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { uploadAndWait } from '../support/server.mjs';
import { startStoryServer } from '../support/story.mjs';
import { launch, openPage } from '../support/browser.mjs';
import { etlgen } from '../support/etlgen.mjs';

let srv, browser, runId;
before(async () => {
  let runs;
  ({ srv, runs } = await startStoryServer()); // field-before named 'FS01 before'
  browser = await launch();
  runId = runs['field-before'].id;
});
after(async () => { await browser.close(); await srv.stop(); });

const rowNames = (page) => page.$$eval('#drivers-body tr', (trs) => trs.map((tr) => tr.querySelector('.mod-name').textContent));

test('the verdict is on screen before any script has run (it is in the HTML)', async () => {
  const page = await openPage(browser);
  const held = [];
  let hold = true;
  await page.route(/\/static\/.*\.js$/, (route) => (hold ? held.push(route) : route.continue()));
  await page.goto(`${srv.url}/runs/${runId}`, { waitUntil: 'commit' });
  await page.waitForSelector('#verdict strong', { state: 'visible', timeout: 10000 });
  assert.match(await page.textContent('#verdict'), /^Problem found: DPCs and ISRs took more than 50 % of CPUs 0, 2, 4 and 6/);
  assert.equal(await page.evaluate(() => typeof window.view), 'undefined', 'no script has run');
  assert.ok(held.length > 0);
  // the scripts, let go, draw the findings under it as before
  hold = false;
  for (const r of held) await r.continue();
  await page.waitForSelector('#findings-list li');
  assert.match(await page.textContent('#verdict'), /^Problem found: DPCs and ISRs took more than 50 %/);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('the run page opens with the verdict, then the ranked evidence', async () => {
  const page = await openPage(browser);
  await page.goto(`${srv.url}/runs/${runId}`);
  await page.waitForSelector('#findings-list li');
  const verdict = await page.textContent('#verdict');
  assert.match(verdict, /^Problem found: DPCs and ISRs took more than 50 % of CPUs 0, 2, 4 and 6/);
  // The findings panel comes before everything else on the page.
  const first = await page.evaluate(() => [...document.querySelectorAll('main > section')].find((s) => !s.hidden).id);
  assert.equal(first, 'findings-panel');
  const items = await page.$$eval('#findings-list li', (lis) => lis.map((li) => [li.dataset.id, li.querySelector('.badge').textContent]));
  // critical: the saturated CPUs, ndis.sys's DPC average, the IDS filter's CPU (its samples
  // inside those DPCs); warnings: the teaming driver's p99, the EDR's hooks, and the two
  // processes above one CPU (the file service, System)
  assert.deepEqual(items, [['cpu-dpcisr-saturated', 'critical'], ['dpc-average', 'critical'],
    ['security-driver-cpu', 'critical'], ['dpc-p99', 'warning'], ['security-driver-cpu', 'warning'],
    ['process-cpu-sustained', 'warning'], ['process-cpu-sustained', 'warning']]);
  assert.match(await page.textContent('#findings-kb'), /driver knowledge base \d+ drivers, [0-9a-f]{12}/);
  // Numbers under a finding read as words and units, never as internal keys.
  const dts = await page.$$eval('#findings-list dt', (d) => d.map((x) => x.textContent));
  for (const bad of ['module id', 'avg us', 'max us', 'total ms', 'above share']) assert.ok(!dts.includes(bad), `${bad} in ${dts}`);
  const avg = await page.$$eval('#findings-list li[data-id="dpc-average"] dd', (d) => d.map((x) => x.textContent));
  assert.ok(avg.includes('220 µs'), JSON.stringify(avg));
  assert.match(await page.textContent('#findings-list li[data-id="dpc-average"] .finding-sentence'), /average 220 µs/);
  await page.waitForSelector('#drivers-body tr');
  await page.screenshot({ path: join(srv.dir, 'findings-page.png'), fullPage: true });
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('a finding links to its filter: the EDR finding filters the drivers table', async () => {
  const page = await openPage(browser);
  await page.goto(`${srv.url}/runs/${runId}`);
  await page.waitForSelector('#drivers-body tr');
  await page.locator('li[data-id="security-driver-cpu"]', { hasText: 'tedrdrv.sys' }).locator('.finding-link').click();
  await page.waitForFunction(() => new URLSearchParams(location.search).get('dq') === 'tedrdrv.sys');
  await page.waitForFunction(() => document.querySelectorAll('#drivers-body tr').length === 1);
  assert.deepEqual(await rowNames(page), ['tedrdrv.sys']);
  const badge = await page.$eval('#drivers-body tr .badge.cat', (b) => [b.textContent, getComputedStyle(b).backgroundColor]);
  const expected = await page.evaluate(() => { const d = document.createElement('span'); d.style.color = categories.color('edr'); document.body.appendChild(d); const c = getComputedStyle(d).color; d.remove(); return c; });
  assert.deepEqual(badge, ['EDR', expected]);
  // The link reproduces the view.
  const page2 = await openPage(browser);
  await page2.goto(page.url());
  await page2.waitForFunction(() => document.querySelectorAll('#drivers-body tr').length === 1);
  assert.equal(await page2.inputValue('#drivers-text'), 'tedrdrv.sys');
  assert.deepEqual(page.problems, []);
  await page.context().close();
  await page2.context().close();
});

test('a DPC/ISR finding filters the DPC/ISR panel to its module and scrolls it into view', async () => {
  const page = await openPage(browser);
  await page.goto(`${srv.url}/runs/${runId}`);
  await page.waitForSelector('#findings-list li');
  await page.waitForFunction(() => document.getElementById('dpc-panel').dataset.ready);
  // Every finding link's #fragment names a section that exists on the page.
  const targets = await page.$$eval('#findings-list .finding-link', (as) => as.map((a) => {
    const id = new URL(a.href).hash.slice(1);
    return [id, !!document.getElementById(id)];
  }));
  assert.ok(targets.some(([id]) => id === 'dpc-panel'), JSON.stringify(targets));
  for (const [id, found] of targets) assert.ok(found, `finding link to #${id}, which is not on the page`);
  const inView = () => page.evaluate(() => {
    const r = document.getElementById('dpc-panel').getBoundingClientRect();
    return r.top >= -1 && r.top < window.innerHeight / 2 && r.bottom > 0;
  });
  assert.equal(await inView(), false); // below the fold before the click
  const prev = await page.evaluate(() => document.getElementById('dpc-panel').dataset.ready);
  const link = 'li[data-id="dpc-average"] .finding-link';
  const moduleId = await page.$eval(link, (a) => new URL(a.href).searchParams.get('module'));
  assert.match(moduleId, /^\d+$/);
  await page.click(link);
  await page.waitForFunction((m) => new URLSearchParams(location.search).get('module') === m, moduleId);
  // The panel reloads filtered to the module: its table row is selected and a chip shows it.
  await page.waitForFunction((p) => { const r = document.getElementById('dpc-panel').dataset.ready; return r && r !== p; }, prev);
  await page.waitForSelector(`#dpc-modules tr.selected[data-module="${moduleId}"]`);
  const name = await page.$eval('li[data-id="dpc-average"] .finding-numbers', (dl) =>
    [...dl.querySelectorAll('dt')].find((dt) => dt.textContent === 'module').nextElementSibling.textContent);
  assert.equal(name, 'ndis.sys');
  assert.ok((await page.textContent('#dpc-chips')).includes(`module: ${name}`));
  // The page scrolled (smoothly) so the DPC/ISR section starts near the top of the viewport.
  await page.waitForFunction(() => {
    const r = document.getElementById('dpc-panel').getBoundingClientRect();
    return r.top >= -1 && r.top < window.innerHeight / 2 && r.bottom > 0;
  }, null, { timeout: 5000 });
  assert.equal(await inView(), true);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('a link carrying #dpc-panel opened afresh lands on the DPC/ISR section once the page has loaded', async () => {
  const page = await openPage(browser);
  await page.goto(`${srv.url}/runs/${runId}#dpc-panel`);
  await page.waitForSelector('#findings-list li');
  await page.waitForFunction(() => document.getElementById('dpc-panel').dataset.ready);
  await page.waitForSelector('#drivers-body tr');
  await page.waitForFunction(() => {
    const r = document.getElementById('dpc-panel').getBoundingClientRect();
    return r.top >= -1 && r.top < window.innerHeight / 2 && r.bottom > 0;
  }, null, { timeout: 5000 });
  // The reader takes over: a wheel scroll is not undone by later layout changes. The change
  // is made here (300 px inserted above the panel) and given two frames, in which a
  // ResizeObserver still listening would have scrolled the panel back to the top.
  const y0 = await page.evaluate(() => window.scrollY);
  await page.mouse.wheel(0, -400);
  await page.waitForFunction((y) => window.scrollY < y, y0);
  await page.evaluate(() => new Promise((done) => {
    const pad = document.createElement('div');
    pad.style.height = '300px';
    document.querySelector('main').prepend(pad);
    requestAnimationFrame(() => requestAnimationFrame(done));
  }));
  const top = await page.evaluate(() => document.getElementById('dpc-panel').getBoundingClientRect().top);
  assert.ok(top > 100, `top ${top}`);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('the drivers table sorts by any column and filters by category and vendor', async () => {
  const page = await openPage(browser);
  await page.goto(`${srv.url}/runs/${runId}`);
  await page.waitForSelector('#drivers-body tr');
  assert.equal((await rowNames(page))[0], 'ndis.sys'); // default: DPC time, largest first
  assert.ok(!(await rowNames(page)).includes('app.exe')); // user-mode images hidden
  await page.click('button.sort[data-col="incl"]');
  await page.waitForFunction(() => new URLSearchParams(location.search).get('dsort') === 'incl');
  // ntoskrnl.exe is under the EDR's samples and under every sample inside ndis.sys's DPCs;
  // ndis.sys under those and its own; then the IDS filter (the leaf of 96 % of them) —
  // weights in demo/scenarios/field-before.json
  assert.deepEqual((await rowNames(page)).slice(0, 3), ['ntoskrnl.exe', 'ndis.sys', 'idsvia64.sys']);
  await page.click('button.sort[data-col="incl"]');
  await page.waitForFunction(() => new URLSearchParams(location.search).get('ddir') === 'asc');
  assert.notEqual((await rowNames(page))[0], 'ntoskrnl.exe');
  await page.selectOption('#drivers-cat', 'nic-teaming');
  await page.waitForFunction(() => document.querySelectorAll('#drivers-body tr').length === 1);
  assert.deepEqual(await rowNames(page), ['iansw60e.sys']);
  await page.selectOption('#drivers-cat', '');
  await page.selectOption('#drivers-vendor', 'Microsoft');
  // ntoskrnl, hal, ndis, tcpip, storport, Wdf01000 and intelppm.sys (the idle loop: listed,
  // with no busy time) — the scenario's Microsoft modules
  await page.waitForFunction(() => document.querySelectorAll('#drivers-body tr').length === 7);
  await page.check('#drivers-user');
  await page.selectOption('#drivers-vendor', '');
  await page.waitForFunction(() => [...document.querySelectorAll('.mod-name')].some((n) => n.textContent === 'app.exe'));
  // The category chart uses the same colours as the badges.
  const colours = await page.evaluate(() => {
    const c = window.Chart.getChart(document.getElementById('drivers-chart'));
    return c.data.labels.map((l, i) => [l, c.data.datasets[0].backgroundColor[i]]);
  });
  assert.ok(colours.length >= 3);
  for (const [label, colour] of colours) {
    const name = await page.evaluate((l) => Object.keys(categories.table).find((k) => categories.label(k) === l), label);
    assert.equal(colour, await page.evaluate((n) => categories.color(n), name));
  }
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

// A 1 s, 2-CPU trace whose one module, named `name`, runs 300 µs DPCs at `rate` a second,
// uploaded as `tag`.etl; returns the upload's answer.
async function oneModuleRun(name, seed, rate, base, tag) {
  const scenario = {
    cpus: 2, duration_s: 1, seed, sample_rate_hz: 500,
    modules: [
      { name, base, size: 65536,
        dpc: { rate, duration_us: { dist: 'fixed', value: 300 } }, samples: { weight: 1 } },
    ],
  };
  return uploadAndWait(srv.url, etlgen(srv.dir, scenario, tag).bytes, `${tag}.etl`);
}

test('hostile module names are shown as text', async () => {
  const evil = '<img src=x onerror=alert(1)>.sys';
  const up = await oneModuleRun(evil, 5, 500, '0xfffff80074000000', 'evil');
  const page = await openPage(browser);
  await page.goto(`${srv.url}/runs/${up.body.run.id}`);
  await page.waitForSelector('#drivers-body tr');
  await page.waitForSelector('#findings-list li');
  assert.ok((await rowNames(page)).includes(evil));
  assert.match(await page.textContent('#findings-list'), /<img src=x onerror=alert\(1\)>\.sys/);
  assert.equal(await page.$$eval('main img', (n) => n.length), 0);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

// The verdict the server writes into the HTML (server/run_page.c), read before any script
// has run: its text is the findings API's verdict sentence, character for character, and a
// driver whose name is markup (with an entity in it, so a double or a missing escape shows)
// is named in it as text — no element made of it.
test('the server-rendered verdict is the findings API\'s sentence; a hostile driver in it stays text', async () => {
  const evil = '<img src=x onerror=alert(1)>&amp;<b>"\'.sys'; // no '/': the verdict names a module by its file name
  const up = await oneModuleRun(evil, 7, 4000, '0xfffff80075000000', 'evil-verdict');
  const id = up.body.run.id;
  const api = await (await fetch(`${srv.url}/api/runs/${id}/findings`)).json();
  assert.ok(api.verdict.sentence.includes(evil), `the verdict names the driver: ${api.verdict.sentence}`);
  const page = await openPage(browser);
  const held = [];
  await page.route(/\/static\/.*\.js$/, (route) => { held.push(route); });
  await page.goto(`${srv.url}/runs/${id}`, { waitUntil: 'commit' });
  await page.waitForSelector('#verdict strong', { state: 'visible', timeout: 10000 });
  assert.equal(await page.evaluate(() => typeof window.view), 'undefined', 'no script has run');
  assert.equal(await page.textContent('#verdict'), api.verdict.sentence);
  assert.equal(await page.$$eval('#verdict *', (n) => n.map((e) => e.tagName).join()), 'STRONG');
  assert.equal(await page.$$eval('img', (n) => n.length), 0);
  assert.deepEqual(page.problems, []);
  await page.context().close();
  for (const r of held) await r.abort().catch(() => {});
});
