// hardening_data.test.mjs — hostile data over HTTP (issue 19, part B): XPRESS compression
// bombs are refused or stored partial with the server's peak memory bounded; bit-flipped
// timestamps in a real trace give a partial run with a sane duration and DPC/ISR queries
// with extreme windows still answer; one validator for names, file names and notes;
// truncated text and .blg logs are partial, like truncated traces.
// Every damaged file is built here in a temp dir from ../shared samples or from the spec
// (etl-format.md §2–3, [MS-XCA] §2.4), never written into the repo.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { startServer, getJson, uploadAndWait, shared, run, tempDir } from '../support/server.mjs';

const sample = (...p) => readFileSync(join(shared, 'samples', ...p));
const BUF_HDR = 0x48;
const PEAK_BOUND_KB = 300 * 1024; // VmHWM bound for the whole server process
let srv;

before(async () => { srv = await startServer(); });
after(async () => { await srv.stop(); });

function peakKb(pid) {
  const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmHWM:\s+(\d+) kB/);
  return Number(m[1]);
}

// An XPRESS plain-LZ77 stream of one literal and one match of distance 1 whose length
// comes from the u32 extension ([MS-XCA] 2.4.4): it expands to exactly `out` bytes.
function bombStream(out) {
  const s = Buffer.alloc(15);
  s.writeUInt32LE(0x40000000, 0); // flags: literal, then match
  s[4] = 0x41; // the literal
  s.writeUInt16LE((0 << 3) | 7, 5); // distance 1, length 7 → extended
  s[7] = 0x0f; // half byte 15 → next byte
  s[8] = 0xff; // 255 → next u16
  s.writeUInt16LE(0, 9); // 0 → next u32
  s.writeUInt32LE(out - 4, 11); // total length: 1 literal + (L + 3) match bytes
  return s;
}

// The header buffer of the real compressed sample (State holds format 3 = XPRESS) with the
// logfile header's BufferSize set to claim, then `perCpu` 87-byte buffers on each of `cpus`
// CPUs, each claiming to expand to the full nominal size.
function bombTrace(claim, cpus, perCpu) {
  const real = sample('etl', 'perfview-net452-x64-compressed.etl');
  const size0 = real.readUInt32LE(0);
  const head = Buffer.from(real.subarray(0, size0));
  // first event: a 32-byte SYSTEM header, then TRACE_LOGFILE_HEADER, BufferSize first
  const bsOff = BUF_HDR + 32;
  assert.equal(head.readUInt32LE(bsOff), 65536, 'the sample header layout is as the spec says');
  assert.equal(head.readUInt32LE(0x2c) & 0xffff, 3, 'buffer 0 State says XPRESS');
  head.writeUInt32LE(claim, bsOff);
  const t0 = head.readBigUInt64LE(0x10);
  const parts = [head];
  let seq = 1n;
  for (let i = 0; i < perCpu; i++) {
    for (let cpu = 0; cpu < cpus; cpu++) {
      const stream = bombStream(claim - BUF_HDR);
      const b = Buffer.alloc(BUF_HDR + stream.length);
      b.writeUInt32LE(b.length, 0x00); // BufferSize on disk: 87
      b.writeBigUInt64LE(t0 + 1000n, 0x10);
      b.writeBigInt64LE(seq++, 0x18);
      b.writeUInt16LE(cpu, 0x28);
      b.writeUInt32LE(3, 0x2c);
      b.writeUInt32LE(claim, 0x30); // Offset = uncompressed used bytes incl. header
      b.writeUInt16LE(0x40 | 0x20, 0x34); // COMPRESSED | PROC_INDEX
      stream.copy(b, BUF_HDR);
      parts.push(b);
    }
  }
  return Buffer.concat(parts);
}

test('a compression bomb claiming 64 MiB buffers is refused, with bounded memory', async () => {
  const bomb = bombTrace(64 << 20, 16, 2);
  assert.equal(bomb.length < 4096, true);
  const r = await uploadAndWait(srv.url, bomb, 'bomb.etl');
  assert.equal(r.body.state, 'failed', JSON.stringify(r.body));
  assert.match(r.body.error, /buffers up to \d+ bytes \(16 MiB/);
  assert.ok(peakKb(srv.child.pid) < PEAK_BOUND_KB, `VmHWM ${peakKb(srv.child.pid)} kB`);
});

test('a compression bomb within the buffer cap is stored partial with a warning, memory bounded', async () => {
  const bomb = bombTrace(16 << 20, 16, 2);
  const r = await uploadAndWait(srv.url, bomb, 'bomb16.etl');
  assert.equal(r.body.state, 'done', JSON.stringify(r.body));
  assert.equal(r.body.run.partial, true);
  const run = (await getJson(`${srv.url}/api/runs/${r.body.run.id}`)).body;
  assert.equal(run.status, 'partial');
  assert.ok(run.warnings.some((w) => w.code === 'buffer_limit'), JSON.stringify(run.warnings));
  assert.equal(run.summary.limit_buffers, 32);
  assert.ok(peakKb(srv.child.pid) < PEAK_BOUND_KB, `VmHWM ${peakKb(srv.child.pid)} kB`);
});

// Flip a high bit in the timestamp of the first event of buffers 1..16 of a real,
// uncompressed trace (64 KiB buffers). The timestamp sits at +16 in SYSTEM, COMPACT,
// classic and EVENT_HEADER headers, at +8 in PERFINFO headers (etl-format.md §4).
function flipTimes(buf, nbuf) {
  const out = Buffer.from(buf);
  let flipped = 0;
  for (let i = 1; flipped < nbuf; i++) {
    const b = i * 65536, ev = b + BUF_HDR;
    assert.ok(b + 65536 <= out.length, 'enough buffers');
    if (out.readUInt32LE(ev) === 0xffffffff) continue;
    const ht = out[ev + 2];
    const tsOff = ev + (ht === 0x10 || ht === 0x11 ? 8 : 16);
    out[tsOff + 7] ^= 0x80; // bit 63: 29,000 years of 10 MHz ticks, saturating ns
    flipped++;
  }
  return out;
}

test('bit-flipped timestamps: partial with a warning, a sane duration, extreme windows answer', async () => {
  const real = sample('etl', 'airbus-ShutdownPerfDiagLogger.etl');
  const good = await uploadAndWait(srv.url, real, 'good.etl');
  const bad = await uploadAndWait(srv.url, flipTimes(real, 16), 'flipped.etl');
  assert.equal(good.body.state, 'done');
  assert.equal(bad.body.state, 'done', JSON.stringify(bad.body));
  const g = (await getJson(`${srv.url}/api/runs/${good.body.run.id}`)).body;
  const b = (await getJson(`${srv.url}/api/runs/${bad.body.run.id}`)).body;
  assert.equal(g.status, 'ready');
  assert.equal(b.status, 'partial');
  assert.ok(b.warnings.some((w) => w.code === 'damaged_time'), JSON.stringify(b.warnings));
  assert.equal(b.summary.damaged_events, 16);
  // the header says the session ran from StartTime to EndTime: the run stays within it
  const span = (b.summary.header_end_utc_us - b.summary.start_utc_us) / 1e6;
  assert.ok(b.duration_s > 0 && b.duration_s <= span + 300, `${b.duration_s} s vs header ${span} s`);
  assert.equal(b.duration_s, g.duration_s); // the flipped events were not the last ones
  for (const q of ['', '?from=-9000000000000000&to=9000000000000000', '?from=0&to=9000000000000000',
    '?from=-9000000000000000&to=-8999999999999999', '?from=8999999999999998&to=8999999999999999']) {
    for (const ep of ['dpcisr/histogram', 'dpcisr/modules', 'dpcisr/timeline', 'dpcisr/events', 'drivers']) {
      const r = await fetch(`${srv.url}/api/runs/${bad.body.run.id}/${ep}${q}`);
      const body = await r.json();
      assert.equal(r.status, 200, `${ep}${q}: ${JSON.stringify(body)}`);
    }
  }
});

async function upload(name, file = 'names.csv') {
  const q = new URLSearchParams({ file });
  const qs = name === undefined ? q.toString() : `${q}&name=${name}`;
  const res = await fetch(`${srv.url}/api/uploads?${qs}`, {
    method: 'POST', body: sample('perfmon', 'powershell_CounterSamples.csv'),
    headers: { 'Content-Type': 'application/octet-stream' },
  });
  return { status: res.status, body: await res.json() };
}

const enc = encodeURIComponent;

test('upload names: invalid UTF-8, control characters, NUL and over-long names are refused', async () => {
  const cases = [
    ['%FF%FE', /not valid UTF-8/],
    ['%C3%28', /not valid UTF-8/],
    ['%ED%A0%80', /not valid UTF-8/], // a UTF-16 surrogate
    ['%C0%AF', /not valid UTF-8/], // overlong '/'
    ['a%01b', /control character/],
    ['a%00b', /control character/],
    ['line%0Abreak', /control character/],
    [enc('é'.repeat(200)), /at most 200/], // 400 bytes
    [enc('x'.repeat(201)), /at most 200/],
  ];
  for (const [name, why] of cases) {
    const r = await upload(name);
    assert.equal(r.status, 400, name);
    assert.match(r.body.error, why, name);
  }
  const ok = await uploadAndWait(srv.url, sample('perfmon', 'powershell_CounterSamples.csv'), 'f.csv', 'é'.repeat(100));
  assert.equal(ok.body.state, 'done');
  const run = (await getJson(`${srv.url}/api/runs/${ok.body.run.id}`)).body;
  assert.equal(run.name, 'é'.repeat(100)); // exactly 200 bytes: accepted whole
  // every name the list shows is valid UTF-8
  const list = await fetch(`${srv.url}/api/runs`);
  new TextDecoder('utf-8', { fatal: true }).decode(await list.arrayBuffer());
});

test('file names: last path part, cut to 200 bytes on a character boundary; invalid UTF-8 refused', async () => {
  const long = 'ü'.repeat(150) + '.csv'; // 304 bytes
  const r = await uploadAndWait(srv.url, sample('perfmon', 'powershell_CounterSamples.csv'), `C:\\logs\\${long}`);
  assert.equal(r.body.state, 'done');
  const run = (await getJson(`${srv.url}/api/runs/${r.body.run.id}`)).body;
  assert.equal(run.file_name, 'ü'.repeat(100));
  assert.equal(run.name, 'ü'.repeat(100));
  const bad = await fetch(`${srv.url}/api/uploads?file=a%FF.csv`, { method: 'POST', body: 'x' });
  assert.equal(bad.status, 400);
  assert.match((await bad.json()).error, /'file' is not valid UTF-8/);
});

test('PATCH applies the same rules: NUL, control characters, length; notes keep newlines', async () => {
  const up = await uploadAndWait(srv.url, sample('perfmon', 'powershell_CounterSamples.csv'), 'p.csv', 'start');
  const { id, edit_token: token } = up.body.run;
  const patch = (body) => fetch(`${srv.url}/api/runs/${id}`, {
    method: 'PATCH', headers: { 'Content-Type': 'application/json', 'X-Edit-Token': token },
    body,
  }).then(async (r) => ({ status: r.status, body: await r.json() }));
  const refused = [
    ['{"name":"ab\\u0000cd"}', /NUL/],
    ['{"notes":"ok\\u0000"}', /NUL/],
    ['{"name":"tab\\there"}', /control character/],
    ['{"name":"bell\\u0007"}', /control character/],
    ['{"name":"c1\\u0085"}', /control character/],
    ['{"notes":"esc\\u001b[31m"}', /control character/],
    [JSON.stringify({ name: 'x'.repeat(201) }), /at most 200/],
    [JSON.stringify({ name: 'é'.repeat(101) }), /at most 200/],
    [Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]), /not valid UTF-8/],
  ];
  for (const [body, why] of refused) {
    const r = await patch(body);
    assert.equal(r.status, 400, String(body));
    assert.match(r.body.error, why, String(body));
  }
  assert.equal((await getJson(`${srv.url}/api/runs/${id}`)).body.name, 'start');
  // an escaped backslash before u0000 is text, not a NUL
  const lit = await patch('{"name":"a\\\\u0000b"}');
  assert.equal(lit.status, 200);
  assert.equal(lit.body.name, 'a\\u0000b');
  const notes = 'first line\nsecond\tcolumn\r\n';
  const ok = await patch(JSON.stringify({ name: 'é'.repeat(100), notes }));
  assert.equal(ok.status, 200);
  assert.equal(ok.body.name, 'é'.repeat(100));
  assert.equal(ok.body.notes, notes);
});

test('etlscope ingest applies the same text rules to --name and file names', async () => {
  const dir = tempDir();
  const db = join(dir, 'cli.db');
  const csv = join(dir, `${'é'.repeat(120)}.csv`); // 244 bytes: a legal Linux file name
  writeFileSync(csv, sample('perfmon', 'powershell_CounterSamples.csv'));
  const bad = run(['ingest', '--db', db, '--data-dir', join(dir, 'data'), '--name', 'a\u0001b', csv]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /'--name' contains a control character/);
  const ok = run(['ingest', '--db', db, '--data-dir', join(dir, 'data'), '--json', csv]);
  assert.equal(ok.status, 0, ok.stderr);
  const names = execFileSync('sqlite3', [db, 'SELECT name || "|" || file_name FROM runs'], { encoding: 'utf8' }).trim();
  assert.equal(names, `${'é'.repeat(100)}|${'é'.repeat(100)}`);
  rmSync(dir, { recursive: true, force: true });
});

// A WPA DPC/ISR export (the columns WPA's DPC/ISR table exports), two rows.
const wpa = Buffer.from([
  'Type,DPC Type,Module,Function,CPU,Count (DPCs/ISRs),DPC/ISR Enter Time (s),Inclusive Duration (ms)',
  'DPC,Regular,ndis.sys,f,0,1,1.000000000,0.012000',
  'Interrupt,,storport.sys,g,1,1,2.000000000,0.003000',
].join('\r\n') + '\r\n');

test('truncated logs and reports (.csv, .tsv, .blg, xperf, WPA) are partial with a warning, like traces', async () => {
  const files = [
    ['perfmon', 'powershell_CounterSamples.csv', (b) => b.subarray(0, b.length - 40)],
    ['perfmon', 'powershell_CounterSamples.tsv', (b) => b.subarray(0, b.length - 40)],
    ['perfmon', 'pal_SampleLog.blg', (b) => b.subarray(0, b.length - 1000)],
    ['xperf', 'djdallmann_KeyboardDPCandInterruptLatency-PS2vsUSB.txt', (b) => b.subarray(0, 1500)],
    [null, 'wpa.csv', (b) => b.subarray(0, b.length - 30)],
  ];
  for (const [dir, name, cut] of files) {
    const bytes = dir ? sample(dir, name) : wpa;
    const whole = await uploadAndWait(srv.url, bytes, name);
    assert.equal(whole.body.state, 'done', name);
    assert.equal(whole.body.run.partial, false, name);
    const r = await uploadAndWait(srv.url, cut(bytes), `cut-${name}`);
    assert.equal(r.body.state, 'done', name);
    assert.equal(r.body.run.partial, true, name);
    const run = (await getJson(`${srv.url}/api/runs/${r.body.run.id}`)).body;
    assert.equal(run.status, 'partial', name);
    assert.equal(run.summary.partial, true, name);
    assert.ok(run.warnings.some((w) => w.code === 'truncated'), `${name}: ${JSON.stringify(run.warnings)}`);
  }
});
