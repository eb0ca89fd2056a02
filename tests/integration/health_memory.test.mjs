// health_memory.test.mjs — /api/health's "memory" object (docs/api.md): what holds the
// server's memory. Its bounds are the ones the server was started with (--stack-cache 8M =
// 8 × 2^20 bytes; kept answers 32 MiB, answers.h); the kernel's RSS is within its peak; the
// kept answers' bytes grow by exactly the bodies of the new answers this test receives (the
// answer kept is the answer sent).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, uploadDone, getJson, shared } from '../support/server.mjs';

let srv;
before(async () => { srv = await startServer(['--stack-cache', '8M']); });
after(async () => { await srv.stop(); });

const health = async () => (await getJson(`${srv.url}/api/health`)).body;

test('the memory object names its parts, with the bounds the server was started with', async () => {
  const h = await health();
  const m = h.memory;
  assert.deepEqual(Object.keys(m).sort(), ['answers', 'malloc', 'rss', 'rss_peak', 'sqlite', 'stack_nodes']);
  assert.ok(m.rss > 1 << 20, `rss ${m.rss}`); // a running server holds more than a MiB
  assert.ok(m.rss <= m.rss_peak);
  assert.deepEqual(Object.keys(m.malloc).sort(), ['free_kept', 'in_use', 'mapped']);
  assert.ok(m.malloc.in_use >= m.malloc.mapped);
  assert.ok(m.sqlite > 0); // the catalog's connection at least
  assert.equal(m.answers.max_bytes, 32 * 1024 * 1024);
  assert.equal(m.stack_nodes.max_bytes, 8 * 1024 * 1024);
  assert.equal(m.stack_nodes.bytes, h.stack_nodes.bytes);
});

test('kept answers are counted by the bytes of their bodies', async () => {
  const csv = join(shared, 'samples', 'perfmon', 'powershell_CounterSamples.csv');
  const id = (await uploadDone(srv.url, readFileSync(csv), 'cpu.csv')).id;
  const a0 = (await health()).memory.answers;
  let sent = 0;
  for (const path of [`/api/runs/${id}/counters`, `/api/runs/${id}/series?c=0`]) {
    const r = await fetch(`${srv.url}${path}`);
    assert.equal(r.status, 200);
    sent += (await r.arrayBuffer()).byteLength;
  }
  const m = (await health()).memory;
  assert.equal(m.answers.entries, a0.entries + 2);
  assert.equal(m.answers.bytes, a0.bytes + sent);
  // (malloc's figures are glibc's: under ASan, whose allocator replaces it, they stay
  // near 0, so they are not compared with the caches here)
});
