// stacks.test.mjs — the "CPU by process and stacks" panel and the compare page's differential
// flame graph in headless Chromium. The stacks endpoints (issue 13 contract, docs in
// notes/issue13.md) are served here from fixtures written in the test by route interception,
// so the rendering is checked against numbers chosen by hand: the process table, the thread
// table and flame graph filtered to a clicked process, a frame click opening the butterfly,
// the view kept in the URL, a frame name made of HTML rendered as text, and the diff colours.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer, uploadAndWait } from '../support/server.mjs';
import { uploadStoryCut } from '../support/story.mjs';
import { launch, openPage } from '../support/browser.mjs';
import { etlgen } from '../support/etlgen.mjs';

const EVIL = '<img src=x onerror=alert(1)>';
let srv, browser, runA, runB, field;
before(async () => {
  srv = await startServer();
  browser = await launch();
  const scen = (seed) => ({ cpus: 2, duration_s: 1, seed, sample_rate_hz: 0, modules: [
    { name: 'ndis.sys', base: '0xfffff80072a00000', size: 1572864, dpc: { rate: 100, duration_us: { dist: 'fixed', value: 20 } } }] });
  runA = (await uploadAndWait(srv.url, etlgen(srv.dir, scen(1), 'a').bytes, 'a.etl', 'before')).body.run.id;
  runB = (await uploadAndWait(srv.url, etlgen(srv.dir, scen(2), 'b').bytes, 'b.etl', 'after')).body.run.id;
  // the demo's field story, cut to 1 s: its findings name driver modules
  field = await uploadStoryCut(srv, 'field-before', 'field.etl', 'field');
});
after(async () => { await browser.close(); await srv.stop(); });

const node = (name, module, value, self, children = []) => ({ name, module, kernel: true, value, self, children });
// 1,000 samples on 4 CPUs, 300 of them Idle: wspsrv.exe 600, System 100.
const processes = {
  total: 1000, cpus: 4, duration_ms: 1000, slice_ms: 250,
  processes: [
    { pid: 1234, name: 'wspsrv.exe', command_line: 'wspsrv.exe -service', start_ms: null, end_ms: null, samples: 600, share_of_machine: 0.6, cpus_used: 2.4, threads: 2, busiest_threads: [{ tid: 77, samples: 500 }, { tid: 78, samples: 100 }], spark: [100, 200, 200, 100] },
    { pid: 4, name: 'System', command_line: null, start_ms: null, end_ms: null, samples: 100, share_of_machine: 0.1, cpus_used: 0.4, threads: 1, busiest_threads: [{ tid: 8, samples: 100 }], spark: [25, 25, 25, 25] },
  ],
};
const threads = { threads: [{ tid: 77, pid: 1234, name: 'worker', samples: 500, share: 0.5 }, { tid: 78, pid: 1234, name: null, samples: 100, share: 0.1 }] };
function treeFor(url) {
  const pid = url.searchParams.get('pid');
  const mod = url.searchParams.get('group') === 'module';
  const n = (f, m, v, s, c) => node(mod ? m : f, m, v, s, c);
  const kids = [n('idmtdi.sys+0x2000', 'idmtdi.sys', 500, 400, [n('tcpip.sys+0x10', 'tcpip.sys', 100, 100)])];
  if (!pid) kids.push(n(EVIL, `${EVIL}.sys`, 100, 100));
  const total = pid ? 600 : 700;
  return { total, idle_excluded: true, group: mod ? 'module' : 'frame', inverted: url.searchParams.get('invert') === '1',
    root: node('all', null, total, 0, [n('ntoskrnl.exe+0x100', 'ntoskrnl.exe', total, total - 500 - (pid ? 0 : 100), kids)]),
    pruned: { nodes: 0, samples: 0 } };
}
const butterfly = (m) => ({ module: m, total: 700, inclusive: 500, exclusive: 400, callers: [{ name: 'ntoskrnl.exe', value: 500 }], callees: [{ name: 'tcpip.sys', value: 100 }] });

// Serves the contract's endpoints from the fixtures; returns the URLs asked for.
async function fixtures(page) {
  const asked = [];
  const json = (route, body) => route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(body) });
  // run B ("after"): wspsrv.exe down to 0.5 CPUs, System the same
  // and twice as long (2 s), so that the compare page goes per second
  const after = { ...processes, duration_ms: 2000, processes: [{ ...processes.processes[0], cpus_used: 0.5 }, processes.processes[1]] };
  await page.route('**/api/runs/*/processes*', (r) => { const u = r.request().url(); asked.push(u); return json(r, u.includes(runB) ? after : processes); });
  await page.route('**/api/runs/*/threads*', (r) => { asked.push(r.request().url()); return json(r, threads); });
  await page.route('**/api/runs/*/stacks/tree*', (r) => { const u = new URL(r.request().url()); asked.push(u.href); return json(r, treeFor(u)); });
  await page.route('**/api/runs/*/stacks/butterfly*', (r) => { const u = new URL(r.request().url()); asked.push(u.href); return json(r, butterfly(u.searchParams.get('module'))); });
  return asked;
}

const last = (asked, part) => new URL([...asked].reverse().find((u) => u.includes(part)));
const cells = (page, sel) => page.$$eval(`${sel} tbody tr`, (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));

test('process table → threads and flame graph of the process → frame click → butterfly, kept in the URL', async () => {
  const page = await openPage(browser);
  const asked = await fixtures(page);
  await page.goto(`${srv.url}/runs/${runA}?cpus=0-1`);
  await page.waitForSelector('#stacks-panel[data-ready]');
  const procs = await cells(page, '#stk-procs');
  assert.deepEqual(procs.map((r) => r.slice(0, 6)), [
    ['wspsrv.exe', '1234', '600', '60.0 %', '2.40', '2'],
    ['System', '4', '100', '10.0 %', '0.40', '1']]);
  assert.equal(procs[0][6], '77: 500, 78: 100');
  assert.equal(await page.$$eval('#stk-procs svg.spark polyline', (n) => n.length), 2);
  assert.equal(last(asked, '/stacks/tree').searchParams.get('cpus'), '0-1');
  assert.equal(await page.isHidden('#stk-threads-wrap'), true);

  await page.click('#stk-procs button[data-pid="1234"]');
  await page.waitForFunction(() => document.querySelectorAll('#stk-threads tbody tr').length === 2);
  assert.deepEqual(await cells(page, '#stk-threads'), [['77', 'worker', '500', '50.0 %'], ['78', '—', '100', '10.0 %']]);
  await page.waitForFunction(() => document.getElementById('stk-selection').textContent.includes('pid 1234'));
  const tree = last(asked, '/stacks/tree');
  assert.equal(tree.searchParams.get('pid'), '1234');
  assert.equal(tree.searchParams.get('cpus'), '0-1');
  assert.equal(last(asked, '/threads').searchParams.get('pid'), '1234');
  // the flame graph of the process: 600 samples, no frame of the other process
  await page.waitForFunction(() => !document.querySelector('#stk-flame g[name^="<img"]') && document.querySelector('#stk-flame g[name="idmtdi.sys+0x2000"]'));
  assert.match(await page.textContent('#stk-flame g[name="ntoskrnl.exe+0x100"] title'), /600 samples \(100 %\)|600 samples \(100\.0 %\)/);
  const exp = await page.getAttribute('#stk-exports a[data-format="speedscope"]', 'href');
  assert.match(exp, /\/stacks\/export\?.*format=speedscope/);
  assert.equal(new URL(exp, srv.url).searchParams.get('pid'), '1234');

  await page.click('#stk-flame g[name="idmtdi.sys+0x2000"]');
  await page.waitForSelector('#stk-bfly[data-ready="idmtdi.sys"]');
  assert.deepEqual(await cells(page, '#stk-callers'), [['ntoskrnl.exe', '500', '100.0 %']]);
  assert.deepEqual(await cells(page, '#stk-callees'), [['tcpip.sys', '100', '20.0 %']]);
  assert.equal(last(asked, '/butterfly').searchParams.get('pid'), '1234');

  // a thread narrows the stacks further, and a second click lets go of it
  await page.click('#stk-threads button[data-tid="77"]');
  await page.waitForFunction(() => document.getElementById('stk-selection').textContent.includes('thread 77'));
  assert.equal(last(asked, '/stacks/tree').searchParams.get('tid'), '77');
  assert.equal(last(asked, '/stacks/tree').searchParams.get('pid'), '1234');
  await page.click('#stk-threads button[data-tid="77"]');
  await page.waitForFunction(() => !document.getElementById('stk-selection').textContent.includes('thread'));
  assert.equal(last(asked, '/stacks/tree').searchParams.get('tid'), null);

  await page.click('#stk-group button[data-group="module"]');
  await page.waitForFunction(() => document.querySelector('#stk-flame g[name="idmtdi.sys"]'));
  const url = new URL(page.url());
  assert.equal(url.searchParams.get('pid'), '1234');
  assert.equal(url.searchParams.get('smod'), 'idmtdi.sys');
  assert.equal(url.searchParams.get('sgrp'), 'module');
  assert.deepEqual(page.problems, []);

  // the same link in a new page reopens the same view
  const again = await openPage(browser);
  const asked2 = await fixtures(again);
  await again.goto(url.href);
  await again.waitForSelector('#stk-bfly[data-ready="idmtdi.sys"]');
  await again.waitForSelector('#stacks-panel[data-ready]');
  assert.equal(await again.getAttribute('#stk-procs tr.selected', 'data-pid'), '1234');
  assert.equal(last(asked2, '/stacks/tree').searchParams.get('group'), 'module');
  assert.equal(last(asked2, '/stacks/tree').searchParams.get('pid'), '1234');
  assert.equal(await again.getAttribute('#stk-group button[data-group="module"]', 'aria-pressed'), 'true');
  assert.deepEqual(again.problems, []);
  await again.context().close();
  await page.context().close();
});

test('a frame named like HTML is drawn as text in the flame graph and the call tree', async () => {
  const page = await openPage(browser);
  await fixtures(page);
  await page.goto(`${srv.url}/runs/${runA}`);
  await page.waitForSelector('#stacks-panel[data-ready]');
  await page.waitForFunction((n) => [...document.querySelectorAll('#stk-flame .d3-flame-graph-label')].some((d) => d.textContent === n), EVIL);
  await page.click('#stk-tree .tree-toggle');
  await page.waitForFunction((n) => [...document.querySelectorAll('#stk-tree .frame-name')].some((d) => d.textContent === n), EVIL);
  assert.equal(await page.$$eval('main img', (n) => n.length), 0);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('the call tree expands with inclusive and exclusive counts and shares', async () => {
  const page = await openPage(browser);
  await fixtures(page);
  await page.goto(`${srv.url}/runs/${runA}?sinv=1`);
  await page.waitForSelector('#stacks-panel[data-ready]');
  assert.match(await page.textContent('#stk-tree-note'), /inverted/);
  await page.click('#stk-tree .tree-toggle');
  await page.click('#stk-tree tr[data-depth="1"] .tree-toggle');
  assert.deepEqual(await cells(page, '#stk-tree'), [
    ['▾ntoskrnl.exe+0x100', '700', '100.0 %', '100', '14.3 %'],
    ['▾idmtdi.sys+0x2000', '500', '71.4 %', '400', '57.1 %'],
    ['·tcpip.sys+0x10', '100', '14.3 %', '100', '14.3 %'],
    [`·${EVIL}`, '100', '14.3 %', '100', '14.3 %']]);
  await page.context().close();
});

test('a run without samples says they were not recorded and how to record them', async () => {
  const page = await openPage(browser);
  await page.goto(`${srv.url}/runs/${runA}`); // the real server: this trace has no PROFILE samples
  await page.waitForFunction(() => !document.getElementById('stk-empty').hidden);
  assert.match(await page.textContent('#stk-empty'), /Not recorded.*xperf -on PROC_THREAD\+LOADER\+PROFILE -stackwalk Profile/);
  assert.equal(await page.isHidden('#stk-body'), true);
  await page.context().close();
});

test('compare: differential flame graph coloured by change per second, and CPU by process deltas', async () => {
  const page = await openPage(browser);
  const asked = await fixtures(page);
  // by module, merged by the server (/api/compare/stacks): the baseline (1 s) and the other
  // run (2 s), 700 samples each; value = the other run per second, delta = its change
  const d = (name, base, other, kids = []) => ({ name, module: name === 'all' ? undefined : name, kernel: true, base, other,
    value: other / 2, delta: other / 2 - base, children: kids });
  const diff = { base: runA, other: runB, normalised: 'per_second', group: 'module', inverted: false,
    root: d('all', 700, 700, [d('ntoskrnl.exe', 700, 700, [d('idmtdi.sys', 500, 100), d('edr.sys', 100, 500)])]),
    pruned: { nodes: 0, base: 0, other: 0 } };
  await page.route('**/api/compare/stacks*', (r) => {
    asked.push(r.request().url());
    return r.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(diff) });
  });
  await page.goto(`${srv.url}/compare?runs=${runA},${runB}`);
  await page.waitForSelector('#cmp-stacks-panel[data-ready]');
  const sent = last(asked, '/api/compare/stacks').searchParams;
  assert.deepEqual([sent.get('runs'), sent.get('base'), sent.get('group')], [`${runA},${runB}`, runA, 'module']);
  assert.match(await page.textContent('#cmp-stacks-note'), /per second/);
  // per second: baseline ×1, other ×½ → ntoskrnl 700 → 350 (−350), idmtdi 500 → 50 (−450),
  // edr 100 → 250 (+150); colours scale by |change| / 450
  const fill = (n) => page.getAttribute(`#cmp-flame g[name="${n}"] rect`, 'fill');
  assert.equal(await fill('idmtdi.sys'), 'rgb(80, 80, 255)');
  assert.equal(await fill('ntoskrnl.exe'), 'rgb(119, 119, 255)');
  assert.equal(await fill('edr.sys'), 'rgb(255, 197, 197)');
  assert.match(await page.textContent('#cmp-flame g[name="edr.sys"] title'), /^edr\.sys — 250 samples .*change \+150$/);
  // largest change first: wspsrv.exe 2.4 → 0.5 CPUs
  assert.deepEqual(await cells(page, '#cmp-procs'), [['wspsrv.exe', '2.40', '0.50', '−1.90'], ['System', '0.40', '0.40', '0']]);
  assert.equal(await page.getAttribute('#cmp-procs tr[data-process="wspsrv.exe"] td:last-child', 'class'), 'num better');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('a drivers-table row and a finding that names a module open its callers and callees', async () => {
  const page = await openPage(browser);
  const asked = await fixtures(page);
  await page.goto(`${srv.url}/runs/${field}`);
  await page.waitForSelector('#stacks-panel[data-ready]');
  await page.waitForSelector('#drivers-body tr .stk-open');
  const mod = await page.textContent('#drivers-body tr:first-child .mod-name');
  await page.click('#drivers-body tr:first-child .stk-open');
  await page.waitForSelector(`#stk-bfly[data-ready="${mod}"]`);
  assert.equal(last(asked, '/butterfly').searchParams.get('module'), mod);
  assert.equal(new URL(page.url()).searchParams.get('smod'), mod);
  // the findings: each one with a module has the link, the verdict too when its finding has one
  const named = await page.$$eval('#findings-list li .finding-stacks', (bs) => bs.map((b) => b.dataset.module));
  assert.ok(named.length > 0);
  const firstHas = await page.$eval('#findings-list li:first-child', (li) => li.querySelector('.finding-stacks') ? li.querySelector('.finding-stacks').dataset.module : null);
  assert.equal(await page.$eval('#verdict', (v) => (v.querySelector('.finding-stacks') || {}).dataset?.module || null), firstHas);
  const other = named.find((m) => m !== mod) || named[0];
  await page.click(`#findings-list li .finding-stacks[data-module="${other}"]`);
  await page.waitForSelector(`#stk-bfly[data-ready="${other}"]`);
  assert.equal(await page.textContent('#stk-bfly-module'), other);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('at 390 px the filled stacks panel does not widen the page', async () => {
  const page = await openPage(browser, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  await fixtures(page);
  await page.goto(`${srv.url}/runs/${runA}?pid=1234&smod=idmtdi.sys`);
  await page.waitForSelector('#stk-bfly[data-ready="idmtdi.sys"]');
  await page.waitForSelector('#stacks-panel[data-ready]');
  await page.waitForSelector('#stk-flame svg');
  await page.$eval('#stk-tree .tree-toggle', (b) => b.click());
  await page.waitForSelector('#stk-tree tr[data-depth="1"]');
  // nothing of the panel sticks out of the screen unless a sideways-scrolling box holds it
  const loose = await page.evaluate(() => [...document.querySelectorAll('#stacks-panel *')].filter((e) => {
    if (e.getBoundingClientRect().right <= 390) return false;
    for (let b = e.parentElement; b; b = b.parentElement) if (/(auto|scroll)/.test(getComputedStyle(b).overflowX)) return b.getBoundingClientRect().right > 390;
    return true;
  }).map((e) => e.id || e.tagName));
  assert.deepEqual(loose, []);
  // (the page as a whole is checked by layout.test.mjs on a trace with samples: the findings
  // of this sample-less trace hold an unbreakable xperf command line that is not this panel's)
  assert.ok(await page.$eval('#stacks-panel', (p) => p.getBoundingClientRect().right <= 390));
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

// On the real server: a trace written by etlgen whose exact sample counts per module the
// writer reports (samples_ip: the module is the leaf; samples_on_stack: anywhere on it).
test('real server: process → threads → flame graph (modules) → frame click → butterfly, with the writer\'s numbers', async () => {
  const scen = { cpus: 2, duration_s: 1, seed: 5, sample_rate_hz: 1000, process_pid: 4242, modules: [
    { name: 'ntoskrnl.exe', base: '0xfffff80070600000', size: 10485760, samples: { weight: 3, stack: ['edr.sys'] } },
    { name: 'edr.sys', base: '0xfffff80075000000', size: 1048576, samples: { weight: 1 } },
    { name: 'ndis.sys', base: '0xfffff80072a00000', size: 1572864, samples: { weight: 1, stack: ['ntoskrnl.exe'] } }] };
  const g = etlgen(srv.dir, scen, 'edr');
  const id = (await uploadAndWait(srv.url, g.bytes, 'edr.etl', 'edr')).body.run.id;
  const m = Object.fromEntries(g.expected.modules.map((x) => [x.name, x]));
  const n = (v) => v.toLocaleString('en-US');
  const page = await openPage(browser, { acceptDownloads: true });
  await page.goto(`${srv.url}/runs/${id}?sgrp=module`);
  await page.waitForSelector('#stacks-panel[data-ready]');
  const procs = await cells(page, '#stk-procs');
  assert.deepEqual(procs.map((r) => r.slice(1, 4)), [['4242', n(g.expected.samples), '100.0 %']]);
  await page.click('#stk-procs button[data-pid="4242"]');
  await page.waitForFunction(() => document.querySelectorAll('#stk-threads tbody tr').length === 2);
  const threads = await cells(page, '#stk-threads');
  assert.equal(threads.reduce((s, r) => s + Number(r[2].replace(/,/g, '')), 0), g.expected.samples);
  // edr.sys calls into ntoskrnl.exe on every ntoskrnl sample: top-down, edr.sys holds its own
  // samples and ntoskrnl's
  await page.waitForSelector('#stk-flame g[name="edr.sys"]');
  assert.match(await page.textContent('#stk-flame g[name="edr.sys"] title'), new RegExp(`^edr\\.sys — ${n(m['edr.sys'].samples_on_stack)} samples`));
  await page.click('#stk-flame g[name="edr.sys"]');
  await page.waitForSelector('#stk-bfly[data-ready="edr.sys"]');
  assert.deepEqual(await cells(page, '#stk-callees'), [['ntoskrnl.exe', n(m['ntoskrnl.exe'].samples_ip), `${((100 * m['ntoskrnl.exe'].samples_ip) / m['edr.sys'].samples_on_stack).toFixed(1)} %`]]);
  assert.deepEqual(await cells(page, '#stk-callers'), [['none']]);
  assert.match(await page.textContent('#stk-bfly-note'), new RegExp(`\\(${n(m['edr.sys'].samples_on_stack)} of ${n(g.expected.samples)}\\).*\\(${n(m['edr.sys'].samples_ip)}\\)`));
  // the export links download the selection as shown (process 4242, by module), and the
  // files add up to the writer's counts
  const [folded] = await Promise.all([page.waitForEvent('download'), page.click('#stk-exports a[data-format="folded"]')]);
  const lines = readFileSync(await folded.path(), 'utf8').trim().split('\n').map((l) => l.match(/^(.*) (\d+)$/));
  assert.equal(lines.reduce((s, l) => s + Number(l[2]), 0), g.expected.samples);
  assert.equal(Number(lines.find((l) => l[1] === 'edr.sys;ntoskrnl.exe')[2]), m['ntoskrnl.exe'].samples_ip);
  const [speed] = await Promise.all([page.waitForEvent('download'), page.click('#stk-exports a[data-format="speedscope"]')]);
  const sp = JSON.parse(readFileSync(await speed.path(), 'utf8'));
  assert.equal(sp.profiles[0].type, 'sampled');
  assert.equal(sp.profiles[0].weights.reduce((a, b) => a + b, 0), g.expected.samples);
  // pprof (decoded in tests/integration/stacks_pprof.test.mjs): a gzip file of the same selection
  const [pp] = await Promise.all([page.waitForEvent('download'), page.click('#stk-exports a[data-format="pprof"]')]);
  const ppq = new URL(pp.url()).searchParams;
  assert.deepEqual([ppq.get('format'), ppq.get('group'), ppq.get('pid')], ['pprof', 'module', '4242']);
  const gz = readFileSync(await pp.path());
  assert.deepEqual([gz[0], gz[1]], [0x1f, 0x8b]);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('real server: the differential flame graph of two written traces shows each module\'s change', async () => {
  const scen = (edr, seed) => ({ cpus: 2, duration_s: 1, seed, sample_rate_hz: 1000, modules: [
    { name: 'ntoskrnl.exe', base: '0xfffff80070600000', size: 10485760, samples: { weight: 2 } },
    { name: 'edr.sys', base: '0xfffff80075000000', size: 1048576, samples: { weight: edr, stack: ['ntoskrnl.exe'] } }] });
  const ga = etlgen(srv.dir, scen(1, 7), 'diff-a'), gb = etlgen(srv.dir, scen(6, 8), 'diff-b');
  const a = (await uploadAndWait(srv.url, ga.bytes, 'diff-a.etl', 'before')).body.run.id;
  const b = (await uploadAndWait(srv.url, gb.bytes, 'diff-b.etl', 'after')).body.run.id;
  const edr = (g) => g.expected.modules.find((x) => x.name === 'edr.sys').samples_on_stack;
  const page = await openPage(browser);
  await page.goto(`${srv.url}/compare?runs=${a},${b}`);
  await page.waitForSelector('#cmp-stacks-panel[data-ready]');
  const d = edr(gb) - edr(ga);
  assert.ok(d > 0);
  const title = await page.textContent('#cmp-flame g[name="edr.sys"] title');
  assert.equal(title.replace(/ \(.*\)/, ''), `edr.sys — ${edr(gb).toLocaleString('en-US')} samples, change +${d.toLocaleString('en-US')}`);
  assert.match(await page.getAttribute('#cmp-flame g[name="edr.sys"] rect', 'fill'), /^rgb\(255, \d+, \d+\)$/);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

// The samples by stack tag on the real server: our default tags, then a tag file picked in
// the page (its tag names made of HTML, shown as text); counts are the writer's.
test('real server: the stack-tag table with the default tags and with a picked tag file', async () => {
  const scen = { cpus: 2, duration_s: 1, seed: 9, sample_rate_hz: 1000, process_pid: 4343, modules: [
    { name: 'ntoskrnl.exe', base: '0xfffff80070600000', size: 10485760, samples: { weight: 1 } },
    { name: 'tedrdrv.sys', base: '0xfffff80075000000', size: 1048576, samples: { weight: 2, stack: ['ntoskrnl.exe'] } },
    { name: 'ndis.sys', base: '0xfffff80072a00000', size: 1572864, samples: { weight: 1, stack: ['ntoskrnl.exe'] } }] };
  const g = etlgen(srv.dir, scen, 'tags');
  const id = (await uploadAndWait(srv.url, g.bytes, 'tags.etl', 'tags')).body.run.id;
  const m = Object.fromEntries(g.expected.modules.map((x) => [x.name, x.samples_ip]));
  const n = (v) => v.toLocaleString('en-US');
  const pc = (v) => `${((100 * v) / g.expected.samples).toFixed(1)} %`;
  const page = await openPage(browser);
  await page.goto(`${srv.url}/runs/${id}`);
  await page.waitForSelector('#stk-tags[data-ready="default"]');
  const want = [['Antivirus and EDR\\Palo Alto Networks Cortex XDR', m['tedrdrv.sys']], ['Network\\NDIS', m['ndis.sys']]]
    .sort((a, b) => b[1] - a[1]).concat([['(untagged)', m['ntoskrnl.exe']]]);
  assert.deepEqual(await cells(page, '#stk-tags'), want.map(([t, v]) => [t, n(v), pc(v), `pid 4343 (${n(v)})`]));
  assert.match(await page.textContent('#stk-tags-note'), /by the default tags/);
  // the panel's first answers were asked for together, once each: the tree and the tags
  // did not wait for the process table's answer (run.js askAhead, bench/README.md)
  const first = await page.evaluate(() => {
    const base = `/api/runs/${view.runId}`;
    const of = (path) => performance.getEntriesByType('resource')
      .filter((r) => new URL(r.name).pathname === `${base}/${path}`).map((r) => [r.startTime, r.responseEnd]);
    return { processes: of('processes'), tree: of('stacks/tree'), tags: of('stacks/tags') };
  });
  for (const k of ['processes', 'tree', 'tags']) assert.equal(first[k].length, 1, `${k} once: ${JSON.stringify(first)}`);
  assert.ok(first.tree[0][0] < first.processes[0][1] && first.tags[0][0] < first.processes[0][1], JSON.stringify(first));
  // a picked file: one tag for the EDR module, named with markup
  const xml = `<Tag Name=""><Tag Name="${EVIL.replace(/</g, '&lt;').replace(/>/g, '&gt;')}"><Entrypoint Module="TEDRDRV.SYS" Method="*"/></Tag></Tag>`;
  await page.setInputFiles('#stk-tags-file', { name: 'mine.stacktags', mimeType: 'application/xml', buffer: Buffer.from(xml) });
  await page.waitForSelector('#stk-tags[data-ready="mine.stacktags"]');
  assert.deepEqual(await cells(page, '#stk-tags'), [[EVIL, n(m['tedrdrv.sys']), pc(m['tedrdrv.sys']), `pid 4343 (${n(m['tedrdrv.sys'])})`],
    ['(untagged)', n(m['ntoskrnl.exe'] + m['ndis.sys']), pc(m['ntoskrnl.exe'] + m['ndis.sys']), `pid 4343 (${n(m['ntoskrnl.exe'] + m['ndis.sys'])})`]]);
  assert.equal(await page.$$eval('#stk-tags img', (x) => x.length), 0);
  // a broken file says so, and the default tags come back with one click
  await page.setInputFiles('#stk-tags-file', { name: 'bad.stacktags', mimeType: 'application/xml', buffer: Buffer.from('<Tags/>') });
  await page.waitForFunction(() => !document.getElementById('stk-tags-error').hidden);
  assert.match(await page.textContent('#stk-tags-error'), /^bad\.stacktags: .*root element must be <Tag>/);
  await page.click('#stk-tags-default');
  await page.waitForSelector('#stk-tags[data-ready="default"]');
  assert.equal((await cells(page, '#stk-tags')).length, 3);
  // a default tag's name filters the tree and flame graph to its samples (tag=), and back
  const note = (v) => page.waitForFunction((t) => document.getElementById('stk-tree-note').textContent.startsWith(t), `${n(v)} samples,`);
  await page.locator('#stk-tags-body button', { hasText: /^Network\\NDIS$/ }).click();
  await note(m['ndis.sys']);
  // the tree and the tags are answered in parallel (loadAll): the tags' line may come second
  await page.waitForFunction(() => document.getElementById('stk-tag-filter').textContent !== '');
  assert.equal(await page.textContent('#stk-tag-filter'), 'Only the samples tagged Network\\NDIS.');
  assert.equal((await cells(page, '#stk-tags')).length, 3); // every tag still listed
  await page.click('#stk-tags-body tr[data-tag=""] button');
  await note(m['ntoskrnl.exe']);
  await page.click('#stk-tag-clear');
  await note(g.expected.samples);
  await page.waitForSelector('#stk-tag-clear', { state: 'hidden' });
  assert.deepEqual(page.problems.filter((p) => !/400/.test(p)), []);
  await page.context().close();
});
