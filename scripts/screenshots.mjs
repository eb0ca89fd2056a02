#!/usr/bin/env node
// screenshots.mjs — takes the README's pictures (docs/screenshot-*.png) in headless Chromium
// from the demo runs (`etlscope demo`), on a fresh database in a temporary directory:
//   verdict  the field story's "before" trace: the verdict and ranked findings;
//   dpcisr   its DPC/ISR panel (histogram against the guideline, module table, heatmap);
//   compare  before vs after removing the teaming software;
//   stacks   its "CPU by process and stacks" panel: modules, callers/callees of tedrdrv.sys;
//   run      the perfmon "before" log, per-CPU % DPC Time and its heatmap.
// Usage: build first (cmake --build build), then  node scripts/screenshots.mjs
// (ETLSCOPE_BIN picks another binary, CHROMIUM another browser).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { startServer, getJson, binary, repo, tempDir } from '../tests/support/server.mjs';
import { launch } from '../tests/support/browser.mjs';

const dir = tempDir('etlscope-shots-');
const db = join(dir, 'etlscope.db');
execFileSync(binary, ['demo', '--db', db, '--data-dir', join(dir, 'data')], { stdio: 'inherit' });
const srv = await startServer([], { dir, db });
const browser = await launch();
const out = (name) => join(repo, 'docs', `screenshot-${name}.png`);

try {
  const { runs } = (await getJson(`${srv.url}/api/runs`)).body;
  const pick = (re) => {
    const r = runs.find((x) => re.test(x.name));
    if (!r) throw new Error(`no demo run matches ${re}: ${runs.map((x) => x.name).join('; ')}`);
    return r.id;
  };
  const before = pick(/FS01 ETW trace, before/i);
  const removal = pick(/FS01.*remov/i);
  const perfmon = runs.find((x) => /csv|blg|tsv/.test(x.format) && /before/i.test(x.name)).id;
  const page = async (w, h) => (await browser.newContext({ viewport: { width: w, height: h } })).newPage();

  let p = await page(1280, 1100);
  await p.goto(`${srv.url}/runs/${before}`);
  await p.waitForSelector('#findings-list li');
  await p.waitForSelector('#trace-facts');
  await p.screenshot({ path: out('verdict') });

  p = await page(1280, 1000);
  await p.goto(`${srv.url}/runs/${before}#dpc-panel`);
  await p.waitForFunction(() => window.Chart && window.Chart.getChart(document.getElementById('dpc-heat')) &&
    document.querySelectorAll('#dpc-modules tbody tr').length > 0);
  await p.evaluate(() => document.getElementById('dpc-panel').scrollIntoView({ block: 'start' }));
  await p.screenshot({ path: out('dpcisr') });

  p = await page(1280, 1000);
  await p.goto(`${srv.url}/compare?runs=${before},${removal}`);
  await p.waitForFunction(() => document.querySelectorAll('#cmp-modules tbody tr').length > 3);
  await p.screenshot({ path: out('compare') });

  p = await page(1280, 1200);
  await p.goto(`${srv.url}/runs/${before}?sgrp=module&smod=tedrdrv.sys#stacks-panel`);
  await p.waitForSelector('#stacks-panel[data-ready]');
  await p.waitForSelector('#stk-bfly[data-ready="tedrdrv.sys"]');
  await p.waitForSelector('#stk-flame svg');
  await p.locator('#stacks-panel').screenshot({ path: out('stacks') });

  p = await page(1280, 1000);
  await p.goto(`${srv.url}/runs/${perfmon}?counter=${encodeURIComponent('% DPC Time')}`);
  await p.waitForFunction(() => window.Chart && window.Chart.getChart(document.getElementById('cpu-heat')));
  await p.evaluate(() => document.getElementById('cpu-panel').scrollIntoView({ block: 'start' }));
  await p.screenshot({ path: out('run') });
  console.log('wrote docs/screenshot-{verdict,dpcisr,compare,stacks,run}.png');
} finally {
  await browser.close();
  await srv.stop();
}
