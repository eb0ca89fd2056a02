// pages.mjs — how long a run page takes as a user feels it: headless Chromium opens each run
// page in a fresh browser context (empty cache, as a shared link), and again as a revisit
// (the same tab going from the runs list back to a run it showed, cache and renderer warm:
// visit below), and reads the page's own
// marks (web/run.js): etlscope:verdict (the findings' verdict is on screen; the verdict
// figure is the earlier of it and the verdict text's first paint as Chromium's
// largest-contentful-paint entries report it, which comes first when the HTML carries the
// verdict, server/run_page.c) and
// etlscope:drawn (every panel's first view drawn, one frame later), both from navigation
// start, next to the navigation timing (response end, the document's commit in the
// renderer, DOMContentLoaded), the first paint
// (first-contentful-paint: the HTML carries the verdict, so on a run page with a stored
// verdict it is painted then or one frame later) and the renderer's
// CPU time for the visit (main thread and process; less load-dependent than wall). Prints Markdown
// table rows like the other benchmarks; targets (issue 17): verdict ≤ 300 ms, drawn ≤ 1 s.
//   node bench/pages.mjs [--quick] [--db PATH]…
//     runs: the demo runs (stored by `etlscope demo` into a fresh database), plus every run
//           of each --db database (bench/run.sh passes the 25 M-event run's database), whose
//           run files are in the data directory next to it (X.db: X-data, as dpc_bench.sh);
//     --quick: demo runs only, one repetition, no targets judged — only that both marks
//           appear (scripts/test.sh runs it so the script cannot rot). Full: median of 5.
// ETLSCOPE_BIN picks the binary (default build/server/etlscope).
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { launch } from '../tests/support/browser.mjs';
import { binary, startServer, tempDir } from '../tests/support/server.mjs';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const dbs = args.flatMap((a, i) => (a === '--db' && args[i + 1] ? [args[i + 1]] : []));
const reps = quick ? 1 : 5;
const VERDICT_MS = 300, DRAWN_MS = 1000;

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const ms = (x) => `${Math.round(x)} ms`;

// Runs fn (no arguments, no closure) in the page's main world through the DevTools protocol
// and returns its (awaited) value: Playwright's page.evaluate and waitForFunction inject its
// own script into the page first, work the page's visitor never pays for.
async function inPage(cdp, fn) {
  const r = await cdp.send('Runtime.evaluate', { expression: `(${fn})()`, awaitPromise: true, returnByValue: true });
  if (r.exceptionDetails) throw new Error(r.exceptionDetails.exception ? r.exceptionDetails.exception.description : r.exceptionDetails.text);
  return r.result.value;
}

// Resolves at the page's etlscope:drawn mark (a PerformanceObserver in the page, run by
// inPage): not page.waitForFunction, which injects Playwright's ~330 KB script into the
// page, a 100–260 ms main-thread task in the middle of the panels' drawing (h-pages6).
const waitDrawn = () => new Promise((done, fail) => {
  const seen = () => performance.getEntriesByName('etlscope:drawn').length > 0;
  if (seen()) { done(true); return; }
  const o = new PerformanceObserver(() => { if (seen()) { o.disconnect(); done(true); } });
  o.observe({ type: 'mark' });
  setTimeout(() => fail(new Error('no etlscope:drawn mark within 30 s')), 30000);
});

// The renderer's CPU so far (not wall: other jobs load the machine), in ms, through the
// DevTools protocol's Performance domain: ThreadTime (its main thread) and ProcessTime (the
// whole renderer process), counted from the renderer's start.
async function rendererCpu(cdp) {
  const { metrics } = await cdp.send('Performance.getMetrics');
  const metric = (n) => 1000 * metrics.find((m) => m.name === n).value;
  return { main: metric('ThreadTime'), process: metric('ProcessTime') };
}

// One visit of /runs/ID: the marks and navigation timing, in ms from navigation start.
//   cold (revisit false): a fresh browser context (empty cache, a new renderer process), as
//     a shared link opened in a new browser;
//   revisit: a context that has shown this run page once goes to the runs list, then to the
//     run page in the same tab, as a user of the dashboard coming back to a run: the static
//     assets and answers are in its HTTP cache (the answers revalidated: ETag, 304), the
//     renderer is the list's. The figures are those of the second run page's navigation.
async function visit(browser, base, id, revisit = false) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');
  const problems = [];
  page.on('pageerror', (e) => problems.push(String(e)));
  try {
    let cpu0 = { main: 0, process: 0 };
    if (revisit) {
      await page.goto(`${base}/runs/${id}`);
      await inPage(cdp, waitDrawn);
      await page.goto(`${base}/`, { waitUntil: 'load' });
      cpu0 = await rendererCpu(cdp);
    }
    await page.goto(`${base}/runs/${id}`);
    await inPage(cdp, waitDrawn);
    // the verdict's first paint: Chromium's largest-contentful-paint entries name the
    // element painted and when; the earliest whose element is #verdict (the HTML carries
    // the stored verdict, server/run_page.c, so it is painted before any script runs)
    const painted = await inPage(cdp, () => new Promise((done) => {
      new PerformanceObserver((l, o) => {
        o.disconnect();
        const v = l.getEntries().filter((e) => e.element && e.element.closest && e.element.closest('#verdict'));
        done(v.length ? Math.min(...v.map((e) => e.startTime)) : null);
      }).observe({ type: 'largest-contentful-paint', buffered: true });
      setTimeout(() => done(null), 1000);
    }));
    const t = await inPage(cdp, () => {
      const nav = performance.getEntriesByType('navigation')[0];
      const mark = (n) => { const e = performance.getEntriesByName(n)[0]; return e ? e.startTime : null; };
      // what does not depend on the load: requests and bytes, the last panel to draw
      const res = performance.getEntriesByType('resource');
      const api = res.filter((r) => new URL(r.name).pathname.startsWith('/api/'));
      const big = api.reduce((a, r) => (!a || r.encodedBodySize > a.encodedBodySize ? r : a), null);
      const panels = performance.getEntriesByType('mark').filter((m) => m.name.startsWith('etlscope:panel:'));
      const last = panels.reduce((a, m) => (!a || m.startTime > a.startTime ? m : a), null);
      return {
        // the document's commit in the renderer (the legacy timing's domLoading: the parser
        // starts, nothing of the page can run before it): on a cold visit, a renderer process
        // started for the page (the run page's Cross-Origin-Opener-Policy gives it a browsing
        // context group, and so a process, of its own; a fresh context has no spare one)
        committed: performance.timing.domLoading - performance.timing.navigationStart,
        response: nav.responseEnd, dom: nav.domContentLoadedEventEnd, verdict: mark('etlscope:verdict'), drawn: mark('etlscope:drawn'),
        fcp: mark('first-contentful-paint'),
        requests: res.length + 1, apiRequests: api.length,
        bytes: nav.encodedBodySize + res.reduce((a, r) => a + r.encodedBodySize, 0),
        apiBytes: api.reduce((a, r) => a + r.encodedBodySize, 0),
        biggest: big ? `${new URL(big.name).pathname.replace(/^\/api\/runs\/[0-9a-f]+\//, '')} ${(big.encodedBodySize / 1024).toFixed(1)} KB` : '—',
        last: last ? `${last.name.slice('etlscope:panel:'.length)} at ${Math.round(last.startTime)} ms` : '—',
      };
    });
    const cpu1 = await rendererCpu(cdp);
    t.mainCpu = cpu1.main - cpu0.main;
    t.rendererCpu = cpu1.process - cpu0.process; // a revisit's renderer may be the list's
    if (t.verdict === null) throw new Error(`run ${id}: no etlscope:verdict mark`);
    t.mark = t.verdict; // the script's mark: the verdict drawn by panel_findings.js
    if (painted !== null && painted < t.verdict) t.verdict = painted; // on screen before any script ran
    if (problems.length) throw new Error(`run ${id}: ${problems.join('; ')}`);
    return t;
  } finally {
    await context.close();
  }
}

// The server's CPU time (user + system) so far, in ms, from /proc (Linux).
const ticks = Number(execFileSync('getconf', ['CLK_TCK']).toString()) || 100;
function serverCpuMs(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' '); // fields from 3 on
  return ((Number(rest[11]) + Number(rest[12])) * 1000) / ticks; // utime, stime: fields 14, 15
}

async function measureServer(browser, srv, label) {
  const { runs } = await (await fetch(`${srv.url}/api/runs`)).json();
  if (!runs.length) throw new Error(`${label}: no runs`);
  const rows = [];
  for (const r of runs) {
    const seen = [];
    for (let i = 0; i < reps; i++) {
      const cpu0 = serverCpuMs(srv.child.pid);
      const t = await visit(browser, srv.url, r.id);
      t.cpu = serverCpuMs(srv.child.pid) - cpu0;
      seen.push(t);
    }
    const first = seen[0], later = seen.slice(1);
    const timed = (vs, how) => { // the table row of visits vs
      const m = (k) => median(vs.map((s) => s[k]));
      const verdict = m('verdict'), drawn = m('drawn');
      const judged = quick ? 'marks present (--quick: not judged)'
        : `${verdict <= VERDICT_MS ? 'meets' : 'MISSES'} verdict ≤ ${VERDICT_MS} ms, ${drawn <= DRAWN_MS ? 'meets' : 'MISSES'} drawn ≤ ${DRAWN_MS} ms`;
      return `| run page: ${r.name} (${r.format}${reps > 1 ? `, median of ${reps} ${how}` : `, ${how}`}) | verdict ${ms(verdict)} (script's mark ${ms(m('mark'))}), fully drawn ${ms(drawn)}; renderer CPU for the visit: main thread ${ms(m('mainCpu'))}, process ${ms(m('rendererCpu'))} | navigation: HTML received ${ms(m('response'))}, document committed in the renderer ${ms(m('committed'))}, first paint ${ms(m('fcp'))}, DOMContentLoaded ${ms(m('dom'))} | ${judged} |`;
    };
    rows.push(timed(seen, reps > 1 ? 'cold visits' : 'cold visit'));
    const back = [];
    for (let i = 0; i < reps; i++) back.push(await visit(browser, srv.url, r.id, true));
    rows.push(timed(back, reps > 1 ? 'revisits from the runs list' : 'revisit from the runs list'));
    // Load-independent facts of the same visits: the first visit computes every answer,
    // the later ones (fresh browser contexts) get the server's kept answers.
    const cpuLater = later.length ? `, later visits (kept answers) ${ms(median(later.map((s) => s.cpu)))}` : '';
    rows.push(`| run page: ${r.name}: what it costs | ${first.requests} requests (${first.apiRequests} JSON), ${(first.bytes / 1024).toFixed(0)} KB (${(first.apiBytes / 1024).toFixed(0)} KB JSON; largest ${first.biggest}); server CPU for the whole page: first visit ${ms(first.cpu)}${cpuLater} | last panel drawn: ${first.last} (first visit) | — |`);
  }
  return rows;
}

const dir = tempDir('etlscope-pages-'), homes = [];
const browser = await launch();
let failed = false;
try {
  // the demo runs are stored as run files under <dir>/data (where startServer looks), so the
  // server starts with nothing to convert; each other database gets a directory of its own
  const demoDb = join(dir, 'demo.db');
  execFileSync(binary, ['demo', '--db', demoDb, '--data-dir', join(dir, 'data')], { stdio: 'ignore' });
  const withFiles = (db) => { // a home whose data/ is the run files' directory of db
    const home = tempDir('etlscope-pages-'), data = resolve(db.replace(/\.db$/, '') + '-data');
    if (!existsSync(data)) throw new Error(`${db}: no run files directory ${data}`);
    symlinkSync(data, join(home, 'data'));
    homes.push(home);
    return home;
  };
  const sets = [['demo', demoDb, dir], ...(quick ? [] : dbs.map((d) => [d, d, withFiles(d)]))];
  for (const [label, db, home] of sets) {
    const srv = await startServer(['--rate-limit', '0', '--read-only'], { dir: home, db });
    try {
      for (const row of await measureServer(browser, srv, label)) console.log(row);
    } finally {
      await srv.stop();
    }
    // the server's own count at its stop (server/answers.h): answers served from memory
    if (!srv.child.stderr.closed) await once(srv.child.stderr, 'close');
    const kept = srv.stderr().match(/kept answers: (\d+) of (\d+) run answers \((\d+) %\)/);
    if (kept) console.log(`| run pages of ${label === 'demo' ? 'the demo runs' : label}: kept answers | ${kept[1]} of ${kept[2]} run answers with a body (${kept[3]} %) | first visits compute, later ones (fresh browser contexts, and revisits) are kept | — |`);
  }
} catch (e) {
  console.error(`pages.mjs: ${e.message}`);
  failed = true;
} finally {
  await browser.close();
  for (const h of homes) unlinkSync(join(h, 'data')); // the link, never the run files
  for (const d of [dir, ...homes]) rmSync(d, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
