// crash.test.mjs — crash safety: kill -9 during an ingest and during edits, and a full disk
// during upload and during ingest. After each, the database opens, passes SQLite's integrity
// check, the interrupted run is absent, and every earlier run reads back identically.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { startServer, getJson, uploadAndWait, shared, tempDir, killMidIngest } from '../support/server.mjs';

const csv = readFileSync(join(shared, 'samples', 'perfmon', 'powershell_CounterSamples.csv'));

function sql(db, q) {
  return execFileSync('sqlite3', [db, q], { encoding: 'utf8' }).trim();
}

// Everything a viewer can read about a run, to compare before and after a crash.
async function snapshot(url, id) {
  const run = (await getJson(`${url}/api/runs/${id}`)).body;
  const counters = (await getJson(`${url}/api/runs/${id}/counters`)).body;
  const q = counters.counters.map((c) => `c=${c.idx}`).join('&');
  const series = (await getJson(`${url}/api/runs/${id}/series?${q}`)).body;
  return { run, counters, series };
}

test('kill -9 during an ingest loses only that run', async () => {
  const dir = tempDir();
  let srv = await startServer([], { dir });
  const first = await uploadAndWait(srv.url, csv, 'first.csv');
  const before = await snapshot(srv.url, first.body.run.id);
  await killMidIngest(srv);
  const db = join(dir, 'etlscope.db');
  srv = await startServer([], { dir });
  try {
    assert.equal(sql(db, 'PRAGMA integrity_check'), 'ok');
    const runs = (await getJson(`${srv.url}/api/runs`)).body.runs;
    assert.deepEqual(runs.map((r) => r.id), [first.body.run.id]);
    assert.deepEqual(await snapshot(srv.url, first.body.run.id), before);
    assert.equal(sql(db, 'SELECT count(*) FROM counters WHERE run_id NOT IN (SELECT id FROM runs)'), '0');
    assert.deepEqual(readdirSync(join(dir, 'data')).filter((f) => f.startsWith('upload-')), [], 'spool cleaned');
    const again = await uploadAndWait(srv.url, csv, 'after-crash.csv');
    assert.equal(again.body.state, 'done');
  } finally { await srv.stop(); }
});

test('kill -9 during edits leaves each run either before or after the edit', async () => {
  const dir = tempDir();
  let srv = await startServer([], { dir });
  const up = await uploadAndWait(srv.url, csv, 'edit.csv', 'name-0');
  const id = up.body.run.id, token = up.body.run.edit_token;
  for (let round = 1; round <= 5; round++) {
    const p = fetch(`${srv.url}/api/runs/${id}`, { method: 'PATCH', headers: { 'X-Edit-Token': token }, body: JSON.stringify({ name: `name-${round}`, notes: 'x'.repeat(10000) }) }).catch(() => null);
    await new Promise((r) => setTimeout(r, round));
    await srv.kill();
    await p;
    srv = await startServer([], { dir });
    const run = (await getJson(`${srv.url}/api/runs/${id}`)).body;
    assert.ok(run.name === `name-${round}` || run.name === `name-${round - 1}`, run.name);
    if (run.name !== `name-${round}`) {
      await fetch(`${srv.url}/api/runs/${id}`, { method: 'PATCH', headers: { 'X-Edit-Token': token }, body: JSON.stringify({ name: `name-${round}` }) });
    }
    assert.equal(sql(join(dir, 'etlscope.db'), 'PRAGMA integrity_check'), 'ok');
  }
  await srv.stop();
});

test('a full disk during upload answers 507 and stores nothing', async () => {
  const dir = tempDir();
  const srv = await startServer([], { dir, fileSizeKb: 2048 });
  try {
    const first = await uploadAndWait(srv.url, csv, 'small.csv');
    assert.equal(first.body.state, 'done');
    const before = await snapshot(srv.url, first.body.run.id);
    const big = Buffer.alloc(3 * 1024 * 1024, 0x20);
    const res = await fetch(`${srv.url}/api/uploads?file=big.csv`, { method: 'POST', body: big });
    assert.equal(res.status, 507);
    assert.match((await res.json()).error, /disk is full/);
    assert.deepEqual((await getJson(`${srv.url}/api/runs`)).body.runs.map((r) => r.id), [first.body.run.id]);
    assert.deepEqual(await snapshot(srv.url, first.body.run.id), before);
    assert.deepEqual(readdirSync(join(dir, 'data')).filter((f) => f.startsWith('upload-')), []);
  } finally { await srv.stop(); }
});

test('a full disk during ingest fails the job and leaves the database intact', async () => {
  const dir = tempDir();
  const srv = await startServer([], { dir, fileSizeKb: 3072 });
  try {
    const first = await uploadAndWait(srv.url, csv, 'small.csv');
    const before = await snapshot(srv.url, first.body.run.id);
    // ~2.4 MB of text whose values take ~5 MB in the database.
    const cols = 300, rows = 2000;
    const head = ['"(PDH-CSV 4.0) (UTC)(0)"', ...Array.from({ length: cols }, (_, i) => `"\\\\H\\Processor(${i})\\% Processor Time"`)].join(',');
    const lines = [head];
    for (let r = 0; r < rows; r++) {
      const t = new Date(Date.UTC(2026, 0, 1, 0, 0, r)).toISOString();
      const stamp = `"${t.slice(5, 7)}/${t.slice(8, 10)}/${t.slice(0, 4)} ${t.slice(11, 19)}.000"`;
      lines.push([stamp, ...Array.from({ length: cols }, (_, i) => `"${(r + i) % 9}"`)].join(','));
    }
    const up = await uploadAndWait(srv.url, Buffer.from(lines.join('\n')), 'grows.csv');
    assert.equal(up.body.state, 'failed', JSON.stringify(up.body));
    assert.match(up.body.error, /full|disk|storing/i);
    assert.deepEqual((await getJson(`${srv.url}/api/runs`)).body.runs.map((r) => r.id), [first.body.run.id]);
    assert.deepEqual(await snapshot(srv.url, first.body.run.id), before);
    assert.equal(sql(join(dir, 'etlscope.db'), 'PRAGMA integrity_check'), 'ok');
  } finally { await srv.stop(); }
});
