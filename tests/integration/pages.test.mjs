// pages.test.mjs — the page URL space over HTTP: unknown page URLs answer an HTML "page not
// found" page with status 404 (a person reads it in a browser), while unknown /api/ URLs
// keep answering JSON 404 (a program reads them).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../support/server.mjs';

let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv.stop(); });

const cases = [
  // [path, kind of 404 answer]
  ['/no/such/page', 'html'],
  ['/runs/abc/def', 'html'],
  ['/static/no-such-file.js', 'html'],
  ['/index.htm', 'html'],
  ['/api', 'html'],
  ['/api/nothing', 'json'],
  ['/api/runs/abc/nothing', 'json'],
  ['/api/runs/..%2F..%2Fetc%2Fpasswd', 'json'],
];

for (const [path, kind] of cases) {
  test(`GET ${path} answers a ${kind} 404`, async () => {
    const res = await fetch(srv.url + path);
    const body = await res.text();
    assert.equal(res.status, 404);
    assert.ok(res.headers.get('content-security-policy'), 'security headers on the 404');
    if (kind === 'html') {
      assert.match(res.headers.get('content-type'), /^text\/html/);
      assert.match(body, /<title>[^<]*page not found<\/title>/);
      assert.match(body, /href="\/"/, 'links back to the start page');
    } else {
      assert.match(res.headers.get('content-type'), /^application\/json/);
      assert.equal(typeof JSON.parse(body).error, 'string');
    }
  });
}
