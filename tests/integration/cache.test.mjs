// cache.test.mjs — revalidation of run answers over HTTP: every GET of a finished run's
// JSON carries a strong ETag; sending it back (If-None-Match, also weak or in a list) gets
// 304 with no body; another URL's tag does not; an edit (PATCH) or a server restart changes
// the tags, so a revisit after either gets the new answer.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, uploadAndWait, getJson, shared } from '../support/server.mjs';
import { startStoryServer } from '../support/story.mjs';

const csv = readFileSync(join(shared, 'samples', 'perfmon', 'powershell_CounterSamples.csv'));
let dir, srv, perfmon, etl;

before(async () => {
  let runs;
  ({ srv, runs } = await startStoryServer());
  dir = srv.dir;
  perfmon = (await uploadAndWait(srv.url, csv, 'cache.csv', 'perfmon run')).body.run;
  etl = (await getJson(`${srv.url}/api/runs/${runs['field-before'].id}`)).body;
});
after(async () => { await srv.stop(); });

const get = async (path, headers = {}) => {
  const r = await fetch(srv.url + path, { headers });
  return { status: r.status, etag: r.headers.get('etag'), cache: r.headers.get('cache-control'), length: r.headers.get('content-length'), text: await r.text() };
};
const STRONG = /^"[0-9a-f]{32}"$/;

// Each answer of a run the page or a script asks for.
const urls = () => [
  `/api/runs/${perfmon.id}`, `/api/runs/${perfmon.id}/findings`, `/api/runs/${perfmon.id}/counters`,
  `/api/runs/${perfmon.id}/series?c=0&points=7`,
  `/api/runs/${etl.id}`, `/api/runs/${etl.id}/findings`, `/api/runs/${etl.id}/drivers`,
  `/api/runs/${etl.id}/modules`, `/api/runs/${etl.id}/dpcisr/histogram`,
  `/api/runs/${etl.id}/dpcisr/timeline?points=50`, `/api/runs/${etl.id}/dpcisr/events?limit=5`,
];

test('a revisit with the ETag gets 304 and no body; the tag is strong and stable', async () => {
  for (const u of urls()) {
    const first = await get(u);
    assert.equal(first.status, 200, u);
    assert.match(first.etag, STRONG, u);
    assert.equal(first.cache, 'private, no-cache', u);
    const again = await get(u);
    assert.equal(again.etag, first.etag, `${u}: same answer, same tag`);
    assert.equal(again.text, first.text, u);
    for (const inm of [first.etag, `W/${first.etag}`, `"0123", ${first.etag}`]) {
      const r = await get(u, { 'If-None-Match': inm });
      assert.equal(r.status, 304, `${u} with ${inm}`);
      assert.equal(r.text, '', u);
      assert.equal(r.etag, first.etag, u);
    }
  }
});

test('another URL\'s tag, a made-up tag or "*" gets the full answer', async () => {
  const a = await get(`/api/runs/${etl.id}/dpcisr/timeline?points=50`);
  const b = await get(`/api/runs/${etl.id}/dpcisr/timeline?points=60`);
  assert.notEqual(a.etag, b.etag);
  assert.equal((await get(`/api/runs/${etl.id}/dpcisr/timeline?points=60`, { 'If-None-Match': a.etag })).status, 200);
  assert.equal((await get(`/api/runs/${perfmon.id}`, { 'If-None-Match': a.etag })).status, 200);
  assert.equal((await get(`/api/runs/${etl.id}`, { 'If-None-Match': '"00000000000000000000000000000000"' })).status, 200);
  assert.equal((await get(`/api/runs/${etl.id}/nothing-here`, { 'If-None-Match': '*' })).status, 404);
  assert.equal((await get(`/api/runs/${'0'.repeat(32)}`, { 'If-None-Match': a.etag })).status, 404);
});

test('an edit changes every tag of the run: a revisit gets the edited answer', async () => {
  const before = await Promise.all(urls().filter((u) => u.includes(perfmon.id)).map((u) => get(u)));
  const r = await fetch(`${srv.url}/api/runs/${perfmon.id}`, {
    method: 'PATCH', headers: { 'Content-Type': 'application/json', 'X-Edit-Token': perfmon.edit_token },
    body: JSON.stringify({ name: 'renamed for the cache test' }),
  });
  assert.equal(r.status, 200);
  const u = `/api/runs/${perfmon.id}`;
  const after = await get(u, { 'If-None-Match': before[0].etag });
  assert.equal(after.status, 200);
  assert.equal(JSON.parse(after.text).name, 'renamed for the cache test');
  assert.notEqual(after.etag, before[0].etag);
  for (const [i, u2] of urls().filter((x) => x.includes(perfmon.id)).entries())
    assert.equal((await get(u2, { 'If-None-Match': before[i].etag })).status, 200, u2);
  // The other run is untouched.
  const other = await get(`/api/runs/${etl.id}`);
  assert.equal((await get(`/api/runs/${etl.id}`, { 'If-None-Match': other.etag })).status, 304);
});

test('a restarted server (maybe new code) does not honour the old tags', async () => {
  const u = `/api/runs/${etl.id}/drivers`;
  const old = await get(u);
  await srv.stop({ keep: true });
  srv = await startServer([], { dir });
  const now = await get(u, { 'If-None-Match': old.etag });
  assert.equal(now.status, 200);
  assert.equal(now.text, old.text);
  assert.notEqual(now.etag, old.etag);
});

// FNV-1a 64 of the bytes, as hex: the content hash the build puts into asset names.
function fnv1a64(bytes) {
  let h = 0xcbf29ce484222325n;
  for (const b of bytes) h = BigInt.asUintN(64, (h ^ BigInt(b)) * 0x100000001b3n);
  return h.toString(16).padStart(16, '0');
}

test('pages refer to content-hashed assets, cached for good; pages themselves are revalidated', async () => {
  const seen = new Set();
  for (const page of ['/', `/runs/${etl.id}`, '/compare', '/no/such/page']) {
    const r = await fetch(srv.url + page);
    assert.equal(r.headers.get('cache-control'), 'no-cache', page);
    const html = await r.text();
    // content=: the run page names the chart libraries it loads later in <meta> (web/run.html)
    const refs = [...html.matchAll(/(?:src|href|content)="(\/static\/[^"]+)"/g)].map((m) => m[1]);
    assert.ok(refs.length >= 2, page);
    for (const ref of refs) {
      const m = ref.match(/^(\/static\/.+)\.([0-9a-f]{16})(\.[a-z]+)$/);
      assert.ok(m, `${page}: ${ref} has no content hash`);
      if (seen.has(ref)) continue;
      seen.add(ref);
      const hashed = await fetch(srv.url + ref);
      assert.equal(hashed.status, 200, ref);
      assert.equal(hashed.headers.get('cache-control'), 'public, max-age=31536000, immutable', ref);
      const bytes = Buffer.from(await hashed.arrayBuffer());
      assert.equal(fnv1a64(bytes), m[2], `${ref}: the name's hash is of the bytes served`);
      const plain = await fetch(srv.url + m[1] + m[3]);
      assert.equal(plain.headers.get('cache-control'), 'no-cache', 'the plain name stays, revalidated');
      assert.deepEqual(Buffer.from(await plain.arrayBuffer()), bytes);
      const other = m[2].slice(0, 15) + (m[2][15] === '0' ? '1' : '0');
      assert.equal((await fetch(`${srv.url}${m[1]}.${other}${m[3]}`)).status, 404, 'another hash is not this file');
    }
  }
  assert.ok([...seen].some((r) => r.includes('/static/chart.umd.')), 'the run page loads Chart.js by its hashed name');
});
