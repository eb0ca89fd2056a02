// keepalive.test.mjs — HTTP keep-alive (issue 17): several requests answered over one
// connection (JSON, a static asset, a revalidation, HEAD), and an idle kept connection closed
// by the server after its keep-alive time, so kept connections cannot hold workers forever.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { readFileSync } from 'node:fs';
import { startServer, uploadDone, perfviewSample } from '../support/server.mjs';

// One raw connection that sends requests in turn and splits the answers by Content-Length.
// `closed` resolves with who ended the connection: 'server' (FIN or reset) or 'client'.
function keptConnection(port) {
  const s = connect({ port, host: '127.0.0.1' });
  let buf = Buffer.alloc(0), waiter = null, byClient = false;
  const closed = new Promise((resolve) => s.on('close', () => resolve(byClient ? 'client' : 'server')));
  s.on('error', () => {});
  const tryAnswer = () => {
    if (!waiter) return;
    const end = buf.indexOf('\r\n\r\n');
    if (end < 0) return;
    const head = buf.subarray(0, end).toString('latin1');
    const status = Number(head.match(/^HTTP\/1\.1 (\d{3})/)[1]);
    const m = head.match(/\r\ncontent-length: *(\d+)/i);
    const len = waiter.head || status === 304 ? 0 : Number(m ? m[1] : -1);
    if (len < 0) throw new Error(`an answer without Content-Length cannot be kept alive: ${head}`);
    if (buf.length < end + 4 + len) return;
    const body = buf.subarray(end + 4, end + 4 + len).toString('utf8');
    buf = buf.subarray(end + 4 + len);
    const w = waiter; waiter = null;
    w.resolve({ status, head, body });
  };
  s.on('data', (d) => { buf = Buffer.concat([buf, d]); tryAnswer(); });
  return {
    closed,
    request(method, path, headers = {}) {
      return new Promise((resolve, reject) => {
        waiter = { resolve, head: method === 'HEAD' };
        closed.then(() => reject(new Error(`connection closed before the answer to ${path}`)));
        const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
        s.write(`${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${extra}\r\n`);
      });
    },
    close() { byClient = true; s.destroy(); },
  };
}

test('one connection carries JSON, static, revalidated and HEAD requests in turn', async () => {
  const srv = await startServer();
  try {
    const run = await uploadDone(srv.url, readFileSync(perfviewSample), 'perfview.etl', 'kept');
    const c = keptConnection(srv.port);
    const runs = await c.request('GET', '/api/runs');
    assert.equal(runs.status, 200);
    assert.deepEqual(JSON.parse(runs.body).runs.map((r) => r.id), [run.id]);
    assert.match(runs.head, /\r\nConnection: keep-alive/i);
    const page = await c.request('GET', `/runs/${run.id}`);
    assert.equal(page.status, 200);
    const asset = page.body.match(/src="(\/static\/[^"]+\.js)"/)[1];
    const js = await c.request('GET', asset);
    assert.equal(js.status, 200);
    assert.ok(js.body.length > 100);
    const findings = await c.request('GET', `/api/runs/${run.id}/findings`);
    assert.equal(findings.status, 200);
    const etag = findings.head.match(/\r\nETag: *([^\r]+)/i)[1];
    const again = await c.request('GET', `/api/runs/${run.id}/findings`, { 'If-None-Match': etag });
    assert.equal(again.status, 304);
    const head = await c.request('HEAD', `/api/runs/${run.id}`);
    assert.equal(head.status, 200);
    const last = await c.request('GET', `/api/runs/${run.id}/drivers`);
    assert.equal(last.status, 200);
    assert.ok(JSON.parse(last.body));
    c.close();
    assert.equal(await c.closed, 'client');
  } finally {
    await srv.stop();
  }
});

test('an idle kept connection is closed by the server after its keep-alive time', async () => {
  const srv = await startServer(['--timeout', '1']); // keep-alive: min(3 s, --timeout)
  try {
    const c = keptConnection(srv.port);
    const a = await c.request('GET', '/api/health');
    assert.equal(a.status, 200);
    assert.match(a.head, /\r\nConnection: keep-alive/i);
    // Nothing more is sent: the server must end the connection on its own (the test's
    // own timeout would end a connection held for ever).
    assert.equal(await c.closed, 'server');
    // and it still answers new connections
    const b = keptConnection(srv.port);
    assert.equal((await b.request('GET', '/api/health')).status, 200);
    b.close();
  } finally {
    await srv.stop();
  }
});

test('a kept connection whose next request head stalls is closed too', async () => {
  const srv = await startServer(['--timeout', '1']);
  try {
    // A complete request, then the start of a second head that never ends.
    const s = connect({ port: srv.port, host: '127.0.0.1' });
    let data = '';
    s.on('data', (d) => { data += d; });
    s.on('error', () => {});
    const ended = new Promise((resolve) => { s.on('end', () => resolve('server')); s.on('close', () => resolve('closed')); });
    s.write(`GET /api/health HTTP/1.1\r\nHost: 127.0.0.1:${srv.port}\r\n\r\nGET /api/health HTTP/1.1\r\nHost: 12`);
    assert.equal(await ended, 'server');
    assert.equal(data.match(/HTTP\/1\.1 200/g).length, 1);
    s.destroy();
  } finally {
    await srv.stop();
  }
});
