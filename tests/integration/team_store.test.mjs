// team_store.test.mjs — runs as immutable files (docs/team.md) over HTTP: a single-file
// database written by the previous release converts on the first start (every answer the
// same, edit tokens and job links still working, a copy of the old file kept); each run's
// rows live in a file of its own and the catalog holds none; an ingest cut short leaves no
// file; parallel ingest workers each write their own run; a deleted run's file is unlinked.
// ETLSCOPE_OLD_BIN names the previous release's binary (e.g. main's build); without it the
// single-file database is written by `etlscope ingest --single-file`. `etlscope ingest` and
// `etlscope demo` write run files themselves: a server started after them converts nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, existsSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { startServer, getJson, uploadAndWait, run, runFile, shared, tempDir, waitFor, repo, killMidIngest } from '../support/server.mjs';
import { perCpuCsv } from '../support/perfmon.mjs';
import { generate } from '../support/etlgen.mjs';

const csv = readFileSync(join(shared, 'samples', 'perfmon', 'powershell_CounterSamples.csv'));
const oldBin = process.env.ETLSCOPE_OLD_BIN;

function sql(db, q) {
  return execFileSync('sqlite3', [db, q], { encoding: 'utf8' }).trim();
}

// What a viewer reads about a run: the document, counters, a series, the findings.
async function snapshot(url, id) {
  const get = async (p) => (await getJson(`${url}/api/runs/${id}${p}`)).body;
  const counters = await get('/counters');
  const q = counters.counters.slice(0, 4).map((c) => `c=${c.idx}`).join('&');
  const findings = await get('/findings');
  delete findings.computed; // when they were computed, not what they say
  return { run: await get(''), counters, series: await get(`/series?${q}`), findings };
}

test('a single-file database from the previous release converts on first start', async () => {
  const dir = tempDir();
  const db = join(dir, 'etlscope.db');
  const made = []; // {id, token, job}
  const oldAnswers = []; // what the previous release served, when it wrote the database
  if (oldBin) {
    const old = await startServer([], { dir, binary: oldBin });
    try {
      for (const [bytes, name] of [[csv, 'a.csv'], [Buffer.from(perCpuCsv({ cpus: 4, seconds: 20 })), 'b.csv']]) {
        const up = await uploadAndWait(old.url, bytes, name, name);
        assert.equal(up.body.state, 'done', JSON.stringify(up.body));
        made.push({ id: up.body.run.id, token: up.body.run.edit_token, job: up.body.id });
        oldAnswers.push(await snapshot(old.url, up.body.run.id));
      }
    } finally { await old.stop({ keep: true }); }
  } else {
    const f = join(dir, 'b.csv');
    writeFileSync(f, perCpuCsv({ cpus: 4, seconds: 20 }));
    for (const file of [join(shared, 'samples', 'perfmon', 'powershell_CounterSamples.csv'), f]) {
      const r = run(['ingest', '--single-file', '--db', db, '--json', file]); // the old layout
      assert.equal(r.status, 0, r.stderr);
      const doc = JSON.parse(r.stdout.trim());
      made.push({ id: doc.run, token: doc.edit_token });
    }
  }
  assert.ok(Number(sql(db, 'SELECT count(*) FROM series_chunks')) > 0, 'the old layout keeps rows in one file');
  const before = Number(sql(db, 'SELECT count(*) FROM series_chunks'));

  let srv = await startServer([], { dir });
  try {
    assert.ok(existsSync(`${db}.single-file.bak`), 'the old database is kept');
    assert.equal(Number(sql(`${db}.single-file.bak`, 'SELECT count(*) FROM series_chunks')), before);
    assert.equal(sql(db, 'SELECT count(*) FROM series_chunks'), '0', 'the catalog holds no analysis rows');
    let inFiles = 0;
    for (const m of made) {
      const f = runFile(dir, db, m.id);
      assert.ok(f && existsSync(f), `run ${m.id} has its own file`);
      inFiles += Number(sql(f, 'SELECT count(*) FROM series_chunks'));
      assert.equal(sql(f, 'SELECT edit_token FROM runs'), '', 'a run file carries no edit token');
      assert.equal(sql(f, 'PRAGMA integrity_check'), 'ok');
    }
    assert.equal(inFiles, before, 'every row moved, none twice');
    const snaps = [];
    for (const m of made) snaps.push(await snapshot(srv.url, m.id));
    if (oldBin) assert.deepEqual(snaps, oldAnswers, 'every answer as the previous release gave it');
    for (const [i, m] of made.entries()) { // and as many counters as the old file holds
      const n = Number(sql(`${db}.single-file.bak`, `SELECT count(*) FROM counters WHERE run_id=(SELECT id FROM runs WHERE public_id='${m.id}')`));
      assert.equal(snaps[i].counters.counters.length, n);
      assert.equal(snaps[i].run.id, m.id);
    }
    const list = (await getJson(`${srv.url}/api/runs`)).body.runs.map((r) => r.id).sort();
    assert.deepEqual(list, made.map((m) => m.id).sort());
    if (oldBin) { // the job link and edit token from the old release still work
      const job = (await getJson(`${srv.url}/api/jobs/${made[0].job}`)).body;
      assert.equal(job.run.id, made[0].id);
      assert.equal(job.run.edit_token, made[0].token);
    }
    const patch = await fetch(`${srv.url}/api/runs/${made[0].id}`, {
      method: 'PATCH', headers: { 'Content-Type': 'application/json', 'X-Edit-Token': made[0].token },
      body: JSON.stringify({ notes: 'after conversion' }),
    });
    assert.equal(patch.status, 200);
    snaps[0] = await snapshot(srv.url, made[0].id);
    assert.equal(snaps[0].run.notes, 'after conversion');
    // a PATCH answers the whole run document, read from the run's file like a GET
    const p1 = await fetch(`${srv.url}/api/runs/${made[1].id}`, {
      method: 'PATCH', headers: { 'Content-Type': 'application/json', 'X-Edit-Token': made[1].token },
      body: JSON.stringify({ name: 'renamed' }),
    });
    const answered = await p1.json();
    assert.equal(answered.cpu_counters[0].cpus, 4, JSON.stringify(answered.cpu_counters));
    assert.deepEqual(answered, (await getJson(`${srv.url}/api/runs/${made[1].id}`)).body);
    snaps[1] = await snapshot(srv.url, made[1].id);
    // a second start changes nothing
    await srv.stop({ keep: true });
    srv = await startServer([], { dir });
    for (const [i, m] of made.entries()) assert.deepEqual(await snapshot(srv.url, m.id), snaps[i]);
    // compare reads two run files on one connection
    const cmp = await getJson(`${srv.url}/api/compare?runs=${made[0].id},${made[1].id}`);
    assert.equal(cmp.status, 200, JSON.stringify(cmp.body));
  } finally { await srv.stop(); }
});

test('etlscope ingest writes the run into a file of its own: the next start converts nothing; a running server keeps its data directory', async () => {
  const dir = tempDir();
  const db = join(dir, 'etlscope.db'), data = join(dir, 'data');
  const r = run(['ingest', '--db', db, '--data-dir', data, '--json', join(shared, 'samples', 'perfmon', 'powershell_CounterSamples.csv')]);
  assert.equal(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout.trim());
  assert.equal(sql(db, 'SELECT count(*) FROM series_chunks'), '0', 'the catalog holds no analysis rows');
  const f = runFile(dir, db, doc.run);
  assert.ok(f && existsSync(f), 'the run has its own file');
  assert.ok(Number(sql(f, 'SELECT count(*) FROM series_chunks')) > 0);
  assert.equal(sql(f, 'SELECT edit_token FROM runs'), '', 'a run file carries no edit token');
  assert.equal(sql(f, 'SELECT count(*) FROM run_findings'), '1', 'its findings are stored before it is published');
  const srv = await startServer([], { dir, db });
  try {
    assert.ok(!existsSync(`${db}.single-file.bak`), 'nothing was converted');
    const got = await getJson(`${srv.url}/api/runs/${doc.run}`);
    assert.equal(got.status, 200);
    assert.equal(got.body.format, doc.format);
    const patch = await fetch(`${srv.url}/api/runs/${doc.run}`, {
      method: 'PATCH', headers: { 'Content-Type': 'application/json', 'X-Edit-Token': doc.edit_token },
      body: JSON.stringify({ notes: 'edited' }),
    });
    assert.equal(patch.status, 200, 'the edit token printed by ingest is the catalog\'s');
    // while the server runs, ingest and demo are refused (they would clean its directory)
    for (const args of [['ingest', '--db', db, '--data-dir', data, join(shared, 'samples', 'perfmon', 'powershell_CounterSamples.csv')], ['demo', '--db', db, '--data-dir', data]]) {
      const busy = run(args);
      assert.equal(busy.status, 1, args[0]);
      assert.match(busy.stderr, /another etlscope server is using the data directory.*upload through it/, args[0]);
    }
    assert.equal((await getJson(`${srv.url}/api/runs`)).body.runs.length, 1);
  } finally { await srv.stop(); }
});

test('an ingest killed mid-way leaves no run file; a deleted run loses its file', async () => {
  const dir = tempDir();
  let srv = await startServer([], { dir });
  const runsDir = join(dir, 'data', 'runs');
  const first = await uploadAndWait(srv.url, csv, 'first.csv');
  await killMidIngest(srv);
  srv = await startServer([], { dir });
  try {
    const file = runFile(dir, srv.db, first.body.run.id);
    assert.deepEqual(readdirSync(runsDir), [file.split('/').pop()], 'only the committed run has a file');
    assert.equal(sql(srv.db, 'SELECT count(*) FROM run_files'), '1');
    const del = await fetch(`${srv.url}/api/runs/${first.body.run.id}`, {
      method: 'DELETE', headers: { 'X-Edit-Token': first.body.run.edit_token },
    });
    assert.equal(del.status, 200);
    assert.deepEqual(readdirSync(runsDir), []);
  } finally { await srv.stop(); }
});

test('with --ingest-workers 2 simultaneous uploads each get their own run file', async () => {
  const srv = await startServer(['--ingest-workers', '2']);
  try {
    // queued back to back (an address may send two bodies at once): the workers take them
    const jobs = [];
    for (const cpus of [2, 3, 4, 5]) {
      const res = await fetch(`${srv.url}/api/uploads?file=w${cpus}.csv`, { method: 'POST', body: perCpuCsv({ cpus, seconds: 30 }) });
      assert.equal(res.status, 202);
      jobs.push((await res.json()).job);
    }
    const ups = [];
    for (const job of jobs) {
      await waitFor(async () => ['done', 'failed'].includes((await getJson(`${srv.url}/api/jobs/${job}`)).body.state), { what: 'the job' });
      ups.push(await getJson(`${srv.url}/api/jobs/${job}`));
    }
    const paths = new Set();
    for (const [i, up] of ups.entries()) {
      assert.equal(up.body.state, 'done', JSON.stringify(up.body));
      const f = runFile(srv.dir, srv.db, up.body.run.id);
      paths.add(f);
      // each file holds its run alone, with as many per-CPU counters as its CSV has CPUs
      assert.equal(sql(f, 'SELECT count(*) FROM runs'), '1');
      const cpus = (await getJson(`${srv.url}/api/runs/${up.body.run.id}`)).body.cpu_counters;
      assert.ok(cpus.every((c) => c.cpus === i + 2), JSON.stringify(cpus));
    }
    assert.equal(paths.size, 4);
  } finally { await srv.stop(); }
});

test('GET /api/runs/{id}/file downloads the run file: an SQLite database of that run alone, without its edit token', async () => {
  const srv = await startServer();
  try {
    const up = await uploadAndWait(srv.url, csv, 'export.csv', 'exported');
    const { id } = up.body.run;
    const other = await uploadAndWait(srv.url, Buffer.from(perCpuCsv({ cpus: 2, seconds: 10 })), 'other.csv');
    const res = await fetch(`${srv.url}/api/runs/${id}/file`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/vnd.sqlite3');
    assert.equal(res.headers.get('content-disposition'), `attachment; filename="etlscope-run-${id}.db"`);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    const bytes = Buffer.from(await res.arrayBuffer());
    assert.equal(Number(res.headers.get('content-length')), bytes.length);
    // the SQLite header (sqlite.org/fileformat.html): magic, user_version at 60, application_id at 68
    assert.equal(bytes.subarray(0, 16).toString('latin1'), 'SQLite format 3\0');
    assert.ok(bytes.readUInt32BE(60) >= 11, 'user_version: the schema version');
    assert.equal(bytes.subarray(68, 72).toString('latin1'), 'ETLR');
    const f = join(srv.dir, 'export.db');
    writeFileSync(f, bytes);
    assert.equal(sql(f, 'PRAGMA integrity_check'), 'ok');
    assert.equal(sql(f, "SELECT public_id || '|' || edit_token || '|' || name FROM runs"), `${id}||exported`);
    const counters = (await getJson(`${srv.url}/api/runs/${id}/counters`)).body.counters;
    assert.equal(Number(sql(f, 'SELECT count(*) FROM counters')), counters.length);
    assert.equal(sql(f, `SELECT count(*) FROM runs WHERE public_id='${other.body.run.id}'`), '0');
    assert.equal((await fetch(`${srv.url}/api/runs/${'0'.repeat(32)}/file`)).status, 404);
    assert.equal((await fetch(`${srv.url}/api/runs/${id}/file`, { method: 'POST' })).status, 405);
  } finally { await srv.stop(); }
});

// What a viewer reads about an ETL run, without what names this copy (id, creation time).
async function etlAnswers(url, id) {
  const get = async (p) => (await getJson(`${url}/api/runs/${id}${p}`)).body;
  const run = await get('');
  delete run.id; delete run.created;
  const findings = await get('/findings');
  delete findings.computed;
  const out = { run, findings };
  for (const p of ['/drivers', '/modules', '/dpcisr/histogram?kind=dpc', '/dpcisr/modules?kind=dpc', '/dpcisr/timeline?kind=dpc'])
    out[p] = await get(p);
  return out;
}

async function postFile(url, bytes, query = '') {
  const res = await fetch(`${url}/api/runs/import${query}`, { method: 'POST', body: bytes, headers: { 'Content-Type': 'application/vnd.sqlite3' } });
  return { status: res.status, body: await res.json() };
}

test('a run file exported from one server and imported into a fresh one gives the same answers; crafted files are refused', async () => {
  const a = await startServer();
  const b = await startServer();
  try {
    const story = JSON.parse(readFileSync(join(repo, 'demo', 'scenarios', 'field-before.json'), 'utf8'));
    story.duration_s = 1; // the field story, shorter: every table of an ETL run, quickly
    const g = generate(a.dir, 'field', story, false);
    const up = await uploadAndWait(a.url, readFileSync(g.path), 'field.etl', 'field story');
    assert.equal(up.body.state, 'done', JSON.stringify(up.body));
    const id = up.body.run.id;
    const bytes = Buffer.from(await (await fetch(`${a.url}/api/runs/${id}/file`)).arrayBuffer());

    const imp = await postFile(b.url, bytes);
    assert.equal(imp.status, 201, JSON.stringify(imp.body));
    assert.match(imp.body.run.id, /^[0-9a-f]{32}$/);
    assert.notEqual(imp.body.run.id, id, 'an import is a new run');
    assert.deepEqual(await etlAnswers(b.url, imp.body.run.id), await etlAnswers(a.url, id));
    const named = await postFile(b.url, bytes, `?name=${encodeURIComponent("x'); DROP TABLE runs; --")}`);
    assert.equal(named.status, 201, 'SQL-looking text is only text');
    assert.equal((await getJson(`${b.url}/api/runs/${named.body.run.id}`)).body.name, "x'); DROP TABLE runs; --");
    const tok = await fetch(`${b.url}/api/runs/${imp.body.run.id}`, { method: 'PATCH', headers: { 'X-Edit-Token': imp.body.run.edit_token }, body: JSON.stringify({ notes: 'imported' }) });
    assert.equal(tok.status, 200, 'the import gives its own edit token');

    const runsBefore = (await getJson(`${b.url}/api/runs`)).body.runs.length;
    const filesBefore = readdirSync(join(b.dir, 'data', 'runs')).length;
    // each crafted file: [what, sqlite3 statements on a copy (or bytes), expected message]
    const crafted = [
      ['truncated', bytes.subarray(0, bytes.length >> 1), /damaged or truncated|not an SQLite/],
      ['not SQLite at all', Buffer.from('MZ\u0090\u0000 this is no database'.repeat(40)), /not an SQLite|damaged/],
      ['a foreign application id', 'PRAGMA application_id=1', /application id/],
      ['another schema version', 'PRAGMA user_version=99', /schema version 99/],
      ['an extra column', 'ALTER TABLE counters ADD COLUMN extra TEXT', /schema differs/],
      ['a missing table', 'DROP TABLE etw_symbols', /schema differs/],
      ['a trigger', 'CREATE TRIGGER t AFTER INSERT ON counters BEGIN DELETE FROM runs; END', /schema differs/],
      ['a view', 'CREATE VIEW v AS SELECT * FROM runs', /schema differs/],
      ['two runs', "INSERT INTO runs(id, public_id, edit_token, name, file_name, file_size, created_us) VALUES (99999, 'p', '', 'n', 'f', 0, 0)", /exactly one run/],
      ['rows of another run', 'UPDATE etw_modules SET run_id = run_id + 1', /another run/],
      ['a value of the wrong type', "UPDATE etw_modules SET size = 'huge'", /wrong type/],
      ['a control character in the name', "UPDATE runs SET name = 'a' || char(7) || 'b'", /name/],
      ['a summary that is no object', "UPDATE runs SET summary = '[1,2'", /summary/],
      // a blob of per-slice facts whose entry lacks its value (db/db_factblob.h)
      ['a damaged fact blob', "INSERT INTO etw_fact_blobs SELECT id, 1, 0, 0, 0, x'010100000003' FROM runs", /per-slice facts is damaged/],
    ];
    for (const [what, change, message] of crafted) {
      let body = change;
      if (typeof change === 'string') {
        const f = join(b.dir, 'crafted.db');
        writeFileSync(f, bytes);
        execFileSync('sqlite3', [f, change]);
        body = readFileSync(f);
      }
      const r = await postFile(b.url, body);
      assert.equal(r.status, 400, `${what}: ${JSON.stringify(r.body)}`);
      assert.match(r.body.error, message, what);
    }
    assert.equal((await getJson(`${b.url}/api/runs`)).body.runs.length, runsBefore, 'nothing kept');
    assert.equal(readdirSync(join(b.dir, 'data', 'runs')).length, filesBefore, 'no file kept');
    // a file whose header says WAL mode (bytes 18 and 19 = 2): SQLite makes -wal and -shm
    // files beside it even when it opens it read-only; they must go with the spooled file
    const wal = join(b.dir, 'wal.db');
    writeFileSync(wal, bytes);
    execFileSync('sqlite3', [wal, 'PRAGMA journal_mode=WAL']);
    const walBytes = readFileSync(wal);
    assert.deepEqual([walBytes[18], walBytes[19]], [2, 2], 'the copy is in WAL mode');
    assert.equal((await postFile(b.url, walBytes)).status, 201, 'a WAL-mode run file is a run file');
    assert.deepEqual(readdirSync(join(b.dir, 'data')).filter((f) => f.startsWith('upload-')), [], 'spool cleaned');
  } finally { await a.stop(); await b.stop(); }
});

test('a run file of an older schema gets a new version with the current schema at start', async () => {
  const dir = tempDir();
  let srv = await startServer([], { dir });
  const up = await uploadAndWait(srv.url, csv, 'old.csv');
  const { id } = up.body.run;
  const before = await snapshot(srv.url, id);
  await srv.stop({ keep: true });
  const f = runFile(dir, join(dir, 'etlscope.db'), id);
  const current = Number(sql(f, 'PRAGMA user_version'));
  // as if written before migration 11 (symbols): the tables of 11 and later (12 thread names
  // and leaf totals, 15 packed slice facts) absent, user_version 10 (db/db_schema.c)
  const later = ['etw_symbols', 'etw_module_symbols', 'etw_thread_names', 'stk_leaf_totals', 'etw_fact_blobs'];
  assert.ok(current >= 13);
  sql(f, `${later.map((t) => `DROP TABLE ${t};`).join(' ')} PRAGMA user_version=10`);
  srv = await startServer([], { dir });
  try {
    const g = runFile(dir, srv.db, id);
    assert.match(g, /\.v2\.db$/, 'a new version');
    assert.equal(existsSync(f), false, 'the old version is gone');
    assert.equal(Number(sql(g, 'PRAGMA user_version')), current);
    assert.equal(sql(g, `SELECT count(*) FROM sqlite_master WHERE name IN (${later.map((t) => `'${t}'`).join(', ')})`), String(later.length));
    assert.deepEqual(await snapshot(srv.url, id), before);
  } finally { await srv.stop(); }
});

// Each run handle of a thread's cache (8 handles, db_reader.c) keeps the ETag query prepared
// on it (server/cache.c); a handle closed with a statement still prepared stays open. Under
// ASan (build-asan) LeakSanitizer makes a leaking server's stop fail: 12 runs read over and
// over make the caches close handles, and seen leaking ~12 MB without db_close's finalize.
test('run handles closed by a reader cache leave nothing open (their kept ETag statements too)', async () => {
  const srv = await startServer();
  try {
    const ids = [];
    for (let i = 0; i < 12; i++) {
      const up = await uploadAndWait(srv.url, csv, `r${i}.csv`, `r${i}`);
      assert.equal(up.body.state, 'done', JSON.stringify(up.body));
      ids.push(up.body.run.id);
    }
    for (let k = 0; k < 3; k++)
      for (const id of ids)
        assert.equal((await getJson(`${srv.url}/api/runs/${id}/counters?k=${k}`)).status, 200);
  } finally { await srv.stop(); }
});
