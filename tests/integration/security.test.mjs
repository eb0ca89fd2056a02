// security.test.mjs — the server under hostile or careless clients: request-rate limits,
// the access token, slow uploads that try to pin worker threads, upload slots, oversized
// headers, path tricks, and TLS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { connect } from 'node:net';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { startServer, getJson, uploadAndWait, shared, waitFor } from '../support/server.mjs';

const csv = readFileSync(join(shared, 'samples', 'perfmon', 'powershell_CounterSamples.csv'));
const TOKEN = 'access-token-for-tests-0123456789';

// Raw HTTP over a socket, so a test can send exactly what a bad client sends.
// onData(text so far) is called as answers arrive, so a test can wait for one.
function raw(port, text, { holdMs = 0, trickle = null, onData = null } = {}) {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let data = '';
    s.on('data', (d) => { data += d; if (onData) onData(data); });
    s.on('error', () => resolve(data));
    s.on('close', () => resolve(data));
    s.write(text);
    if (trickle) {
      const t = setInterval(() => { if (!s.destroyed) s.write(trickle); }, 300);
      s.on('close', () => clearInterval(t));
      setTimeout(() => { clearInterval(t); s.end(); }, holdMs);
    } else if (holdMs) setTimeout(() => s.end(), holdMs);
  });
}

test('a client over its request rate gets 429 with Retry-After, then recovers', async () => {
  const srv = await startServer(['--rate-limit', '5']);
  try {
    const res = await Promise.all(Array.from({ length: 60 }, () => fetch(`${srv.url}/api/health`)));
    const limited = res.filter((r) => r.status === 429);
    assert.ok(limited.length > 0 && limited.length < 60, `${limited.length} limited`);
    assert.equal(limited[0].headers.get('retry-after'), '1');
    assert.match((await limited[0].json()).error, /too many requests/);
    assert.ok(limited[0].headers.get('content-security-policy'));
    // recovers: polled below the limit (5/s), health answers 200 again
    await waitFor(async () => (await fetch(`${srv.url}/api/health`)).status === 200,
      { every: 250, timeout: 5000, what: 'the rate limit to recover' });
  } finally { await srv.stop(); }
});

test('with an access token, uploads and changes need it; reading does not', async () => {
  const srv = await startServer(['--auth-token', TOKEN]);
  try {
    assert.equal((await getJson(`${srv.url}/api/health`)).body.auth_required, true);
    const no = await fetch(`${srv.url}/api/uploads?file=a.csv`, { method: 'POST', body: csv });
    assert.equal(no.status, 401);
    const wrong = await fetch(`${srv.url}/api/uploads?file=a.csv`, { method: 'POST', body: csv, headers: { 'X-Auth-Token': 'x'.repeat(32) } });
    assert.equal(wrong.status, 401);
    const ok = await fetch(`${srv.url}/api/uploads?file=a.csv`, { method: 'POST', body: csv, headers: { 'X-Auth-Token': TOKEN } });
    assert.equal(ok.status, 202);
    const { job } = await ok.json();
    let st;
    for (let i = 0; i < 100; i++) { st = (await getJson(`${srv.url}/api/jobs/${job}`)).body; if (st.state === 'done') break; await new Promise((r) => setTimeout(r, 50)); }
    assert.equal(st.state, 'done');
    const id = st.run.id, edit = st.run.edit_token;
    assert.equal((await getJson(`${srv.url}/api/runs/${id}`)).status, 200);
    const p1 = await fetch(`${srv.url}/api/runs/${id}`, { method: 'PATCH', body: '{"name":"x"}', headers: { 'X-Edit-Token': edit } });
    assert.equal(p1.status, 401);
    const p2 = await fetch(`${srv.url}/api/runs/${id}`, { method: 'PATCH', body: '{"name":"x"}', headers: { 'X-Edit-Token': edit, 'X-Auth-Token': TOKEN } });
    assert.equal(p2.status, 200);
  } finally { await srv.stop(); }
});

test('a trickling upload is cut off and never pins the server', async () => {
  const srv = await startServer(['--threads', '4', '--upload-grace', '1', '--min-upload-rate', '64K']);
  try {
    // Expect: 100-continue: the server answers "100 Continue" once the upload holds its slot
    let holding;
    const held = new Promise((r) => { holding = r; });
    const slow = raw(srv.port, 'POST /api/uploads?file=slow.csv HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10000000\r\nExpect: 100-continue\r\n\r\nabc',
      { holdMs: 5000, trickle: 'x', onData: (d) => { if (/100 Continue/.test(d)) holding(); } });
    await held;
    // While it trickles, a second upload is refused (one upload slot with 4 threads)…
    const second = await fetch(`${srv.url}/api/uploads?file=b.csv`, { method: 'POST', body: csv });
    assert.equal(second.status, 429);
    // …and readers are served at once.
    const t0 = Date.now();
    for (let i = 0; i < 10; i++) assert.equal((await fetch(`${srv.url}/api/runs`)).status, 200);
    assert.ok(Date.now() - t0 < 2000);
    const answer = await slow;
    assert.match(answer, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 408/);
    assert.match(answer, /too slow/);
    assert.equal((await getJson(`${srv.url}/api/runs`)).body.runs.length, 0);
    // The slot is free again.
    const up = await uploadAndWait(srv.url, csv, 'after.csv');
    assert.equal(up.body.state, 'done');
  } finally { await srv.stop(); }
});

test('oversized headers, path tricks and odd methods get clean refusals', async () => {
  const srv = await startServer();
  try {
    // The server's own Host name, so each request gets past the Host check (421) and reaches
    // the header limit, the path handling or the method check it is meant to probe.
    const host = `127.0.0.1:${srv.port}`;
    const big = await raw(srv.port, `GET /api/runs HTTP/1.1\r\nHost: ${host}\r\nX-Big: ${'a'.repeat(20000)}\r\n\r\n`);
    assert.match(big, /^HTTP\/1\.[01] 4\d\d/);
    assert.doesNotMatch(big, /^HTTP\/1\.[01] 421/);
    // Expected statuses by hand: a dot-dot or NUL never escapes to a file (404); a dot-dot
    // that stays inside the site is resolved like a browser would (/api/runs: 200, JSON).
    const paths = [
      ['/%2e%2e/%2e%2e/etc/passwd', 404], ['/static/..%2f..%2fetc%2fpasswd', 404], ['/static/%00', 404],
      ['/runs/../api/runs', 200], ['//etc/passwd', 404],
    ];
    for (const [p, status] of paths) {
      const r = await raw(srv.port, `GET ${p} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
      assert.doesNotMatch(r, /root:/, p);
      assert.match(r, new RegExp(`^HTTP/1\\.1 ${status} `), p);
      if (status === 200) assert.match(r, /"runs":\[/, p);
    }
    const trace = await raw(srv.port, `TRACE / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
    assert.match(trace, /^HTTP\/1\.1 (400|405)/);
    assert.equal((await fetch(`${srv.url}/api/health`)).status, 200, 'still serving');
  } finally { await srv.stop(); }
});

test('TLS: with a certificate the server speaks HTTPS and sends HSTS', async () => {
  const srv0 = await startServer([], {});
  const pem = join(srv0.dir, 'server.pem');
  await srv0.stop({ keep: true });
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
    '-keyout', join(srv0.dir, 'key.pem'), '-out', join(srv0.dir, 'cert.pem')], { stdio: 'ignore' });
  writeFileSync(pem, readFileSync(join(srv0.dir, 'cert.pem')) + readFileSync(join(srv0.dir, 'key.pem')));
  const srv = await startServer(['--tls-cert', pem], { dir: srv0.dir }).catch((e) => { throw e; });
  try {
    const res = await new Promise((resolve, reject) => {
      const req = httpsRequest({ host: '127.0.0.1', port: srv.port, path: '/api/health', rejectUnauthorized: false }, (r) => {
        let d = ''; r.on('data', (c) => { d += c; }); r.on('end', () => resolve({ status: r.statusCode, headers: r.headers, body: d }));
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(res.status, 200);
    assert.equal(JSON.parse(res.body).ok, true);
    assert.match(res.headers['strict-transport-security'], /max-age=/);
  } finally { await srv.stop(); }
});
