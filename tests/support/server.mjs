// server.mjs — test helper: start the real etlscope binary on an ephemeral loopback port
// with a fresh database, and stop it. Used by the integration and browser tests.
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

// Node's fetch without keep-alive. The server closes a kept connection after 3 s idle; a test
// that blocks its event loop longer (execFileSync of etlgen or sqlite3, slow under ASan) then
// has undici reuse a socket the server closed before undici could notice, and undici does
// not retry a POST ("fetch failed"). Browsers and curl retry; keep-alive itself is tested
// with raw sockets (keepalive.test.mjs) and through Chromium (tests/browser). Node exposes
// no Agent class: the one behind its first fetch is reused, configured without keep-alive.
{
  const dispatcher = Symbol.for('undici.globalDispatcher.1');
  await fetch('http://127.0.0.1:1/').catch(() => {}); // port 1: refused at once
  globalThis[dispatcher] = new globalThis[dispatcher].constructor({ pipelining: 0 });
}

const here = dirname(fileURLToPath(import.meta.url));
export const repo = join(here, '..', '..');
export const shared = process.env.ETLSCOPE_SHARED || join(repo, '..', 'shared');
export const binary = process.env.ETLSCOPE_BIN || join(repo, 'build', 'server', 'etlscope');

// Every directory tempDir makes is removed when the test process exits, whoever made it and
// however the test ended (a test that passes `dir` to startServer keeps it past stop);
// ETLSCOPE_KEEP_TMP=1 keeps them to look at after a failure.
const madeDirs = new Set();
process.on('exit', () => {
  if (process.env.ETLSCOPE_KEEP_TMP === '1') return;
  for (const d of madeDirs) rmSync(d, { recursive: true, force: true });
});

export function tempDir(prefix = 'etlscope-test-') {
  const d = mkdtempSync(join(tmpdir(), prefix));
  madeDirs.add(d);
  return d;
}

// Runs `etlscope ARGS…` to completion; returns {status, stdout, stderr}.
export function run(args) {
  try {
    const stdout = execFileSync(binary, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { status: 0, stdout, stderr: '' };
  } catch (e) {
    return { status: e.status, stdout: e.stdout || '', stderr: e.stderr || '' };
  }
}

export async function startServer(extraArgs = [], opts = {}) {
  const dir = opts.dir || tempDir();
  // opts.from: a stopped server's directory (tests/support/story.mjs) copied in first
  if (opts.from) cpSync(opts.from, dir, { recursive: true });
  const db = opts.db || join(dir, 'etlscope.db');
  const args = ['serve', '--listen', '127.0.0.1:0', '--db', db, '--data-dir', join(dir, 'data'), ...extraArgs];
  const exe = opts.binary || binary; // opts.binary: another release's etlscope (team_store.test)
  // opts.fileSizeKb: start under `ulimit -f`, so writes past that size fail like a full disk.
  const child = opts.fileSizeKb
    ? spawn('bash', ['-c', `ulimit -f ${opts.fileSizeKb}; exec "$0" "$@"`, exe, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(exe, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const port = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server did not start: ${stderr}`)), 10000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on https?:\/\/127\.0\.0\.1:(\d+)\//);
      if (m) { clearTimeout(timer); resolve(Number(m[1])); }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited ${code}: ${stderr}`)); });
  });
  const url = `http://127.0.0.1:${port}`;
  let killed = false;
  return {
    port, url, dir, db, child,
    stderr: () => stderr,
    // Kill -9: no clean shutdown, as in a crash or power loss.
    async kill() {
      killed = true;
      if (child.exitCode === null && child.signalCode === null) {
        const done = new Promise((r) => child.once('exit', r));
        child.kill('SIGKILL');
        await done;
      }
    },
    // A clean stop must exit 0: under ASan, LeakSanitizer makes a leaking server exit 23.
    async stop({ keep = false } = {}) {
      let end = { code: child.exitCode, signal: child.signalCode };
      if (child.exitCode === null && child.signalCode === null) {
        const done = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
        child.kill('SIGTERM');
        end = await done;
      }
      if (!keep && !opts.dir) rmSync(dir, { recursive: true, force: true });
      if (end.code !== 0 && !killed) throw new Error(`server exited with ${end.code ?? end.signal}: ${stderr.slice(-4000)}`);
    },
  };
}

// The file holding a run's rows (docs/team.md): DIR/data/runs/run-<id>.v<version>.db, as the
// catalog DB names it; null when the catalog has no file for that public id.
export function runFile(dir, db, publicId) {
  const q = `SELECT r.id || '.v' || f.version FROM runs r JOIN run_files f ON f.run_id = r.id WHERE r.public_id = '${publicId.replace(/'/g, "''")}'`;
  const name = execFileSync('sqlite3', [db, q], { encoding: 'utf8' }).trim();
  return name ? join(dir, 'data', 'runs', `run-${name}.db`) : null;
}

export async function getJson(url) {
  const res = await fetch(url);
  return { status: res.status, headers: res.headers, body: await res.json() };
}

// Wait for a condition instead of sleeping: calls check() (may be async) every `every` ms
// until it returns a truthy value, which waitFor returns; throws after `timeout` ms.
export async function waitFor(check, { timeout = 10000, every = 50, what = 'condition' } = {}) {
  const end = Date.now() + timeout;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

// Upload bytes and wait for the ingest job to finish; returns the final job document.
// extra: more query parameters, e.g. { encoding: 'CP1251' }.
export async function uploadAndWait(base, bytes, fileName, name, extra = {}) {
  const q = new URLSearchParams({ file: fileName, ...extra });
  if (name) q.set('name', name);
  // As a client does it: "429 … Retry-After: N" (an earlier, dropped upload still holds its
  // slot until the server next reads from it) is honoured a bounded number of times.
  let res;
  for (let attempt = 0; ; attempt++) {
    res = await fetch(`${base}/api/uploads?${q}`, {
      method: 'POST', body: bytes, headers: { 'Content-Type': 'application/octet-stream' },
    });
    const wait = Number(res.headers.get('retry-after'));
    if (res.status !== 429 || !wait || attempt === 10) break;
    await res.arrayBuffer();
    await new Promise((r) => setTimeout(r, wait * 1000));
  }
  const body = await res.json();
  if (res.status !== 202) return { status: res.status, body };
  // A guard against a hung job, not a timing check: a sanitizer build on a loaded 2-core
  // machine takes tens of seconds for the 16 MB demo trace.
  for (const until = Date.now() + 300000; Date.now() < until;) {
    const job = await getJson(`${base}/api/jobs/${body.job}`);
    if (job.body.state === 'done' || job.body.state === 'failed') return { status: 202, body: job.body };
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('job did not finish in 300 s');
}

// Upload bytes that must ingest: asserts the job ends 'done'; returns its run document.
export async function uploadDone(base, bytes, fileName, name) {
  const up = await uploadAndWait(base, bytes, fileName, name);
  assert.equal(up.body.state, 'done', JSON.stringify(up.body));
  return up.body.run;
}

// The real PerfView trace with CPU samples and stacks (../shared/samples/MANIFEST.md).
export const perfviewSample = join(shared, 'samples', 'etl', 'perfview-net452-x64-compressed.etl');

// The benchmark generator built beside the binary (build/bench/gen_pdh_csv).
export const genPdhCsv = join(dirname(binary), '..', 'bench', 'gen_pdh_csv');

// Upload a large generated CSV and kill -9 the server once its job is ingesting (a crash
// mid-ingest); returns the job id.
export async function killMidIngest(srv) {
  const big = execFileSync(genPdhCsv, ['-c', '64', '-s', '4000'], { maxBuffer: 1 << 30 });
  const res = await fetch(`${srv.url}/api/uploads?file=big.csv`, { method: 'POST', body: big });
  assert.equal(res.status, 202);
  const { job } = await res.json();
  let state;
  for (let i = 0; i < 400; i++) {
    state = (await getJson(`${srv.url}/api/jobs/${job}`)).body.state;
    if (state === 'ingesting' || state === 'done') break;
    await new Promise((r) => setTimeout(r, 5));
  }
  assert.equal(state, 'ingesting', 'caught the ingest in flight');
  await srv.kill();
  return job;
}
