// Team mode (docs/team.md): two server processes A and B on one catalog and one shared run
// directory (each with its own --data-dir), on a real PostgreSQL started by the test
// (tests/support/pg.mjs) and on the SQLite default (one catalog file). Upload to A, read,
// edit, share and compare from B; kill -9 A mid-ingest: B reports the job failed once A's
// lease expires, no half run is visible, the catalog stays consistent, B keeps serving, and
// A restarted rejoins. Run once by scripts/test.sh (not under every sanitizer).
//
// Expected numbers come from etlgen's exact aggregates of the scenarios (the writer's own
// accounting), not from the server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  startServer, tempDir, getJson, uploadAndWait, uploadDone, waitFor, repo, shared, genPdhCsv,
} from '../support/server.mjs';
import { etlgenBin } from '../support/etlgen.mjs';
import { pgBinDir, startPostgres } from '../support/pg.mjs';

const LEASE = 3; // seconds: a dead server's jobs fail this long after its last heartbeat
const csv = readFileSync(join(shared, 'samples', 'perfmon', 'powershell_CounterSamples.csv'));
const stories = ['field-before', 'field-after-update'];

let pg = null;
const pgSkip = pgBinDir() ? false : 'PostgreSQL binaries not found (apt-get install postgresql; or set PG_BIN)';
before(async () => { if (!pgSkip) pg = await startPostgres(); });
after(() => { if (pg) pg.stop(); });

// The catalog of one backend: its --catalog argument and a way to query it.
function backend(kind, dir) {
  if (kind === 'postgresql') return { arg: pg.url, sql: (q) => pg.sql(q) };
  const file = join(dir, 'catalog.db');
  return { arg: file, sql: (q) => execFileSync('sqlite3', ['-separator', '|', file, q], { encoding: 'utf8' }).trim() };
}

async function startTeam(kind) {
  const dir = tempDir('etlscope-team-');
  if (kind === 'postgresql') pg.sql('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
  const cat = backend(kind, dir);
  const runsDir = join(dir, 'runs');
  const args = ['--catalog', cat.arg, '--runs-dir', runsDir, '--lease', String(LEASE)];
  const start = (name) => { mkdirSync(join(dir, name), { recursive: true }); return startServer(args, { dir: join(dir, name) }); };
  const team = { dir, cat, runsDir, start, a: await start('a') };
  team.b = await start('b');
  return team;
}

// Every visible run has a published file on disk; every published file belongs to a run.
function assertConsistent(team) {
  const rows = team.cat.sql('SELECT r.id, coalesce(f.version, 0) FROM runs r LEFT JOIN run_files f ON f.run_id = r.id ORDER BY r.id');
  const files = rows ? rows.split('\n').map((l) => { const [id, v] = l.split('|'); return `run-${id}.v${v}.db`; }) : [];
  for (const f of files) assert.ok(!f.endsWith('.v0.db'), `run ${f} is visible without a file`);
  const onDisk = readdirSync(team.runsDir).filter((f) => /^run-\d+\.v\d+\.db$/.test(f)).sort();
  assert.deepEqual(onDisk, [...files].sort(), 'the run directory holds exactly the published files');
  assert.equal(team.cat.sql('SELECT count(*) FROM run_files WHERE version > 0 AND run_id NOT IN (SELECT id FROM runs)'), '0');
}

function ndisDpc(expected) { return expected.modules.find((x) => x.name === 'ndis.sys').dpc; }

for (const kind of ['postgresql', 'sqlite']) {
  test(`${kind}: upload to A; read, edit, share and compare from B, across servers`, { skip: kind === 'postgresql' && pgSkip }, async () => {
    const team = await startTeam(kind);
    const { a, b } = team;
    try {
      const up = await uploadAndWait(a.url, csv, 'samples.csv', 'from A');
      assert.equal(up.body.state, 'done', JSON.stringify(up.body));
      const run = up.body.run;
      // the job's status from the other server
      const job = await getJson(`${b.url}/api/jobs/${up.body.id}`);
      assert.equal(job.status, 200);
      assert.equal(job.body.state, 'done');
      assert.equal(job.body.run.id, run.id);
      // the same answers from both servers (B reads A's run file)
      for (const p of ['', '/counters', '/series?c=0&c=1', '/findings']) {
        const [ra, rb] = [await getJson(`${a.url}/api/runs/${run.id}${p}`), await getJson(`${b.url}/api/runs/${run.id}${p}`)];
        assert.equal(rb.status, 200, `B ${p}: ${JSON.stringify(rb.body)}`);
        assert.deepEqual(rb.body, ra.body, `B answers ${p || '/'} as A`);
      }
      assert.deepEqual((await getJson(`${b.url}/api/runs`)).body.runs.map((r) => r.id), [run.id]);
      // the share link's page and the run file from B
      assert.equal((await fetch(`${b.url}/runs/${run.id}`)).status, 200);
      const file = await fetch(`${b.url}/api/runs/${run.id}/file`);
      assert.equal(file.status, 200);
      assert.equal(Buffer.from(await file.arrayBuffer()).subarray(0, 16).toString('latin1'), 'SQLite format 3\0');
      // an edit on B with the token A handed out; A shows it
      const patch = await fetch(`${b.url}/api/runs/${run.id}`, {
        method: 'PATCH', body: JSON.stringify({ name: 'renamed on B', notes: 'seen by A' }),
        headers: { 'X-Edit-Token': run.edit_token, 'Content-Type': 'application/json' },
      });
      assert.equal(patch.status, 200);
      assert.equal((await patch.json()).name, 'renamed on B');
      const onA = (await getJson(`${a.url}/api/runs/${run.id}`)).body;
      assert.equal(onA.name, 'renamed on B');
      assert.equal(onA.notes, 'seen by A');
      // a wrong token is refused on either
      const bad = await fetch(`${a.url}/api/runs/${run.id}`, { method: 'PATCH', body: '{"name":"x"}', headers: { 'X-Edit-Token': 'f'.repeat(32) } });
      assert.equal(bad.status, 403);

      // compare a run ingested on A with one ingested on B, from either server
      const ids = [], expected = [];
      for (const [i, s] of stories.entries()) {
        const etl = join(team.dir, `${s}.etl`), exp = join(team.dir, `${s}.json`);
        execFileSync(etlgenBin, [join(repo, 'demo', 'scenarios', `${s}.json`), etl, exp]);
        expected.push(JSON.parse(readFileSync(exp, 'utf8')));
        ids.push((await uploadDone([a, b][i].url, readFileSync(etl), `${s}.etl`, s)).id);
      }
      for (const srv of [a, b]) {
        const cmp = await getJson(`${srv.url}/api/compare?runs=${ids.join(',')}`);
        assert.equal(cmp.status, 200, JSON.stringify(cmp.body));
        const m = cmp.body.modules.find((x) => x.module === 'ndis.sys');
        m.runs.forEach((r, i) => {
          const want = ndisDpc(expected[i]);
          assert.equal(r.count, want.count, `run ${i} count`);
          assert.equal(r.max_us, want.max_ns / 1e3, `run ${i} max`);
        });
      }
      // deleted on A: gone on B, its file unlinked
      const del = await fetch(`${a.url}/api/runs/${run.id}`, { method: 'DELETE', headers: { 'X-Edit-Token': run.edit_token } });
      assert.equal(del.status, 200);
      assert.equal((await getJson(`${b.url}/api/runs/${run.id}`)).status, 404);
      assertConsistent(team);
    } finally { await a.stop(); await b.stop(); rmSync(team.dir, { recursive: true, force: true }); }
  });

  test(`${kind}: kill -9 A mid-ingest; B fails the job after the lease, serves on; A rejoins`, { skip: kind === 'postgresql' && pgSkip }, async () => {
    const team = await startTeam(kind);
    let { a } = team;
    const { b } = team;
    try {
      const kept = await uploadDone(b.url, csv, 'kept.csv', 'kept');
      const before = (await getJson(`${b.url}/api/runs`)).body.runs.map((r) => r.id);
      // a large upload to A, killed while A ingests it
      const big = execFileSync(genPdhCsv, ['-c', '64', '-s', '4000'], { maxBuffer: 1 << 30 });
      const res = await fetch(`${a.url}/api/uploads?file=big.csv`, { method: 'POST', body: big });
      assert.equal(res.status, 202);
      const { job } = await res.json();
      const seen = await waitFor(async () => {
        const s = (await getJson(`${a.url}/api/jobs/${job}`)).body.state;
        return s === 'ingesting' || s === 'done' ? s : null;
      }, { timeout: 60000, every: 5, what: 'the ingest on A' });
      assert.equal(seen, 'ingesting', 'killed mid-ingest (make the upload larger if this fails)');
      await a.kill();
      // B answers the job while A's lease runs (the catalog may not have heard of the claim
      // yet: queued), then reports it failed
      const during = (await getJson(`${b.url}/api/jobs/${job}`)).body.state;
      assert.ok(['queued', 'ingesting', 'failed'].includes(during), during);
      const failed = await waitFor(async () => {
        const j = await getJson(`${b.url}/api/jobs/${job}`);
        return j.body.state === 'failed' ? j.body : null;
      }, { timeout: 30000, every: 100, what: 'B to fail the dead server\'s job' });
      assert.match(failed.error, /lease expired|stopped/);
      // no half run: the same runs as before, and a consistent catalog and directory
      assert.deepEqual((await getJson(`${b.url}/api/runs`)).body.runs.map((r) => r.id), before);
      await waitFor(() => team.cat.sql('SELECT count(*) FROM run_files WHERE version = 0') === '0', { timeout: 30000, what: 'the dead reservation dropped' });
      assert.deepEqual(readdirSync(team.runsDir).filter((f) => f.startsWith('.tmp-run-')), [], 'the half-written file is removed');
      assertConsistent(team);
      // B keeps serving: reads and a new upload
      assert.equal((await getJson(`${b.url}/api/runs/${kept.id}`)).status, 200);
      const after = await uploadDone(b.url, csv, 'after.csv', 'after');
      // A restarts on its data directory and rejoins
      a = await team.start('a');
      assert.equal((await getJson(`${a.url}/api/runs/${after.id}`)).status, 200);
      assert.equal((await getJson(`${a.url}/api/jobs/${job}`)).body.state, 'failed');
      const again = await uploadDone(a.url, csv, 'again.csv', 'again');
      assert.equal((await getJson(`${b.url}/api/runs/${again.id}`)).status, 200);
      assert.deepEqual(new Set((await getJson(`${a.url}/api/runs`)).body.runs.map((r) => r.id)),
        new Set([kept.id, after.id, again.id]));
      assertConsistent(team);
      assert.ok(existsSync(team.runsDir));
    } finally { await a.stop(); await b.stop(); rmSync(team.dir, { recursive: true, force: true }); }
  });
}
