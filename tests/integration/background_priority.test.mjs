// background_priority.test.mjs — the server's background threads run behind its request
// workers (server/background.h, issue 17: queries stay fast while uploads ingest): each
// ingest worker is named "ingest" and is a SCHED_BATCH thread at nice 0 (a fair CPU share,
// no wakeup preemption), and so is the store thread an ETL ingest starts (it inherits its
// creator's name, policy and nice value); the kept-stacks warmer is "warm", batch, at nice
// 19; every other thread (the request workers among them) keeps the process's SCHED_OTHER
// at nice 0. Read from the kernel, /proc/PID/task/TID/{comm,stat}, not from the server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { readFileSync, readdirSync } from 'node:fs';
import { startServer, getJson, waitFor, perfviewSample } from '../support/server.mjs';

// Every thread of process pid: { tid, name, nice, policy }. stat's field 19 is the nice
// value, field 41 the scheduling policy (proc(5); sched.h: SCHED_OTHER 0, SCHED_BATCH 3);
// the name field may hold spaces, so fields are counted after its ')'.
const OTHER = 0, BATCH = 3;
function threads(pid) {
  const out = [];
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      const f = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ').pop().split(' ');
      out.push({ tid, name, nice: Number(f[16]), policy: Number(f[38]) }); // f[0] is field 3 (state)
    } catch { /* the thread ended meanwhile */ }
  }
  return out;
}

const names = (ts) => ts.map((t) => `${t.name}:${t.nice}:${t.policy}`).sort().join(' ');

test('the ingest workers and the warmer are batch threads; the request workers are not', async () => {
  const srv = await startServer(['--ingest-workers', '2']);
  try {
    // the threads start with the server; give them the moment to name themselves
    const ts = await waitFor(() => {
      const t = threads(srv.child.pid);
      return t.filter((x) => x.name === 'ingest').length === 2 && t.some((x) => x.name === 'warm') && t;
    }, { timeout: 20000, what: 'two ingest threads and the warm thread' });
    for (const t of ts) {
      const bg = t.name === 'ingest' || t.name === 'warm';
      assert.equal(t.nice, t.name === 'warm' ? 19 : 0, `thread ${t.tid} "${t.name}" (all: ${names(ts)})`);
      assert.equal(t.policy, bg ? BATCH : OTHER, `thread ${t.tid} "${t.name}" (all: ${names(ts)})`);
    }
    assert.ok(ts.filter((t) => t.policy === OTHER).length >= 3, `request workers not batch: ${names(ts)}`);
  } finally {
    await srv.stop();
  }
});

test('the store thread an ETL ingest starts has the ingest worker\'s policy and nice value', async () => {
  // A streamed upload stopped mid-body keeps its ingest (and its store thread) alive until
  // the rest arrives: the grace and timeout cover a slow sanitizer build.
  const srv = await startServer(['--stream-ingest', '--upload-grace', '600', '--timeout', '600']);
  try {
    const bytes = readFileSync(perfviewSample);
    const s = connect({ port: srv.port, host: '127.0.0.1' });
    let data = '';
    s.on('data', (d) => { data += d; });
    s.on('error', () => {});
    const answer = new Promise((resolve) => s.on('close', () => resolve(data)));
    s.write(`POST /api/uploads?file=prio.etl HTTP/1.1\r\nHost: 127.0.0.1:${srv.port}\r\n` +
            `Content-Type: application/octet-stream\r\nContent-Length: ${bytes.length}\r\n` +
            'Connection: close\r\n\r\n');
    s.write(bytes.subarray(0, bytes.length >> 1));
    // one worker: the worker itself and the store thread it started
    const ts = await waitFor(() => {
      const t = threads(srv.child.pid);
      return t.filter((x) => x.name === 'ingest').length === 2 && t;
    }, { timeout: 60000, what: 'the ingest worker and its store thread' });
    for (const t of ts.filter((x) => x.name === 'ingest')) {
      assert.equal(t.policy, BATCH, `thread ${t.tid} (all: ${names(ts)})`);
      assert.equal(t.nice, 0, `thread ${t.tid} (all: ${names(ts)})`);
    }
    s.write(bytes.subarray(bytes.length >> 1));
    const a = await answer;
    assert.match(a, /^HTTP\/1\.1 202 /, a.slice(0, 200));
    const job = JSON.parse(a.slice(a.indexOf('\r\n\r\n') + 4)).job;
    const st = await waitFor(async () => {
      const b = (await getJson(`${srv.url}/api/jobs/${job}`)).body;
      return (b.state === 'done' || b.state === 'failed') && b;
    }, { timeout: 300000, what: 'the job to end' });
    assert.equal(st.state, 'done', JSON.stringify(st));
  } finally {
    await srv.stop();
  }
});
