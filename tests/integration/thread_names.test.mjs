// thread_names.test.mjs — thread names from Thread SetName events (group 5, opcode 72:
// ProcessId, ThreadId, UTF-16 ThreadName) and from the optional ThreadName of Thread
// DCStart v3 (layouts in ingest/etl/README.md). The trace writer names the sampled thread of
// each CPU as the scenario says; /threads must show exactly those names, and threads
// without a name show none.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer, uploadDone, getJson } from '../support/server.mjs';
import { generate } from '../support/etlgen.mjs';

let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv.stop(); });

test('Thread SetName names the threads in /threads; unnamed threads have null', async () => {
  // three CPUs, names for the first two (tid 1000 and 1001); one with markup
  const names = ['wspsrv worker', '<b>io</b> & co'];
  const sc = { cpus: 3, duration_s: 0.5, seed: 3, sample_rate_hz: 1000, process_pid: 4321, thread_names: names,
    modules: [{ name: 'ntoskrnl.exe', base: '0xfffff80070600000', size: 8388608, samples: { weight: 1 } }] };
  const g = generate(srv.dir, 'tnames', sc, false);
  const id = (await uploadDone(srv.url, readFileSync(g.path), 'tnames.etl')).id;
  const r = await getJson(`${srv.url}/api/runs/${id}/threads`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const got = r.body.threads.map((t) => [t.tid, t.pid, t.name, t.samples]).sort((a, b) => a[0] - b[0]);
  assert.deepEqual(got, g.expected.cpus.map((c) => [1000 + c.cpu, 4321, names[c.cpu] ?? null, c.samples]));
  // the events are counted by name in the run's summary
  const run = (await getJson(`${srv.url}/api/runs/${id}`)).body;
  assert.equal(run.summary.counts.ThreadSetName, names.length);
});

test('a name in a thread\'s DCStart (v3 ThreadName after ThreadFlags) names it too', async () => {
  const names = ['rundown-named'];
  const sc = { cpus: 2, duration_s: 0.3, seed: 4, sample_rate_hz: 1000, process_pid: 4321, thread_names: names,
    thread_names_rundown: true, modules: [{ name: 'ntoskrnl.exe', base: '0xfffff80070600000', size: 8388608, samples: { weight: 1 } }] };
  const g = generate(srv.dir, 'tnames-rundown', sc, false);
  const id = (await uploadDone(srv.url, readFileSync(g.path), 'tnames-rundown.etl')).id;
  const th = (await getJson(`${srv.url}/api/runs/${id}/threads`)).body.threads;
  assert.deepEqual(th.map((t) => [t.tid, t.name]).sort((a, b) => a[0] - b[0]), [[1000, 'rundown-named'], [1001, null]]);
  const run = (await getJson(`${srv.url}/api/runs/${id}`)).body;
  assert.equal(run.summary.counts.ThreadSetName, undefined); // no SetName event was written
});
