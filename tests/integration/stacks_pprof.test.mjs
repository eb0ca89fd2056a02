// stacks_pprof.test.mjs — GET /api/runs/{id}/stacks/export?format=pprof: gzip'd
// profile.proto, decoded here by a protobuf reader written for the test from the wire
// format (varints, length-delimited fields) and pprof's profile.proto field numbers — not
// by protobuf-c, which wrote it. The etlgen story of stacks.test.mjs (a TDI filter under
// tcpip.sys, an EDR module, ntoskrnl.exe alone): each distinct module stack with the
// scenario's exact sample counts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { startServer, uploadDone } from '../support/server.mjs';
import { generate } from '../support/etlgen.mjs';

let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv.stop(); });

// Protobuf wire format: [{field, type, value}] of one message (value: BigInt varint or Buffer).
function fields(buf) {
  const out = [];
  let i = 0;
  const varint = () => {
    let v = 0n, shift = 0n;
    for (;;) {
      const b = buf[i++];
      v |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
      shift += 7n;
    }
  };
  while (i < buf.length) {
    const key = Number(varint()), field = key >> 3, type = key & 7;
    if (type === 0) out.push({ field, value: varint() });
    else if (type === 2) { const n = Number(varint()); out.push({ field, value: buf.subarray(i, i + n) }); i += n; }
    else if (type === 1) { out.push({ field, value: buf.readBigUInt64LE(i) }); i += 8; }
    else if (type === 5) { out.push({ field, value: BigInt(buf.readUInt32LE(i)) }); i += 4; }
    else throw new Error(`wire type ${type}`);
  }
  return out;
}
// A repeated integer field: packed (one length-delimited run of varints) or not.
const ints = (fs, f) => fs.filter((x) => x.field === f).flatMap((x) => (Buffer.isBuffer(x.value) ? fields(Buffer.concat([...packed(x.value)])).map((y) => y.value) : [x.value]));
function* packed(b) { // re-key each varint as field 1 so fields() can read the run
  let i = 0;
  while (i < b.length) { let j = i; while (b[j] & 0x80) j++; yield Buffer.from([0x08]); yield b.subarray(i, j + 1); i = j + 1; }
}
const one = (fs, f) => { const x = fs.find((y) => y.field === f); return x ? x.value : 0n; };

// profile.proto: Profile 1 sample_type, 2 sample, 4 location, 5 function, 6 string_table,
// 9 time_nanos, 10 duration_nanos; Sample 1 location_id, 2 value; Location 1 id, 4 line;
// Line 1 function_id; Function 1 id, 2 name; ValueType 1 type, 2 unit.
function decode(gz) {
  const p = fields(gunzipSync(gz));
  const strings = p.filter((x) => x.field === 6).map((x) => x.value.toString('utf8'));
  const fn = new Map(p.filter((x) => x.field === 5).map((x) => fields(x.value)).map((f) => [one(f, 1), strings[Number(one(f, 2))]]));
  const loc = new Map(p.filter((x) => x.field === 4).map((x) => fields(x.value))
    .map((l) => [one(l, 1), fn.get(one(fields(l.find((y) => y.field === 4).value), 1))]));
  const samples = p.filter((x) => x.field === 2).map((x) => fields(x.value))
    .map((s) => ({ stack: ints(s, 1).map((id) => loc.get(id)), value: Number(ints(s, 2)[0]) }));
  const st = fields(p.find((x) => x.field === 1).value);
  return { strings, samples, type: [strings[Number(one(st, 1))], strings[Number(one(st, 2))]],
    time_nanos: one(p, 9), duration_nanos: one(p, 10) };
}

test('pprof export: gzip\'d profile.proto with the scenario\'s exact stacks and counts', async () => {
  const sc = { cpus: 2, pointer_size: 8, compressed: false, buffer_size: 65536, duration_s: 1, seed: 13,
    sample_rate_hz: 1000, process_pid: 4321, modules: [
      { name: 'ntoskrnl.exe', path: '\\SystemRoot\\system32\\ntoskrnl.exe', base: '0xfffff80070600000', size: 8388608, samples: { weight: 1 } },
      { name: 'tcpip.sys', path: '\\SystemRoot\\System32\\drivers\\tcpip.sys', base: '0xfffff80072000000', size: 2097152 },
      { name: 'idmtdi.sys', path: '\\SystemRoot\\System32\\drivers\\idmtdi.sys', base: '0xfffff80073000000', size: 65536, samples: { weight: 7, stack: ['tcpip.sys', 'ntoskrnl.exe'] } },
      { name: 'tedrdrv.sys', path: '\\SystemRoot\\System32\\drivers\\tedrdrv.sys', base: '0xfffff80074000000', size: 262144, samples: { weight: 2, stack: ['ntoskrnl.exe'] } }] };
  const g = generate(srv.dir, 'pprof', sc, false);
  const n = Object.fromEntries(g.expected.modules.map((m) => [m.name, m.samples_ip]));
  const id = (await uploadDone(srv.url, readFileSync(g.path), 'pprof.etl')).id;

  const r = await fetch(`${srv.url}/api/runs/${id}/stacks/export?format=pprof&group=module`);
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'application/octet-stream');
  assert.match(r.headers.get('content-disposition'), /^attachment; filename="[0-9a-f]{32}\.pb\.gz"$/);
  const body = Buffer.from(await r.arrayBuffer());
  assert.deepEqual([body[0], body[1]], [0x1f, 0x8b]); // gzip magic
  const d = decode(body);
  assert.equal(d.strings[0], ''); // string_table[0] must be ""
  assert.deepEqual(d.type, ['samples', 'count']);
  // leaf first, as profile.proto says
  const got = d.samples.map((s) => [s.stack.join(';'), s.value]).sort();
  assert.deepEqual(got, [['idmtdi.sys;tcpip.sys;ntoskrnl.exe', n['idmtdi.sys']], ['ntoskrnl.exe', n['ntoskrnl.exe']],
    ['tedrdrv.sys;ntoskrnl.exe', n['tedrdrv.sys']]].sort());
  assert.ok(d.duration_nanos > 900000000n && d.duration_nanos <= 1001000000n, String(d.duration_nanos));
  assert.ok(d.time_nanos > 1000000000000000000n, String(d.time_nanos)); // ns since 1970, after 2001

  // by frame: the same total; every leaf frame named module+0xOFFSET; a module filter applies
  const f = decode(Buffer.from(await (await fetch(`${srv.url}/api/runs/${id}/stacks/export?format=pprof`)).arrayBuffer()));
  assert.equal(f.samples.reduce((a, s) => a + s.value, 0), g.expected.samples);
  assert.ok(f.samples.every((s) => /^(ntoskrnl\.exe|idmtdi\.sys|tedrdrv\.sys)\+0x[0-9a-f]+$/.test(s.stack[0])));
  assert.ok(f.samples.every((s) => s.stack.at(-1).startsWith('ntoskrnl.exe+0x')));
  const m = decode(Buffer.from(await (await fetch(`${srv.url}/api/runs/${id}/stacks/export?format=pprof&module=tedrdrv.sys`)).arrayBuffer()));
  assert.equal(m.samples.reduce((a, s) => a + s.value, 0), n['tedrdrv.sys']);
});
