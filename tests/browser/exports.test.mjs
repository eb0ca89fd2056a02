// exports.test.mjs — the CSV and PNG exports of the run page in headless Chromium: CSV holds
// raw numbers (the API's values, not "36.04 s" or "163,230"), units are in the header, no
// sort marks, vendor and product in their own columns; every table has its own file name,
// which names the run; chart PNGs are drawn on white.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer, getJson, uploadAndWait } from '../support/server.mjs';
import { launch, openPage } from '../support/browser.mjs';
import { generate } from '../support/etlgen.mjs';

const scenario = {
  cpus: 4, pointer_size: 8, compressed: false, buffer_size: 65536, duration_s: 2, seed: 5, sample_rate_hz: 1000,
  modules: [
    { name: 'ntoskrnl.exe', path: '\\SystemRoot\\system32\\ntoskrnl.exe', base: '0xfffff80070600000', size: 11534336,
      dpc: { rate: 2000, kind: 'timer', duration_us: { dist: 'lognormal', median: 4, sigma: 0.5 } }, samples: { weight: 10 } },
    { name: 'iansw60e.sys', base: '0xfffff80073000000', size: 262144,
      dpc: { rate: 1500, duration_us: { dist: 'lognormal', median: 150, sigma: 0.5 } }, samples: { weight: 5 } },
    { name: 'ndis.sys', base: '0xfffff80072a00000', size: 1572864,
      isr: { rate: 1000, msi: true, duration_us: { dist: 'lognormal', median: 8, sigma: 0.7 } }, samples: { weight: 3 } },
  ],
};

let srv, browser, runId, page;
before(async () => {
  srv = await startServer();
  browser = await launch();
  const g = generate(srv.dir, 'exp', scenario, false);
  runId = (await uploadAndWait(srv.url, readFileSync(g.path), 'exp.etl', 'FS01 before: update')).body.run.id;
  page = await openPage(browser);
  await page.goto(`${srv.url}/runs/${runId}`);
  await page.waitForFunction(() => document.getElementById('dpc-panel').dataset.ready && document.querySelectorAll('#drivers-body tr').length > 0 &&
    document.querySelectorAll('#vendors-body tr').length > 0 && document.querySelectorAll('.export-bar button').length >= 4, null, { timeout: 15000 });
});
after(async () => { await page.context().close(); await browser.close(); await srv.stop(); });

// RFC 4180 CSV → rows of fields (quoted fields may hold commas, quotes and newlines).
function parseCsv(text) {
  const rows = [];
  let row = [], f = '', q = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (q) {
      if (c === '"' && text[i + 1] === '"') { f += '"'; i++; } else if (c === '"') q = false; else f += c;
    } else if (c === '"') q = true;
    else if (c === ',') { row.push(f); f = ''; } else if (c === '\r' && text[i + 1] === '\n') { row.push(f); rows.push(row); row = []; f = ''; i++; } else f += c;
  }
  assert.equal(f + row.join(''), '', 'the file ends with CRLF');
  return rows;
}

// Clicks the export button of the table that `selector` finds; returns {name, rows}.
async function saveTable(selector) {
  // exports.js adds the bars a moment after a table fills (debounced): wait for this one's
  await page.waitForFunction((sel) => {
    const t = document.querySelector(sel);
    const at = t && (t.closest('table').closest('.table-wrap, .table-scroll') || t.closest('table'));
    return at && at.previousElementSibling && at.previousElementSibling.querySelector('button.export');
  }, selector);
  await page.evaluate((sel) => {
    const t = document.querySelector(sel).closest('table');
    const at = t.closest('.table-wrap, .table-scroll') || t;
    document.querySelectorAll('[data-test-export]').forEach((b) => b.removeAttribute('data-test-export'));
    at.previousElementSibling.querySelector('button.export').setAttribute('data-test-export', '1');
  }, selector);
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('[data-test-export]')]);
  return { name: dl.suggestedFilename(), rows: parseCsv(readFileSync(await dl.path(), 'utf8')) };
}

const num = (s) => (s === '' ? null : Number(s));
const header = (rows) => rows[0];
const col = (rows, name) => { const i = rows[0].indexOf(name); assert.ok(i >= 0, `column "${name}" in ${rows[0].join(' | ')}`); return i; };

test('the drivers table exports raw numbers, units in the header, vendor and product apart', async () => {
  const api = (await getJson(`${srv.url}/api/runs/${runId}/drivers`)).body.drivers.filter((r) => r.kernel);
  const { name, rows } = await saveTable('#drivers-body');
  assert.equal(name, 'etlscope-fs01-before-update_drivers.csv');
  assert.ok(!header(rows).some((h) => /[▲▼]/.test(h)), header(rows).join(' | '));
  for (const h of ['DPCs (count)', 'DPC time (ms)', 'DPC avg (µs)', 'DPC max (µs)', 'ISR time (ms)', 'vendor', 'product']) col(rows, h);
  // The Idle / unknown-address rows (their own tbody, above the modules) export too.
  const special = new Set(['Idle', 'unknown kernel addresses (possible hidden driver)', 'user code without an image (JIT, unpacked code)']);
  const idle = rows.find((x) => x[0] === 'Idle');
  assert.ok(idle, 'the Idle row is exported');
  assert.equal(idle.length, header(rows).length, 'the Idle row lines up with the header');
  assert.equal(rows.filter((x) => !special.has(x[0])).length - 1, api.length);
  for (const r of api) {
    const row = rows.find((x) => x[col(rows, 'module')] === r.name);
    assert.ok(row, r.name);
    assert.equal(row.length, header(rows).length);
    assert.equal(row[col(rows, 'vendor')], r.vendor);
    assert.equal(row[col(rows, 'product')], r.product);
    assert.equal(num(row[col(rows, 'DPCs (count)')]), r.dpc.count);
    assert.equal(num(row[col(rows, 'DPC time (ms)')]), r.dpc.total_ms);
    assert.equal(num(row[col(rows, 'DPC avg (µs)')]), r.dpc.avg_us);
    assert.equal(num(row[col(rows, 'ISR max (µs)')]), r.isr.max_us);
    assert.equal(num(row[col(rows, 'CPU exclusive (fraction of samples)')]), r.cpu.exclusive_share);
  }
});

test('the DPC/ISR module table exports one header row with units and the raw figures', async () => {
  const api = (await getJson(`${srv.url}/api/runs/${runId}/dpcisr/modules`)).body.modules;
  const { name, rows } = await saveTable('#dpc-modules');
  assert.equal(name, 'etlscope-fs01-before-update_by-module.csv');
  assert.ok(!header(rows).some((h) => /[▲▼]/.test(h)));
  assert.equal(rows.length - 1, api.length, 'one header row (the DPC/ISR group row is left out)');
  const ians = api.find((m) => m.name === 'iansw60e.sys');
  const row = rows.find((x) => x[0] === 'iansw60e.sys');
  assert.ok(row, 'the module name is a cell of its own');
  assert.equal(row[col(rows, 'path')], ians.path || '', 'the path in its own column');
  assert.equal(num(row[col(rows, 'DPC+ISR time (ms)')]), ians.total_ms);
  assert.equal(num(row[col(rows, 'DPCs (count)')]), ians.dpc.count);
  assert.equal(num(row[col(rows, 'DPC max (µs)')]), ians.dpc.max_us);
  assert.equal(num(row[col(rows, 'DPCs over 100 µs (count)')]), ians.dpc.above_count);
  assert.equal(row[col(rows, 'ISRs (count)')], '', 'no ISRs: an empty cell, not a dash');
});

test('vendor roll-up and longest events have their own files and raw values', async () => {
  const vendors = (await getJson(`${srv.url}/api/runs/${runId}/drivers`)).body.vendors;
  const v = await saveTable('#vendors-body');
  assert.equal(v.name, 'etlscope-fs01-before-update_by-vendor.csv');
  const intel = v.rows.find((x) => x[0] === 'Intel');
  assert.equal(num(intel[col(v.rows, 'DPC time (ms)')]), vendors.find((x) => x.vendor === 'Intel').dpc_ms);
  const events = (await getJson(`${srv.url}/api/runs/${runId}/dpcisr/events?limit=25`)).body.events;
  const e = await saveTable('#dpc-longest table');
  assert.equal(e.name, 'etlscope-fs01-before-update_longest-events.csv');
  assert.deepEqual(e.rows.slice(1).map((r) => num(r[col(e.rows, 'duration (µs)')])), events.map((x) => x.duration_us));
  assert.deepEqual(e.rows.slice(1).map((r) => r[col(e.rows, 'stored sample')]), events.map((x) => (x.sample ? 'yes' : 'no')));
});

// The top-left pixel of a downloaded PNG, decoded by the browser.
async function cornerOf(p, dl) {
  const png = readFileSync(await dl.path());
  assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
  return p.evaluate(async (b64) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const cv = document.createElement('canvas');
    cv.width = img.width; cv.height = img.height;
    const ctx = cv.getContext('2d');
    ctx.drawImage(img, 0, 0);
    return [...ctx.getImageData(0, 0, 1, 1).data];
  }, png.toString('base64'));
}

test('a chart PNG is drawn on an opaque white background', async () => {
  await page.evaluate(() => {
    document.querySelectorAll('[data-test-export]').forEach((b) => b.removeAttribute('data-test-export'));
    document.getElementById('dpc-hist').parentNode.querySelector('button.export-chart').setAttribute('data-test-export', '1');
  });
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('[data-test-export]')]);
  assert.deepEqual(await cornerOf(page, dl), [255, 255, 255, 255]);
  assert.equal(dl.suggestedFilename(), 'etlscope-fs01-before-update_dpc-isr-durations.png');
  assert.deepEqual(page.problems, []);
});

test('the compare page\'s chart PNGs are drawn on white too', async () => {
  const g = generate(srv.dir, 'exp2', { ...scenario, seed: 6 }, false);
  const other = (await uploadAndWait(srv.url, readFileSync(g.path), 'exp2.etl', 'after')).body.run.id;
  const cmp = await openPage(browser);
  await cmp.goto(`${srv.url}/compare?runs=${runId},${other}`);
  await cmp.waitForFunction(() => window.Chart && window.Chart.getChart(document.getElementById('cmp-hist')));
  const [dl] = await Promise.all([cmp.waitForEvent('download'), cmp.click('button[data-png="cmp-hist"]')]);
  assert.deepEqual(await cornerOf(cmp, dl), [255, 255, 255, 255]);
  // Files named after the runs compared (baseline first) and the table.
  assert.equal(dl.suggestedFilename(), 'etlscope-compare_fs01-before-update_vs_after_cmp-hist.png');
  await cmp.waitForFunction(() => document.querySelectorAll('#cmp-modules tbody tr').length > 0);
  const [csv] = await Promise.all([cmp.waitForEvent('download'), cmp.click('#cmp-modules-csv')]);
  assert.match(csv.suggestedFilename(), /^etlscope-compare_fs01-before-update_vs_after_(dpc|isr)-modules\.csv$/);
  assert.deepEqual(cmp.problems, []);
  await cmp.context().close();
});
