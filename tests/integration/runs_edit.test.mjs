// runs_edit.test.mjs — run links, edits and deletion over HTTP: a link opens the same data
// in a fresh server process; edits and deletes need the edit token (or the admin token);
// expiry hides and purges runs; a read-only server refuses every change.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { startServer, getJson, uploadAndWait, shared, tempDir, waitFor, runFile } from '../support/server.mjs';

const csv = readFileSync(join(shared, 'samples', 'perfmon', 'powershell_CounterSamples.csv'));
const ADMIN = 'admin-token-for-tests-0123456789';
let dir, srv;

before(async () => {
  dir = tempDir();
  srv = await startServer([], { dir });
});
after(async () => { await srv.stop(); });

function change(method, id, body, token, extra = {}) {
  const headers = { 'Content-Type': 'application/json', ...extra };
  if (token) headers['X-Edit-Token'] = token;
  return fetch(`${srv.url}/api/runs/${id}`, { method, headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) })
    .then(async (r) => ({ status: r.status, body: await r.json() }));
}

function rowCount(db, sql) {
  return Number(execFileSync('sqlite3', [db, sql], { encoding: 'utf8' }).trim());
}

test('a run link opens the same run and view data in a fresh server process', async () => {
  const up = await uploadAndWait(srv.url, csv, 'persist.csv', 'persisted');
  const id = up.body.run.id;
  const q = '/series?c=0&c=5&c=6&from=1480196800000&to=1480196850000&points=7';
  const a = [await getJson(`${srv.url}/api/runs/${id}`), await getJson(`${srv.url}/api/runs/${id}${q}`)];
  await srv.stop({ keep: true });
  srv = await startServer([], { dir });
  const b = [await getJson(`${srv.url}/api/runs/${id}`), await getJson(`${srv.url}/api/runs/${id}${q}`)];
  assert.deepEqual(b.map((x) => x.body), a.map((x) => x.body));
  assert.equal(b[1].body.raw_samples > 0, true);
  const page = await fetch(`${srv.url}/runs/${id}?counter=x&from=1&to=2`);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<canvas id="cpu-lines">/);
  // A guessed or altered id is not found.
  const altered = id.slice(0, 31) + (id[31] === '0' ? '1' : '0');
  assert.equal((await getJson(`${srv.url}/api/runs/${altered}`)).status, 404);
  assert.equal((await getJson(`${srv.url}/api/runs/${id.toUpperCase()}`)).status, 404);
});

test('edits need the edit token; bad bodies are refused; nothing changes on refusal', async () => {
  const up = await uploadAndWait(srv.url, csv, 'edit.csv', 'before');
  const id = up.body.run.id, token = up.body.run.edit_token;
  for (const t of [undefined, '', 'f'.repeat(32), token.slice(1)]) {
    const r = await change('PATCH', id, { name: 'hacked' }, t);
    assert.equal(r.status, 403, String(t));
  }
  const cross = await change('PATCH', id, { name: 'x' }, token, { Origin: 'http://evil.example' });
  assert.equal(cross.status, 403);
  assert.equal((await getJson(`${srv.url}/api/runs/${id}`)).body.name, 'before');
  for (const bad of ['not json', '[1]', { nme: 'x' }, { name: '' }, { name: 'x'.repeat(201) }, { notes: 5 }, { expires: 'tomorrow' }]) {
    const r = await change('PATCH', id, bad, token);
    assert.equal(r.status, 400, JSON.stringify(bad));
    assert.equal(typeof r.body.error, 'string');
  }
  const ok = await change('PATCH', id, { name: 'after <b>x</b>', notes: 'line 1\nline 2' }, token);
  assert.equal(ok.status, 200);
  assert.equal(ok.body.name, 'after <b>x</b>');
  assert.equal(ok.body.notes, 'line 1\nline 2');
  const bearer = await fetch(`${srv.url}/api/runs/${id}`, { method: 'PATCH', headers: { Authorization: `Bearer ${token}` }, body: '{"notes":""}' });
  assert.equal(bearer.status, 200);
});

test('delete without the token is refused and deletes nothing; with it everything goes', async () => {
  const up = await uploadAndWait(srv.url, csv, 'del.csv');
  const id = up.body.run.id, token = up.body.run.edit_token;
  const dbFile = join(dir, 'etlscope.db');
  // the run's rows live in its own file (docs/team.md); the catalog holds none
  const file = runFile(dir, dbFile, id);
  const chunks = rowCount(file, 'SELECT count(*) FROM series_chunks');
  assert.ok(chunks > 0);
  assert.equal(rowCount(dbFile, 'SELECT count(*) FROM series_chunks'), 0);
  assert.equal((await change('DELETE', id, undefined, undefined)).status, 403);
  assert.equal((await change('DELETE', id, undefined, 'wrong-token')).status, 403);
  assert.equal((await getJson(`${srv.url}/api/runs/${id}`)).status, 200);
  assert.equal(rowCount(file, 'SELECT count(*) FROM series_chunks'), chunks);
  const del = await change('DELETE', id, undefined, token);
  assert.equal(del.status, 200);
  assert.equal((await getJson(`${srv.url}/api/runs/${id}`)).status, 404);
  assert.equal((await change('DELETE', id, undefined, token)).status, 404);
  assert.equal(existsSync(file), false, 'the run file is unlinked');
  assert.equal(rowCount(dbFile, "SELECT count(*) FROM run_files WHERE run_id NOT IN (SELECT id FROM runs)"), 0);
});

test('the admin token may edit and delete any run', async () => {
  await srv.stop({ keep: true });
  srv = await startServer(['--admin-token', ADMIN], { dir });
  const up = await uploadAndWait(srv.url, csv, 'admin.csv');
  const id = up.body.run.id;
  assert.equal((await change('PATCH', id, { name: 'by admin' }, ADMIN)).body.name, 'by admin');
  assert.equal((await change('DELETE', id, undefined, ADMIN)).status, 200);
});

test('an expired run disappears from lists and links', async () => {
  const up = await uploadAndWait(srv.url, csv, 'exp.csv');
  const id = up.body.run.id;
  const expires = Date.now() + 1500;
  const r = await change('PATCH', id, { expires }, up.body.run.edit_token);
  assert.equal(r.status, 200);
  assert.equal(r.body.expires, expires);
  const live = await getJson(`${srv.url}/api/runs/${id}`);
  if (Date.now() < expires) assert.equal(live.status, 200, 'still there before it expires');
  // wait for the expiry itself, not a guessed delay
  const gone = await waitFor(async () => {
    const g = await getJson(`${srv.url}/api/runs/${id}`);
    return g.status === 404 && g;
  }, { what: 'the run to expire' });
  assert.ok(Date.now() >= expires, 'not before its time');
  assert.equal(gone.status, 404);
  assert.ok(!(await getJson(`${srv.url}/api/runs`)).body.runs.some((x) => x.id === id));
});

test('a read-only server serves runs but refuses uploads and changes', async () => {
  const up = await uploadAndWait(srv.url, csv, 'ro.csv');
  const id = up.body.run.id;
  await srv.stop({ keep: true });
  srv = await startServer(['--read-only'], { dir });
  assert.equal((await getJson(`${srv.url}/api/health`)).body.read_only, true);
  assert.equal((await getJson(`${srv.url}/api/runs/${id}`)).status, 200);
  const u = await fetch(`${srv.url}/api/uploads?file=x.csv`, { method: 'POST', body: csv });
  assert.equal(u.status, 403);
  assert.equal((await change('PATCH', id, { name: 'x' }, up.body.run.edit_token)).status, 403);
  assert.equal((await change('DELETE', id, undefined, up.body.run.edit_token)).status, 403);
  assert.equal((await getJson(`${srv.url}/api/runs/${id}`)).body.name, 'ro.csv');
});
