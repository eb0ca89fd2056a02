// server.test.mjs — integration tests: the real etlscope server on an ephemeral loopback
// port, driven over HTTP: upload, job polling, JSON reads, limits, bad input, headers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { startServer, getJson, uploadAndWait, shared } from '../support/server.mjs';

const perfmon = join(shared, 'samples', 'perfmon');
const csv = readFileSync(join(perfmon, 'powershell_CounterSamples.csv'));
const tsv = readFileSync(join(perfmon, 'powershell_CounterSamples.tsv'));
let srv;

before(async () => { srv = await startServer(['--max-upload', '1M']); });
after(async () => { await srv.stop(); });

function counterIdx(counters, path) {
  const c = counters.find((x) => x.path.toLowerCase().endsWith(path));
  assert.ok(c, `counter ${path} present`);
  return c.idx;
}

async function seriesOf(runId, idx) {
  const r = await getJson(`${srv.url}/api/runs/${runId}/series?c=${idx}&points=1000`);
  assert.equal(r.status, 200);
  return r.body;
}

test('health answers with version and limits, and security headers', async () => {
  const r = await getJson(`${srv.url}/api/health`);
  assert.equal(r.status, 200);
  assert.equal(r.body.ok, true);
  assert.equal(r.body.max_upload, 1 << 20);
  for (const h of ['content-security-policy', 'x-content-type-options', 'referrer-policy', 'x-frame-options']) {
    assert.ok(r.headers.get(h), `${h} header`);
  }
  assert.match(r.headers.get('content-security-policy'), /frame-ancestors 'none'/);
});

test('every response carries the security headers: pages, assets, errors', async () => {
  for (const path of ['/', '/static/run.js', '/no/such/page', '/api/nothing', '/runs/abc']) {
    const res = await fetch(srv.url + path);
    await res.arrayBuffer();
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff', path);
    assert.ok(res.headers.get('content-security-policy'), path);
  }
  assert.equal((await fetch(`${srv.url}/no/such/page`)).status, 404);
  assert.equal((await fetch(`${srv.url}/static/../../etc/passwd`)).status, 404);
});

test('a PDH CSV uploaded over HTTP is ingested and read back with the MANIFEST values', async () => {
  const up = await uploadAndWait(srv.url, csv, 'CounterSamples.csv', 'powershell sample');
  assert.equal(up.body.state, 'done', JSON.stringify(up.body));
  assert.equal(up.body.run.format, 'pdh-csv');
  assert.match(up.body.run.id, /^[0-9a-f]{32}$/);
  assert.match(up.body.run.edit_token, /^[0-9a-f]{32}$/);
  const id = up.body.run.id;

  const run = await getJson(`${srv.url}/api/runs/${id}`);
  assert.equal(run.status, 200);
  assert.equal(run.body.name, 'powershell sample');
  assert.equal(run.body.summary.samples, 25);
  assert.equal(run.body.summary.counters, 10);
  assert.equal(run.body.summary.time_zone, 'Pacific Standard Time');
  assert.equal(run.body.summary.bias_minutes, 480);
  // 11/26/2016 13:46:30.874 PST = 21:46:30.874 UTC
  assert.equal(run.body.start, Date.UTC(2016, 10, 26, 21, 46, 30, 874));

  const counters = (await getJson(`${srv.url}/api/runs/${id}/counters`)).body.counters;
  assert.equal(counters.length, 10);
  const committed = await seriesOf(id, counterIdx(counters, '\\memory\\% committed bytes in use'));
  assert.equal(committed.raw_samples, 25);
  assert.equal(committed.series[0].mean[0], 86.93735103284412);
  const cpu = await seriesOf(id, counterIdx(counters, '\\processor(_total)\\% processor time'));
  assert.equal(cpu.series[0].mean[0], null, 'blank first sample stays missing, not 0');
  assert.equal(cpu.series[0].mean[1], 20.913042441624498);
});

test('the TSV form of the same log gives identical series', async () => {
  const a = await uploadAndWait(srv.url, csv, 'a.csv');
  const b = await uploadAndWait(srv.url, tsv, 'a.tsv');
  assert.equal(b.body.run.format, 'pdh-tsv');
  const ca = (await getJson(`${srv.url}/api/runs/${a.body.run.id}/counters`)).body.counters;
  const cb = (await getJson(`${srv.url}/api/runs/${b.body.run.id}/counters`)).body.counters;
  assert.deepEqual(cb.map((c) => c.path), ca.map((c) => c.path));
  const q = ca.map((c) => `c=${c.idx}`).join('&');
  const sa = await getJson(`${srv.url}/api/runs/${a.body.run.id}/series?${q}`);
  const sb = await getJson(`${srv.url}/api/runs/${b.body.run.id}/series?${q}`);
  assert.deepEqual(sb.body.t, sa.body.t);
  assert.deepEqual(sb.body.series.map((s) => s.mean), sa.body.series.map((s) => s.mean));
});

test('time window and downsampling', async () => {
  const up = await uploadAndWait(srv.url, csv, 'w.csv');
  const id = up.body.run.id;
  const counters = (await getJson(`${srv.url}/api/runs/${id}/counters`)).body.counters;
  const idx = counterIdx(counters, '\\memory\\% committed bytes in use');
  const all = await seriesOf(id, idx);
  const from = all.t[5], to = all.t[9];
  const win = await getJson(`${srv.url}/api/runs/${id}/series?c=${idx}&from=${from}&to=${to}`);
  assert.equal(win.body.raw_samples, 5);
  assert.deepEqual(win.body.t, all.t.slice(5, 10));
  assert.deepEqual(win.body.series[0].mean, all.series[0].mean.slice(5, 10));
  const few = await getJson(`${srv.url}/api/runs/${id}/series?c=${idx}&points=5`);
  assert.equal(few.body.points, 5);
  assert.equal(few.body.raw_samples, 25);
  const vals = all.series[0].mean.filter((v) => v !== null);
  const maxAll = Math.max(...vals);
  assert.equal(Math.max(...few.body.series[0].max), maxAll, 'bucket max keeps the peak');
  for (const bad of ['points=0', 'points=abc', 'from=x', 'from=10&to=5', 'c=99999']) {
    const r = await getJson(`${srv.url}/api/runs/${id}/series?c=${idx}&${bad}`);
    assert.ok(r.status === 400 || r.status === 404, `${bad} → ${r.status}`);
    assert.equal(typeof r.body.error, 'string');
  }
});

test('bad input gets a clear error and leaves earlier runs untouched', async () => {
  const before = (await getJson(`${srv.url}/api/runs`)).body.runs;
  const first = before[before.length - 1];
  const snapshot = await getJson(`${srv.url}/api/runs/${first.id}`);

  const empty = await fetch(`${srv.url}/api/uploads?file=empty.csv`, { method: 'POST', body: '' });
  assert.equal(empty.status, 400);
  assert.match((await empty.json()).error, /empty/);

  const garbage = Buffer.alloc(70000);
  for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 7919 + 13) & 0xff;
  const g = await uploadAndWait(srv.url, garbage, 'garbage.etl');
  assert.equal(g.body.state, 'failed');
  assert.match(g.body.error, /unrecognised|not a|format/i);

  const headerOnly = csv.subarray(0, csv.indexOf(10) + 1);
  const h = await uploadAndWait(srv.url, headerOnly, 'header-only.csv');
  assert.ok(h.body.state === 'failed' || h.body.state === 'done');

  const after = (await getJson(`${srv.url}/api/runs`)).body.runs;
  assert.equal(after.length, before.length + (h.body.state === 'done' ? 1 : 0));
  assert.deepEqual((await getJson(`${srv.url}/api/runs/${first.id}`)).body, snapshot.body);
});

test('a truncated CSV keeps the complete rows and says so', async () => {
  const cut = csv.subarray(0, Math.floor(csv.length * 0.6));
  const up = await uploadAndWait(srv.url, cut, 'cut.csv');
  assert.equal(up.body.state, 'done', JSON.stringify(up.body));
  const run = await getJson(`${srv.url}/api/runs/${up.body.run.id}`);
  assert.ok(run.body.summary.samples > 0 && run.body.summary.samples < 25);
  assert.ok(run.body.warnings.length > 0, 'a warning about the cut line');
});

function rawRequest(path, headers, body) {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: srv.port, method: 'POST', path, headers }, (res) => {
      let data = '';
      res.on('data', (d) => { data += d; });
      res.on('end', () => resolve({ status: res.statusCode, body: data }));
    });
    req.on('error', (e) => (e.code === 'EPIPE' || e.code === 'ECONNRESET' ? resolve({ status: 0, body: String(e) }) : reject(e)));
    if (body) req.write(body);
    req.end();
  });
}

test('a 2 GB body over the limit is refused with 413 before it is read', async () => {
  const r = await new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1', port: srv.port, method: 'POST', path: '/api/uploads?file=huge.etl',
      headers: { 'Content-Length': String(2 * 1024 * 1024 * 1024), 'Content-Type': 'application/octet-stream' },
    }, (res) => {
      let data = '';
      res.on('data', (d) => { data += d; });
      res.on('end', () => { req.destroy(); resolve({ status: res.statusCode, body: data }); });
    });
    req.on('error', reject);
    req.write(Buffer.alloc(1024));
  });
  assert.equal(r.status, 413);
  assert.match(JSON.parse(r.body).error, /at most/);
});

test('an upload with Expect: 100-continue (as curl sends) gets the interim answer, then a complete response', async () => {
  const r = await new Promise((resolve, reject) => {
    let continued = false;
    const req = request({
      host: '127.0.0.1', port: srv.port, method: 'POST', path: '/api/uploads?file=expect.csv',
      headers: { 'Content-Length': String(csv.length), 'Content-Type': 'application/octet-stream', Expect: '100-continue' },
    }, (res) => {
      let data = '';
      res.on('data', (d) => { data += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: data, continued }));
    });
    req.on('continue', () => { continued = true; req.end(csv); });
    req.on('error', reject);
  });
  assert.equal(r.continued, true);
  assert.equal(r.status, 202);
  assert.equal(r.headers['x-content-type-options'], 'nosniff');
  assert.match(r.headers['content-security-policy'], /frame-ancestors 'none'/);
  const job = JSON.parse(r.body).job;
  let st;
  for (let i = 0; i < 200; i++) {
    st = (await getJson(`${srv.url}/api/jobs/${job}`)).body;
    if (st.state === 'done' || st.state === 'failed') break;
    await new Promise((res) => setTimeout(res, 50));
  }
  assert.equal(st.state, 'done');
  assert.equal(st.file_name, 'expect.csv');
  assert.equal(st.run.format, 'pdh-csv');
});

test('a chunked body that grows past the limit is cut off with 413', async () => {
  const big = Buffer.alloc(3 * 1024 * 1024, 0x41);
  const r = await rawRequest('/api/uploads?file=big.csv', { 'Transfer-Encoding': 'chunked' }, big);
  assert.ok(r.status === 413 || r.status === 0, `status ${r.status}`);
  const runs = (await getJson(`${srv.url}/api/runs`)).body.runs;
  assert.ok(!runs.some((x) => x.file_name === 'big.csv'));
});

test('cross-origin requests: no CORS grant, cross-site uploads refused', async () => {
  const pre = await fetch(`${srv.url}/api/runs`, { method: 'OPTIONS', headers: { Origin: 'http://evil.example', 'Access-Control-Request-Method': 'POST' } });
  assert.equal(pre.headers.get('access-control-allow-origin'), null);
  const up = await fetch(`${srv.url}/api/uploads?file=x.csv`, { method: 'POST', body: csv, headers: { Origin: 'http://evil.example' } });
  assert.equal(up.status, 403);
  const get = await fetch(`${srv.url}/api/runs`, { headers: { Origin: 'http://evil.example' } });
  assert.equal(get.headers.get('access-control-allow-origin'), null);
});

test('unknown, malformed or guessed run ids answer 404', async () => {
  for (const id of ['0'.repeat(32), 'abc', '../../etc/passwd', 'ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ', '1']) {
    const r = await getJson(`${srv.url}/api/runs/${encodeURIComponent(id)}`);
    assert.equal(r.status, 404, id);
    assert.equal(typeof r.body.error, 'string');
  }
  assert.equal((await getJson(`${srv.url}/api/jobs/nope`)).status, 404);
  assert.equal((await fetch(`${srv.url}/api/runs`, { method: 'DELETE' })).status, 405);
});

test('HTML in counter paths and names is stored verbatim (escaping is the page\'s job)', async () => {
  const evil = '"(PDH-CSV 4.0) (UTC)(0)","\\\\HOST\\<script>x</script>(<img src=x onerror=alert(1)>)\\% <b>x</b>"\n"01/01/2020 00:00:00.000","1"\n"01/01/2020 00:00:01.000","2"\n';
  const up = await uploadAndWait(srv.url, Buffer.from(evil), '<img src=x onerror=alert(1)>.csv', '<i>run</i>');
  assert.equal(up.body.state, 'done', JSON.stringify(up.body));
  const run = await getJson(`${srv.url}/api/runs/${up.body.run.id}`);
  assert.equal(run.body.name, '<i>run</i>');
  assert.equal(run.body.file_name, '<img src=x onerror=alert(1)>.csv');
  const counters = (await getJson(`${srv.url}/api/runs/${up.body.run.id}/counters`)).body.counters;
  assert.equal(counters[0].object, '<script>x</script>');
  assert.equal(counters[0].instance, '<img src=x onerror=alert(1)>');
  assert.equal(counters[0].counter, '% <b>x</b>');
});
