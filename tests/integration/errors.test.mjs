// errors.test.mjs — the API's 500 path over HTTP: when the database cannot answer (a table
// gone under the running server), reads answer 500 with a JSON {"error"} naming the
// problem and the usual security headers, other reads keep working, and the server stays up.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startServer, getJson, uploadAndWait, runFile } from '../support/server.mjs';
import { perCpuCsv } from '../support/perfmon.mjs';

let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv.stop(); });

test('a storage failure under a read answers 500 with a JSON error, and the server lives on', async () => {
  const up = await uploadAndWait(srv.url, Buffer.from(perCpuCsv({ cpus: 2, seconds: 5 })), 'c.csv');
  assert.equal(up.body.state, 'done');
  const id = up.body.run.id;
  const q = `/api/runs/${id}/cpu?counter=${encodeURIComponent('% Processor Time')}`;
  assert.equal((await getJson(srv.url + q)).status, 200);
  // the run's rows are in its own file (docs/team.md); the server may still be reading it
  // after the upload's answer (on a loaded machine: "database is locked"), so the drop waits
  execFileSync('sqlite3', ['-cmd', '.timeout 30000', runFile(srv.dir, srv.db, id), 'DROP TABLE series_values']);
  // an answer not asked for before: the one above is kept in memory (server/answers.h)
  const r = await getJson(`${srv.url}${q}&points=37`);
  assert.equal(r.status, 500);
  assert.match(r.body.error, /series_values/);
  assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
  assert.ok(r.headers.get('content-security-policy'));
  // what does not need the lost table still answers, and so does the server
  assert.equal((await getJson(`${srv.url}/api/runs/${id}`)).status, 200);
  assert.equal((await getJson(`${srv.url}/api/health`)).status, 200);
});
