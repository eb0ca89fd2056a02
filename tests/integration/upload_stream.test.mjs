// upload_stream.test.mjs — uploads are ingested while their body streams in (issue 17,
// ingest/ingest_grow.h). A raw socket client stops mid-body at random offsets: the server
// answers a clear error when it can, and no run appears, ever — also for a chunked body (no
// Content-Length), whose ETL parse starts before its end. A whole streamed upload, announced
// or chunked, gives the same answers as `etlscope ingest` of the same file (a whole file).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, getJson, uploadDone, run, tempDir, shared, perfviewSample } from '../support/server.mjs';

const blgSample = join(shared, 'samples', 'perfmon', 'pal_SampleLog.blg');

// A small deterministic generator, so a failing offset can be replayed from the seed.
function offsets(seed, size, n) {
  let x = seed >>> 0;
  const out = [1, 4097]; // inside the format detection's first bytes, and just past them
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out.push(1 + (x % (size - 1)));
  }
  return out;
}

// A raw socket with an upload's request head written (`length`: its Content-Length or
// Transfer-Encoding line); answer resolves with everything the server sent once it closes.
function postHead(port, file, length) {
  const s = connect({ port, host: '127.0.0.1' });
  let data = '';
  s.on('data', (d) => { data += d; });
  s.on('error', () => {});
  const answer = new Promise((resolve) => s.on('close', () => resolve(data)));
  s.write(`POST /api/uploads?file=${file} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
          `Content-Type: application/octet-stream\r\n${length}\r\nConnection: close\r\n\r\n`);
  return { s, answer };
}

// POST the first `cut` bytes of a body announced as whole (file: its ?file=) over a raw
// socket; answer resolves with the raw answer once the server closes ('' when there is none).
function rawUpload(port, bytes, cut, file) {
  const { s, answer } = postHead(port, file, `Content-Length: ${bytes.length}`);
  return { s, answer, sent: new Promise((resolve) => s.write(bytes.subarray(0, cut), resolve)) };
}

// The first `cut` bytes, then either half-close (`end`: the server sees the end of the body
// early and can still answer) or drop the connection (`destroy`).
function cutUpload(port, bytes, cut, how) {
  const u = rawUpload(port, bytes, cut, 'cut.bin');
  u.sent.then(() => (how === 'end' ? u.s.end() : u.s.destroy()));
  return u.answer;
}

// send() as a client does it: an answer "429 … Retry-After: N" (the server has not yet let go
// of an earlier cut upload's slot: it learns of a dropped connection only when it next reads)
// is honoured, and the same upload sent again, a bounded number of times.
async function politely(send) {
  for (let attempt = 0; ; attempt++) {
    const answer = await send();
    const wait = /^HTTP\/1\.1 429 [^]*?\r\nRetry-After: (\d+)\r\n/.exec(answer);
    if (!wait || attempt === 10) return answer;
    await new Promise((resolve) => setTimeout(resolve, Number(wait[1]) * 1000));
  }
}

const cutUploadPolitely = (port, bytes, cut, how) => politely(() => cutUpload(port, bytes, cut, how));

// The buffers of an ETL file as [start, size]: each buffer's BufferSize is its first 4 bytes
// (little-endian, ETW's WMI_BUFFER_HEADER), decoded here, not by the product.
function etlBuffers(bytes) {
  const out = [];
  for (let off = 0; off + 4 <= bytes.length; ) {
    const size = bytes.readUInt32LE(off);
    assert.ok(size >= 0x48, `buffer at ${off}: size ${size}`);
    out.push([off, size]);
    off += size;
  }
  return out;
}

// POST bytes[0, cut) as a chunked body (Transfer-Encoding: chunked, no Content-Length), 4 KiB
// chunks; how: 'whole' sends the closing chunk (cut must be bytes.length), 'end' half-closes
// and 'destroy' drops the connection without it. Resolves with the raw answer once closed.
function chunkedUpload(port, bytes, cut, how, file) {
  const { s, answer } = postHead(port, file, 'Transfer-Encoding: chunked');
  for (let off = 0; off < cut; off += 4096) {
    const c = bytes.subarray(off, Math.min(cut, off + 4096));
    s.write(`${c.length.toString(16)}\r\n`);
    s.write(c);
    s.write('\r\n');
  }
  if (how === 'whole') s.write('0\r\n\r\n');
  s.write('', () => (how === 'destroy' ? s.destroy() : how === 'end' ? s.end() : null));
  return answer;
}

// The job of a 202 answer, polled to its end (as uploadAndWait does).
async function jobEnd(url, answer) {
  assert.match(answer, /^HTTP\/1\.1 202 /, answer.slice(0, 200));
  const job = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)).job;
  for (;;) {
    const st = (await getJson(`${url}/api/jobs/${job}`)).body;
    if (st.state === 'done' || st.state === 'failed') return st;
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('a chunked upload of the PerfView trace cut inside a buffer leaves no run', async () => {
  const srv = await startServer(['--stream-ingest']);
  try {
    const bytes = readFileSync(perfviewSample);
    const bufs = etlBuffers(bytes);
    assert.ok(bufs.length >= 3, `${bufs.length} buffers`);
    // inside the second buffer's header, in the middle of the second and of the last buffer
    const cuts = [bufs[1][0] + 10, bufs[1][0] + (bufs[1][1] >> 1),
                  bufs.at(-1)[0] + (bufs.at(-1)[1] >> 1)];
    for (const cut of cuts) {
      for (const how of ['end', 'destroy']) {
        const answer = await politely(() => chunkedUpload(srv.port, bytes, cut, how, 'cut.etl'));
        if (how === 'end') {
          assert.match(answer, /^HTTP\/1\.1 400 /, `cut at ${cut}: ${answer.slice(0, 200)}`);
          assert.match(answer, /\{"error":\s*"the upload was interrupted"\}$/);
        }
      }
    }
    const whole = await jobEnd(srv.url,
      await politely(() => chunkedUpload(srv.port, bytes, bytes.length, 'whole', 'whole.etl')));
    assert.equal(whole.state, 'done', JSON.stringify(whole));
    const runs = await getJson(`${srv.url}/api/runs`);
    assert.deepEqual(runs.body.runs.map((r) => r.id), [whole.run.id]);
  } finally {
    await srv.stop();
  }
});

for (const file of [perfviewSample, blgSample]) {
  test(`an upload of ${file.split('/').pop()} cut at random offsets leaves no run`, async () => {
    const srv = await startServer(['--stream-ingest']);
    try {
      const bytes = readFileSync(file);
      for (const [i, cut] of offsets(17, bytes.length, 6).entries()) {
        const how = i % 2 ? 'destroy' : 'end';
        const answer = await cutUploadPolitely(srv.port, bytes, cut, how);
        if (how === 'end') {
          assert.match(answer, /^HTTP\/1\.1 400 /, `cut at ${cut}: ${answer.slice(0, 200)}`);
          assert.match(answer, /\{"error":\s*"the upload (was interrupted|ended before Content-Length bytes arrived)"\}$/);
        }
      }
      // The worker takes jobs in order, so once a whole upload after them is done, every cut
      // upload's ingest has ended too; only the whole one may be a run.
      const whole = await uploadDone(srv.url, bytes, 'whole.bin', 'whole');
      const runs = await getJson(`${srv.url}/api/runs`);
      assert.deepEqual(runs.body.runs.map((r) => r.id), [whole.id]);
      assert.deepEqual(runs.body.runs.map((r) => r.status), ['ready']);
    } finally {
      await srv.stop();
    }
  });
}

// Endpoint answers with the run's own id and creation time taken out.
async function answers(url, id) {
  const paths = ['', '/findings', '/drivers', '/dpcisr/modules', '/dpcisr/histogram', '/modules',
                 '/processes', '/threads', '/stacks/tree', '/diskio', '/fileio', '/syscalls',
                 '/scheduling', '/counters'];
  const out = {};
  for (const p of paths) {
    const r = await getJson(`${url}/api/runs/${id}${p}`);
    const body = JSON.parse(JSON.stringify(r.body).replaceAll(id, 'RUN'));
    for (const k of ['created', 'computed', 'name', 'file_name', 'edit_token']) delete body[k];
    out[p || '/'] = { status: r.status, body };
  }
  return out;
}

test('a whole streamed upload answers exactly as the ingest of the whole file', async () => {
  const dir = tempDir();
  const db = join(dir, 'cli.db');
  const cli = run(['ingest', '--db', db, '--data-dir', join(dir, 'data'), '--json', perfviewSample]);
  assert.equal(cli.status, 0, cli.stderr);
  const streamed = await startServer(['--stream-ingest']);
  const whole = await startServer([], { db, dir });
  try {
    const up = await uploadDone(streamed.url, readFileSync(perfviewSample), 'perfview.etl', 'p');
    const listed = await getJson(`${whole.url}/api/runs`);
    assert.equal(listed.body.runs.length, 1);
    const bytes = readFileSync(perfviewSample);
    const chunked = await jobEnd(streamed.url, await chunkedUpload(streamed.port, bytes, bytes.length, 'whole', 'perfview.etl'));
    assert.equal(chunked.state, 'done', JSON.stringify(chunked));
    const a = await answers(streamed.url, up.id);
    const b = await answers(whole.url, listed.body.runs[0].id);
    assert.ok(a['/findings'].body.findings.length > 0); // there is something to compare
    assert.deepEqual(a, b);
    assert.deepEqual(await answers(streamed.url, chunked.run.id), b); // walked unsized
  } finally {
    await streamed.stop();
    await whole.stop();
  }
});

test('with --ingest-workers 2 a streaming upload stalled mid-body holds one worker: another upload is ingested meanwhile', async () => {
  // The stalled upload sends nothing while the other is uploaded and ingested: the slow-
  // upload watchdog's grace and the read timeout cover that however long a sanitizer build
  // takes (both would otherwise end it after 5–10 s, as they should for a real client).
  const srv = await startServer(['--stream-ingest', '--ingest-workers', '2', '--upload-grace', '600', '--timeout', '600']);
  try {
    const bytes = readFileSync(perfviewSample);
    const slow = rawUpload(srv.port, bytes, bytes.length >> 1, 'slow.etl');
    // with one worker, this waits for the stalled upload's ingest (it never ends until rest)
    const quick = await uploadDone(srv.url, bytes, 'quick.etl', 'quick');
    slow.s.write(bytes.subarray(bytes.length >> 1));
    const answer = await slow.answer;
    assert.match(answer, /^HTTP\/1\.1 202 /, answer.slice(0, 200));
    const job = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)).job;
    let st;
    for (;;) { // polled as uploadAndWait does
      st = (await getJson(`${srv.url}/api/jobs/${job}`)).body;
      if (st.state === 'done' || st.state === 'failed') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(st.state, 'done', JSON.stringify(st));
    // two runs of the same file, each in its own run file: the same answers
    assert.deepEqual(await answers(srv.url, st.run.id), await answers(srv.url, quick.id));
  } finally {
    await srv.stop();
  }
});
