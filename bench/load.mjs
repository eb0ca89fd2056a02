// load.mjs — load benchmark: N concurrent uploads of large traces while M clients query the
// DPC/ISR endpoints of an already stored run, against the real server on loopback. Reports
// errors, query latency percentiles, upload times and the server's peak memory. Each failed
// query goes to stderr as it happens (URL, status and the body's error, or the exception and
// its cause) and again at the end with the nearest upload event, how long it was in flight and
// how long the driver's own event loop stood still meanwhile, then a count by kind.
//   node bench/load.mjs [--uploads 8] [--upload-mb 100] [--clients 64] [--quick] [--breakdown] [--slow-ms 500]
//   node bench/load.mjs --compare-workers [--clients 4]   (issue 16: parallel ingest)
//   node bench/load.mjs --compare-servers [--clients 4]   (issue 16: 2 servers vs 1)
// --compare-workers: the same 8 uploads of one ~100 MB trace, each from its own loopback
// address (so all 8 are received at once: the server admits two per address), against a
// server with --ingest-workers 1 (the baseline) and then 2, in the same run: wall time from
// the first byte sent to the last verdict, and the query latency meanwhile.
// --compare-servers: the same 8 uploads and queries against (a) one server and (b) two
// servers on one PostgreSQL catalog and one shared runs dir (docs/team.md), each with
// --ingest-workers 1, on a real PostgreSQL started here (tests/support/pg.mjs): in (b) the
// uploads alternate between the servers and each client queries through one of them, as
// behind a round-robin reverse proxy.
// Needs build/ (etlscope, etlgen) and curl. Timing lives only here, never in tests.
// The uploads are sent by curl processes: sending 95 MB bodies from this process stalled
// its event loop for up to 1.6 s, which then showed up as "slow queries" that the server
// had answered in milliseconds.
import { spawn, execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const build = process.env.BUILD || join(repo, 'build');
const args = process.argv.slice(2);
const opt = (name, def) => { const i = args.indexOf(`--${name}`); return i >= 0 ? Number(args[i + 1]) : def; };
const quick = args.includes('--quick');
const compare = args.includes('--compare-workers');
const compareServers = args.includes('--compare-servers');
const uploads = opt('uploads', quick ? 2 : 8);
const uploadMb = opt('upload-mb', quick ? 10 : 100);
const clients = opt('clients', quick || compare || compareServers ? 4 : 64);
// a quarter of the threads may receive uploads (SECURITY.md): room for all of them at once
const threads = Math.max(clients + uploads + 8, 4 * uploads + clients);

const dir = mkdtempSync(join(tmpdir(), 'etlscope-load-'));
const pct = (xs, p) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

function trace(name, seconds) {
  const sc = JSON.parse(readFileSync(join(repo, 'demo', 'scenarios', 'field-before.json'), 'utf8'));
  sc.duration_s = seconds;
  sc.seed = 7 + seconds;
  const f = join(dir, `${name}.json`), out = join(dir, `${name}.etl`);
  writeFileSync(f, JSON.stringify(sc));
  execFileSync(join(build, 'tools', 'etlgen', 'etlgen'), [f, out]);
  return out;
}

// The server's CPU time so far (user + system, seconds), from /proc/PID/stat (fields 14, 15
// in clock ticks; the command field may hold spaces, so count from its closing parenthesis).
const ticks = Number(execFileSync('getconf', ['CLK_TCK']).toString()) || 100;
function cpuSecs(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ').pop().split(' ');
  return (Number(f[11]) + Number(f[12])) / ticks;
}

function peakRssMb(pid) {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+)/.exec(s)[1]) / 1024;
}

// --breakdown: what holds the server's memory at the highest RSS sampled during the load
// and once it ends (before the server is stopped): the server's own view (/api/health's
// memory object) and the kernel's (/proc/PID/status, smaps_rollup).
const breakdown = args.includes('--breakdown');
async function printBreakdown(pid, at) {
  const kb = (text, key) => { const m = new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text); return m ? Number(m[1]) / 1024 : NaN; };
  const st = readFileSync(`/proc/${pid}/status`, 'utf8'), sm = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  console.log(`breakdown pid ${pid}: VmHWM ${fmt(kb(st, 'VmHWM'))} MB, VmRSS ${fmt(kb(st, 'VmRSS'))} MB (anon ${fmt(kb(st, 'RssAnon'))}, file ${fmt(kb(st, 'RssFile'))}), ` +
    `threads ${kb(st, 'Threads') * 1024}, smaps Anonymous ${fmt(kb(sm, 'Anonymous'))} MB`);
  console.log(`breakdown health: ${JSON.stringify(await (await fetch(`${at}/api/health`)).json())}`);
}

// One server with ingest workers `workers` and its store: `--db` in a directory of its
// own, or the arguments `store` (a shared catalog and runs dir); → { base, srv }.
async function startServer(workers, store) {
  const home = mkdtempSync(join(dir, 'srv-'));
  const srv = spawn(join(build, 'server', 'etlscope'), ['serve', '--listen', '127.0.0.1:0',
    ...(store || ['--db', join(home, 'db')]),
    '--data-dir', join(home, 'spool'), '--threads', String(threads), '--rate-limit', '0',
    '--ingest-workers', String(workers),
    // every simulated user comes from 127.0.0.1, as users behind a reverse proxy do: raise
    // the per-address connection cap as SECURITY.md tells such deployments to
    '--max-conns-per-addr', String(threads)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((res) => srv.stdout.on('data', (d) => { const m = /:(\d+)\//.exec(String(d)); if (m) res(Number(m[1])); }));
  return { base: `http://127.0.0.1:${port}`, srv };
}

// The uploads and the queries against `servers` (from startServer): upload i goes to server
// i mod n, client i queries through server i mod n; resolves the figures (peak RSS: the
// sum over the servers). spread: each upload from its own loopback address (127.0.0.20 + i).
async function scenario(queryTrace, bigTrace, servers, spread) {
  const via = (i) => servers[i % servers.length].base;
  const base = via(0);
  const waitJob = async (job, at = base) => {
    for (;;) {
      // a poll on a kept-alive connection the server has just closed fails: poll again
      const st = await fetch(`${at}/api/jobs/${job}`).then((r) => r.json(), () => ({}));
      if (st.state === 'done' || st.state === 'failed') return st;
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const up0 = await (await fetch(`${base}/api/uploads?file=query.etl`, { method: 'POST', body: readFileSync(queryTrace) })).json();
  const run = (await waitJob(up0.job)).run.id;

  const paths = [
    `/api/runs/${run}/dpcisr/histogram`, `/api/runs/${run}/dpcisr/histogram?kind=isr&cpus=0,2,4,6`,
    `/api/runs/${run}/dpcisr/modules`, `/api/runs/${run}/dpcisr/timeline?points=600`,
    `/api/runs/${run}/dpcisr/events?limit=50`, `/api/runs/${run}`,
  ];
  let stop = false, errors = 0, done = 0;
  const lat = [];
  // Every failed query is kept with its URL, status, the body's `error` or the exception
  // (with its cause's code: ECONNRESET, UND_ERR_SOCKET, …) and when it happened relative to
  // the uploads (upEvents: each upload's sent / answered / verdict time), so that a failure
  // says whose fault it is.
  const failures = [], upEvents = [], stalls = [];
  // Queries slower than slowMs (--slow-ms, default 500), told at the end like failures:
  // when, next to which upload event, and how long the driver itself stood still meanwhile.
  const slow = [];
  let t0 = performance.now(), tStart = Infinity, warmMax = 0;
  // each is also printed as it happens, so a long run that is stopped early still tells
  const fail = (url, t, status, error) => {
    failures.push({ url, t, end: performance.now(), status, error });
    console.error(`failed query at ${fmt((t - t0) / 1000)} s: ${url} → ${status || 'no response'}: ${error}`);
  };
  const client = async (i) => {
    let k = i;
    while (!stop) {
      const t0 = performance.now();
      const url = via(i) + paths[k++ % paths.length];
      try {
        const r = await fetch(url);
        const body = await r.text();
        if (r.status !== 200) {
          let error;
          try { error = JSON.parse(body).error; } catch { error = `unparsable body: ${body.slice(0, 80)}`; }
          fail(url, t0, r.status, String(error));
        }
      } catch (e) {
        const c = e.cause;
        fail(url, t0, 0, `${e.name}: ${e.message}${c ? ` (cause: ${c.code || c.name}: ${c.message})` : ''}`);
      }
      errors = failures.length;
      const ms = performance.now() - t0;
      lat.push(ms);
      // the first answers are computed cold (the kept answers fill then): the max past them
      if (t0 - tStart >= 10000) warmMax = Math.max(warmMax, ms);
      if (ms >= slowMs) slow.push({ url, t: t0, end: t0 + ms });
      done++;
    }
  };
  // The driver's own event-loop lag bounds how far its latencies can be trusted.
  // Stalls over 50 ms are kept (stalls: { t, ms }, t when the loop ran again) to tell, for
  // each failed query, how long the driver itself stood still while it was in flight.
  let lastTick = performance.now(), maxLag = 0;
  const lagTimer = setInterval(() => {
    const n = performance.now();
    maxLag = Math.max(maxLag, n - lastTick - 50);
    if (n - lastTick - 50 > 50) stalls.push({ t: n, ms: n - lastTick - 50 });
    lastTick = n;
  }, 50);
  // --breakdown: /api/health every 0.5 s; the sample with the highest RSS is printed
  let peakHealth = null;
  const healthTimer = breakdown && setInterval(async () => {
    const h = await fetch(`${base}/api/health`).then((r) => r.json(), () => null);
    if (h && h.memory && (!peakHealth || h.memory.rss > peakHealth.memory.rss)) peakHealth = h;
  }, 500);
  t0 = tStart = performance.now();
  const queryers = Array.from({ length: clients }, (_, i) => client(i));
  const upTimes = [];
  let upErrors = 0, upRetries = 0;
  // → { status, retryAfter, body } of one POST of the big trace, sent by curl
  const curlUpload = (i) => new Promise((res) => {
    execFile('curl', ['-sS', '-o', '-', '-w', '\n%{http_code} %header{retry-after}', '-X', 'POST',
      ...(spread ? ['--interface', `127.0.0.${20 + i}`] : []),
      '-H', 'Content-Type: application/octet-stream', '-T', bigTrace, /* streamed from disk */
      `${via(i)}/api/uploads?file=big-${i}.etl`], { maxBuffer: 1 << 20 }, (err, out) => {
      const lines = String(out || '').split('\n');
      const [code, ra] = lines.pop().split(' ');
      res({ status: err ? 0 : Number(code), retryAfter: Number(ra) || 1, body: lines.join('\n') });
    });
  });
  await Promise.all(Array.from({ length: uploads }, async (_, i) => {
    const a = performance.now();
    let r;
    // The server admits two uploads per client address at once and answers 429 with
    // Retry-After to the rest; a well-behaved client waits and tries again.
    for (;;) {
      upEvents.push({ t: performance.now(), what: `upload ${i} sending` });
      r = await curlUpload(i);
      upEvents.push({ t: performance.now(), what: `upload ${i} answered ${r.status}` });
      if (r.status !== 429) break;
      upRetries++;
      await new Promise((res) => setTimeout(res, 1000 * r.retryAfter));
    }
    if (r.status !== 202) { upErrors++; return; }
    const st = await waitJob(JSON.parse(r.body).job, via(i));
    upEvents.push({ t: performance.now(), what: `upload ${i} ${st.state}` });
    if (st.state !== 'done') upErrors++;
    upTimes.push((performance.now() - a) / 1000);
  }));
  stop = true;
  await Promise.all(queryers);
  clearInterval(lagTimer);
  if (healthTimer) {
    clearInterval(healthTimer);
    console.log(`breakdown at the highest RSS sampled: ${JSON.stringify(peakHealth)}`);
  }
  const secs = (performance.now() - t0) / 1000;
  let rss = 0, cpu = 0;
  for (const { srv, base: at } of servers) {
    rss += peakRssMb(srv.pid);
    cpu += cpuSecs(srv.pid);
    if (breakdown) await printBreakdown(srv.pid, at);
    srv.kill('SIGTERM');
    await new Promise((r) => srv.once('exit', r));
  }
  lat.sort((a, b) => a - b);
  printFailures(failures, upEvents, stalls, t0);
  const slowSplit = printSlow(slow, upEvents, stalls, t0);
  return { slowSplit, warmMax, secs, done, lat, errors, upErrors, upRetries, lastVerdict: Math.max(...upTimes), rss, cpu, servers: servers.length, maxLag };
}

const fmt = (x) => x.toFixed(1);
const slowMs = opt('slow-ms', 500);

// The longest stall of the driver's event loop (stalls: { t, ms }, t when it ran again)
// while a query ({ t, end }) was in flight: time the driver, not the server, stood still.
const stallDuring = (stalls, f) => Math.max(0, ...stalls.filter((x) => x.t >= f.t && x.t - x.ms <= f.end).map((x) => x.ms));

// The nearest upload event to time t (upEvents: { t, what }), as words.
function nearEvent(upEvents, t) {
  let best = null;
  for (const e of upEvents) if (!best || Math.abs(e.t - t) < Math.abs(best.t - t)) best = e;
  if (!best) return 'no upload event yet';
  return `${fmt(Math.abs(t - best.t))} ms ${t >= best.t ? 'after' : 'before'} "${best.what}"`;
}

// The slow queries (to stderr), the slowest 20 each on a line, then how many there were and
// how many of them the driver's own stall explains (the query's time less the stall < slowMs);
// → { n, driver }.
function printSlow(slow, upEvents, stalls, t0) {
  if (!slow.length) return { n: 0, driver: 0 };
  const byMs = [...slow].sort((a, b) => (b.end - b.t) - (a.end - a.t));
  for (const f of byMs.slice(0, 20))
    console.error(`slow query sent at ${fmt((f.t - t0) / 1000)} s (${nearEvent(upEvents, f.t)}): ${fmt(f.end - f.t)} ms, ` +
      `driver stalled up to ${fmt(stallDuring(stalls, f))} ms meanwhile: ${f.url}`);
  const driver = slow.filter((f) => f.end - f.t - stallDuring(stalls, f) < slowMs).length;
  console.error(`slow queries (≥ ${slowMs} ms): ${slow.length}; ${driver} of them under ${slowMs} ms once the driver's own stall is taken off`);
  return { n: slow.length, driver };
}

// Each failed query (to stderr: the tables on stdout stay as they were), then a count by
// kind (status and error, the URL's run id and query string left out).
function printFailures(failures, upEvents, stalls, t0) {
  if (!failures.length) return;
  const stall = (f) => stallDuring(stalls, f);
  const near = (t) => nearEvent(upEvents, t);
  for (const f of failures)
    console.error(`failed query sent at ${fmt((f.t - t0) / 1000)} s (${near(f.t)}), failed after ${fmt(f.end - f.t)} ms, ` +
      `driver stalled up to ${fmt(stall(f))} ms meanwhile: ${f.url} → ${f.status || 'no response'}: ${f.error}`);
  const kinds = new Map();
  for (const f of failures) {
    const k = `${f.status || 'no response'} ${f.error}`;
    kinds.set(k, (kinds.get(k) || 0) + 1);
  }
  const stalled = failures.filter((f) => stall(f) >= 1000).length;
  console.error(`failed queries by kind (${failures.length}; ${stalled} of them while the driver's own event loop stood still ≥ 1 s):`);
  for (const [k, n] of [...kinds].sort((a, b) => b[1] - a[1])) console.error(`  ${n} × ${k}`);
}

// The same uploads and queries against each case in turn (the first is the baseline): one
// table row per case, then the last case against the baseline. A case is { label, start }:
// start() resolves the servers it runs, fresh for it.
async function comparison(queryTrace, bigTrace, mb, cases) {
  const r = [];
  for (const c of cases) {
    const x = await scenario(queryTrace, bigTrace, await c.start(), true);
    r.push(x);
    console.log(`| ${uploads} simultaneous uploads of one ${mb} MB trace, ${c.label}${r.length === 1 ? ' (baseline)' : ''}, ${clients} clients querying | ` +
      `last verdict ${fmt(x.lastVerdict)} s after the first byte; query p50 ${fmt(pct(x.lat, 50))} ms, p95 ${fmt(pct(x.lat, 95))} ms, max ${fmt(x.lat[x.lat.length - 1])} ms (${x.done} queries); ` +
      `errors ${x.errors} queries, ${x.upErrors} uploads; server peak RSS ${x.rss.toFixed(0)} MB${x.servers > 1 ? ` (sum over ${x.servers})` : ''}; driver lag max ${fmt(x.maxLag)} ms |`);
    if (x.errors || x.upErrors) process.exitCode = 1;
  }
  const [a, b] = [r[0], r[r.length - 1]];
  console.log(`| ${cases[cases.length - 1].label} vs ${cases[0].label} | last verdict ${(b.lastVerdict / a.lastVerdict).toFixed(2)} of the baseline's time ` +
    `(${(a.lastVerdict / b.lastVerdict).toFixed(2)}× faster); query p95 ${fmt(pct(b.lat, 95))} vs ${fmt(pct(a.lat, 95))} ms |`);
}

async function main() {
  // ~1.45 MB of compressed trace per second of the field story.
  const queryTrace = trace('query', 10);
  const bigTrace = trace('big', Math.max(1, Math.round(uploadMb / 1.45)));
  const mb = (statSync(bigTrace).size / 1048576).toFixed(0);
  if (compare) {
    await comparison(queryTrace, bigTrace, mb, [1, 2].map((w) => ({
      label: `--ingest-workers ${w}`, start: async () => [await startServer(w)],
    })));
  } else if (compareServers) {
    const { startPostgres } = await import('../tests/support/pg.mjs');
    const pg = await startPostgres();
    try {
      // each case on an empty catalog and runs dir; the servers of a case share both
      const team = (n) => async () => {
        pg.sql('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
        const store = ['--catalog', pg.url, '--runs-dir', mkdtempSync(join(dir, 'runs-'))];
        const servers = [];
        for (let i = 0; i < n; i++) servers.push(await startServer(1, store));
        return servers;
      };
      await comparison(queryTrace, bigTrace, mb, [
        { label: '1 server', start: team(1) },
        { label: '2 servers on one PostgreSQL', start: team(2) },
      ]);
      console.log(`note: ${cpus().length} cores on this machine, shared by both servers of (b): the gain here is what their ` +
        'second ingest worker wins; on separate machines expect about 2× (docs/team.md "Scaling")');
    } finally { pg.stop(); }
  } else {
    const r = await scenario(queryTrace, bigTrace, [await startServer(1)], false);
    const { secs, done, lat } = r;
    console.log(`| load: ${uploads} uploads of ${mb} MB traces while ${clients} clients query DPC/ISR endpoints for ${secs.toFixed(1)} s | ` +
      `${done} queries (${(done / secs).toFixed(0)}/s), query latency p50 ${fmt(pct(lat, 50))} ms, p95 ${fmt(pct(lat, 95))} ms, p99 ${fmt(pct(lat, 99))} ms, max ${fmt(lat[lat.length - 1])} ms (${fmt(r.warmMax)} ms for queries sent after the first 10 s), ${r.slowSplit.n} over ${slowMs} ms (${r.slowSplit.driver} of them within it but for the driver's own stall); ` +
      `errors: ${r.errors} queries, ${r.upErrors} uploads (${r.upRetries} polite 429 retries: 2 uploads per client address at once); uploads done in ${fmt(r.lastVerdict)} s; server peak RSS ${r.rss.toFixed(0)} MB, CPU ${r.cpu.toFixed(2)} s (${(r.cpu * 1000 / done).toFixed(2)} ms per query, uploads included); driver event-loop lag max ${fmt(r.maxLag)} ms | ` +
      `targets: 0 errors, no query over 1 s (${lat[lat.length - 1] < 1000 ? 'met' : 'MISSED'}), RSS bounded | |`);
    if (r.errors || r.upErrors) process.exitCode = 1;
  }
  rmSync(dir, { recursive: true, force: true });
}

main().catch((e) => { console.error(e); rmSync(dir, { recursive: true, force: true }); process.exit(1); });
