// run_page.test.mjs — the run page's HTML carries the run's stored verdict (server/run_page.c):
// the findings panel shown and the verdict sentence in #verdict, escaped, so it is on screen
// before any script runs; with no stored findings, or no such run, the page as embedded
// (the scripts draw the verdict then, as before).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { startServer, getJson, uploadAndWait, runFile } from '../support/server.mjs';
import { perCpuCsv } from '../support/perfmon.mjs';

let srv, id;
before(async () => {
  srv = await startServer();
  const up = await uploadAndWait(srv.url, Buffer.from(perCpuCsv({ cpus: 2, seconds: 5 })), 'c.csv');
  assert.equal(up.body.state, 'done');
  id = up.body.run.id;
});
after(async () => { await srv.stop(); });

// The page's #verdict paragraph and whether the findings panel is hidden, read by a regexp
// over the HTML (a second reader, not the server's code).
async function page(runId) {
  const res = await fetch(`${srv.url}/runs/${runId}`);
  const html = await res.text();
  const panel = html.match(/<section class="card" id="findings-panel"( hidden)?>/);
  const verdict = html.match(/<p id="verdict" class="([^"]*)" role="status">(.*?)<\/p>/s);
  return { status: res.status, csp: res.headers.get('content-security-policy'), html, hidden: !!panel[1], cls: verdict[1], inner: verdict[2] };
}
const unescape = (s) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
// the server may still be reading the run file (e.g. warming it after publishing): wait for its lock
const sql = (stmt) => execFileSync('sqlite3', ['-cmd', '.timeout 30000', runFile(srv.dir, srv.db, id), stmt]);
const storeDoc = (doc) => sql(
  `UPDATE run_findings SET doc = '${JSON.stringify(doc).replace(/'/g, "''")}'`);

test('the run page carries the stored verdict, the findings panel shown', async () => {
  const p = await page(id); // first: the findings were stored when the run was published
  const f = await getJson(`${srv.url}/api/runs/${id}/findings`);
  assert.equal(f.status, 200);
  assert.equal(p.status, 200);
  assert.ok(p.csp);
  assert.equal(p.hidden, false);
  assert.equal(p.cls, `verdict sev-${f.body.verdict.severity}`);
  assert.equal(unescape(p.inner.replace(/^<strong>|<\/strong>$/g, '')), f.body.verdict.sentence);
});

test('a verdict with markup in it is escaped; a severity that is not a word is not used', async () => {
  const evil = `<img src=x onerror=alert(1)> & "quoted" 'single' </p><script>alert(2)</script>`;
  storeDoc({ engine: 'x', kb_version: 'x', verdict: { severity: 'warning', sentence: evil }, findings: [] });
  let p = await page(id);
  assert.equal(p.inner, '<strong>&lt;img src=x onerror=alert(1)&gt; &amp; &quot;quoted&quot; &#39;single&#39; &lt;/p&gt;&lt;script&gt;alert(2)&lt;/script&gt;</strong>');
  assert.doesNotMatch(p.html, /<img src=x|<script>alert/);
  storeDoc({ engine: 'x', kb_version: 'x', verdict: { severity: 'ok" onclick="x', sentence: 'fine' }, findings: [] });
  p = await page(id);
  assert.equal(p.hidden, true, 'as embedded');
  assert.equal(p.inner, '…');
});

test('no stored findings, or no such run: the page as embedded', async () => {
  sql('DELETE FROM run_findings');
  let p = await page(id);
  assert.equal(p.status, 200);
  assert.equal(p.hidden, true);
  assert.equal(p.inner, '…');
  p = await page('0123456789abcdef0123456789abcdef');
  assert.equal(p.status, 200);
  assert.equal(p.hidden, true);
  assert.equal(p.inner, '…');
});

// app.css is inline in the run page (web/embed.c) so its first paint waits for no style
// sheet; the CSP allows exactly that <style>'s bytes: its SHA-256, computed here over the
// HTML as served, is a style-src source, and nothing else is loosened ('unsafe-inline' is
// never there). Other pages keep the plain policy.
test('the run page\'s inline style sheet is allowed by its hash in the CSP, nothing more', async () => {
  for (const runId of [id, '0'.repeat(32)]) { // with and without a verdict in the HTML
    const p = await page(runId);
    const styles = [...p.html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1]);
    assert.equal(styles.length, 1, 'one inline style sheet');
    assert.match(styles[0], /\.verdict \{/, 'app.css, with the verdict\'s look');
    const hash = createHash('sha256').update(styles[0], 'utf8').digest('base64');
    const styleSrc = p.csp.split(';').map((d) => d.trim()).find((d) => d.startsWith('style-src '));
    assert.equal(styleSrc, `style-src 'self' 'sha256-${hash}'`);
    assert.doesNotMatch(p.csp, /unsafe-inline/);
    assert.match(p.csp, /script-src 'self';/);
  }
  for (const path of ['/', '/compare', '/record', '/static/run_first.js']) {
    const res = await fetch(srv.url + path);
    assert.match(res.headers.get('content-security-policy'), /style-src 'self';/, path);
  }
});

// Cross-Origin-Opener-Policy: same-origin puts a run page opened from another site (a shared
// link) in a browsing context group of its own, which Chromium gives a renderer process of
// its own: a cold visit's document commits 105–470 ms later than without it (bench/README.md,
// pagesfirst). That cost is the isolation; the page must not be made faster by dropping it.
test('the run page keeps its opener isolation, with or without a stored verdict', async () => {
  for (const path of [`/runs/${id}`, '/runs/0123456789abcdef0123456789abcdef']) {
    const res = await fetch(srv.url + path);
    await res.arrayBuffer();
    assert.equal(res.status, 200, path);
    assert.equal(res.headers.get('cross-origin-opener-policy'), 'same-origin', path);
  }
});
