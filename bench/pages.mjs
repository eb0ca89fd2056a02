// pages.mjs — how long a run page takes as a user feels it: headless Chromium opens each run
// page in a fresh browser context (empty cache, as a shared link) and reads the page's own
// marks (web/run.js): etlscope:verdict (the findings' verdict is on screen) and
// etlscope:drawn (every panel's first view drawn, one frame later), both from navigation
// start, next to the navigation timing (response end, DOMContentLoaded). Prints Markdown
// table rows like the other benchmarks; targets (issue 17): verdict ≤ 300 ms, drawn ≤ 1 s.
//   node bench/pages.mjs [--quick] [--db PATH]…
//     runs: the demo runs (stored by `etlscope demo` into a fresh database), plus every run
//           of each --db database (bench/run.sh passes the 25 M-event run's database);
//     --quick: demo runs only, one repetition, no targets judged — only that both marks
//           appear (scripts/test.sh runs it so the script cannot rot). Full: median of 5.
// ETLSCOPE_BIN picks the binary (default build/server/etlscope).
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { launch } from '../tests/support/browser.mjs';
import { binary, startServer, tempDir } from '../tests/support/server.mjs';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const dbs = args.flatMap((a, i) => (a === '--db' && args[i + 1] ? [args[i + 1]] : []));
const reps = quick ? 1 : 5;
const VERDICT_MS = 300, DRAWN_MS = 1000;

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const ms = (x) => `${Math.round(x)} ms`;

// One cold visit of /runs/ID: the marks and navigation timing, in ms from navigation start.
async function visit(browser, base, id) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(String(e)));
  try {
    await page.goto(`${base}/runs/${id}`);
    await page.waitForFunction(() => performance.getEntriesByName('etlscope:drawn').length > 0, null, { timeout: 30000 });
    const t = await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0];
      const mark = (n) => { const e = performance.getEntriesByName(n)[0]; return e ? e.startTime : null; };
      return { response: nav.responseEnd, dom: nav.domContentLoadedEventEnd, verdict: mark('etlscope:verdict'), drawn: mark('etlscope:drawn') };
    });
    if (t.verdict === null) throw new Error(`run ${id}: no etlscope:verdict mark`);
    if (problems.length) throw new Error(`run ${id}: ${problems.join('; ')}`);
    return t;
  } finally {
    await context.close();
  }
}

async function measureServer(browser, srv, label) {
  const { runs } = await (await fetch(`${srv.url}/api/runs`)).json();
  if (!runs.length) throw new Error(`${label}: no runs`);
  const rows = [];
  for (const r of runs) {
    const seen = [];
    for (let i = 0; i < reps; i++) seen.push(await visit(browser, srv.url, r.id));
    const m = (k) => median(seen.map((s) => s[k]));
    const verdict = m('verdict'), drawn = m('drawn');
    const judged = quick ? 'marks present (--quick: not judged)'
      : `${verdict <= VERDICT_MS ? 'meets' : 'MISSES'} verdict ≤ ${VERDICT_MS} ms, ${drawn <= DRAWN_MS ? 'meets' : 'MISSES'} drawn ≤ ${DRAWN_MS} ms`;
    rows.push(`| run page: ${r.name} (${r.format}${reps > 1 ? `, median of ${reps} cold visits` : ''}) | verdict ${ms(verdict)}, fully drawn ${ms(drawn)} | navigation: HTML received ${ms(m('response'))}, DOMContentLoaded ${ms(m('dom'))} | ${judged} |`);
  }
  return rows;
}

const dir = tempDir('etlscope-pages-');
const browser = await launch();
let failed = false;
try {
  // the demo runs are stored as run files under <dir>/data (where startServer looks), so the
  // server starts with nothing to convert; each other database gets a directory of its own
  const demoDb = join(dir, 'demo.db');
  execFileSync(binary, ['demo', '--db', demoDb, '--data-dir', join(dir, 'data')], { stdio: 'ignore' });
  const sets = [['demo', demoDb, dir], ...(quick ? [] : dbs.map((d) => [d, d, tempDir('etlscope-pages-')]))];
  for (const [label, db, home] of sets) {
    const srv = await startServer(['--rate-limit', '0', '--read-only'], { dir: home, db });
    try {
      for (const row of await measureServer(browser, srv, label)) console.log(row);
    } finally {
      await srv.stop();
    }
  }
} catch (e) {
  console.error(`pages.mjs: ${e.message}`);
  failed = true;
} finally {
  await browser.close();
  rmSync(dir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
