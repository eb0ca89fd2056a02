// screenshots.mjs — rewrites the README's pictures of the run page (docs/screenshot-run.png,
// docs/screenshot-dpcisr.png, docs/screenshot-verdict.png) from the demo runs, in headless
// Chromium at 1280 px; name some to rewrite only those (node scripts/screenshots.mjs run). docs/screenshot-compare.png comes from tests/browser/compare.test.mjs
// (UPDATE_SCREENSHOTS=1). Run after a visible change to those pages:
//     node scripts/screenshots.mjs        (ETLSCOPE_BIN=… to use another binary)
import { join } from 'node:path';
import { run, startServer, repo } from '../tests/support/server.mjs';
import { launch, openPage } from '../tests/support/browser.mjs';

const srv = await startServer();
const browser = await launch();
try {
  // The demo into the server's database (SQLite allows the second writer).
  const out = run(['demo', '--db', srv.db]);
  if (out.status !== 0) throw new Error(`etlscope demo failed: ${out.stderr}`);
  const id = (name) => out.stdout.match(new RegExp(`${name} → /runs/([0-9a-f]{32})`))[1];
  const shots = [
    // [file, run, view query, section to start the picture at, height, wait until]
    ['screenshot-verdict.png', id('FS01 ETW trace, before the NIC driver update'), '', 'findings-panel', 1100, () => document.querySelectorAll('#findings-list li').length > 0],
    ['screenshot-dpcisr.png', id('FS01 ETW trace, before the NIC driver update'), '?cpus=0,2,4,6', 'dpc-panel', 1000, () => document.getElementById('dpc-panel').dataset.ready],
    ['screenshot-run.png', id('FS-DEMO01 before the NIC driver update'), '', 'meta', 1000, () => window.Chart && window.Chart.getChart(document.getElementById('cpu-heat'))],
  ];
  const only = process.argv.slice(2);
  for (const [file, runId, query, section, height, ready] of shots) {
    if (only.length && !only.some((o) => file === `screenshot-${o}.png`)) continue;
    const page = await openPage(browser, { viewport: { width: 1280, height: 900 } });
    await page.goto(`${srv.url}/runs/${runId}${query}`);
    await page.waitForFunction(ready, null, { timeout: 20000 });
    await page.waitForFunction(() => document.querySelectorAll('.export-bar, .export-chart').length > 0);
    const top = await page.evaluate((s) => document.getElementById(s).getBoundingClientRect().top + window.scrollY - 16, section);
    await page.screenshot({ path: join(repo, 'docs', file), fullPage: true, clip: { x: 0, y: top, width: 1280, height } });
    if (page.problems.length) throw new Error(`${file}: ${page.problems.join('; ')}`);
    await page.context().close();
    console.log(`docs/${file}`);
  }
} finally {
  await browser.close();
  await srv.stop();
}
