// record.test.mjs — the "Record a trace" page and its downloads (issue 15, recording
// profile): served by the real server; the WPR profile is well-formed XML (parsed by
// xmllint, Debian's libxml2-utils) and follows the WPR profile rules; its keywords, the xperf
// line on the page and the PowerShell script's flags are the same documented set, and every
// kernel group mask bit they enable is one the reader names (ingest/etl/etl_logfile.c).
// PowerShell is not installable from Debian (`apt-cache policy powershell` is empty), so the
// script gets a lexical check and a check of the command lines it builds.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, tempDir, repo } from '../support/server.mjs';

// Microsoft's documentation, by hand: WPR SystemProvider keyword (WPRControlProfiles.xsd,
// SystemKeywordEnumeration) ↔ xperf kernel flag (`xperf -providers K`) ↔ the kernel group
// mask bit it sets (phnt ntwmi.h PERF_*), by the reader's name for that bit.
const DOCUMENTED = [
  ['ProcessThread', 'PROC_THREAD', ['process', 'thread']],
  ['Loader', 'LOADER', ['loader']],
  ['DPC', 'DPC', ['dpc']],
  ['Interrupt', 'INTERRUPT', ['interrupt']],
  ['SampledProfile', 'PROFILE', ['profile']],
  ['CSwitch', 'CSWITCH', ['cswitch']],
  ['ReadyThread', 'DISPATCHER', ['dispatcher']],
  ['SystemCall', 'SYSCALL', ['syscall']],
  ['DiskIO', 'DISK_IO', ['disk_io']],
  ['DiskIOInit', 'DISK_IO_INIT', ['disk_io_init']],
  ['FileIO', 'FILE_IO', ['file_io']],
  ['FileIOInit', 'FILE_IO_INIT', ['file_io_init']],
  ['Filename', 'FILENAME', ['disk_file_io']],
  ['FilterIOInit', 'FLT_IO_INIT', ['flt_io_init']],
  ['FilterIO', 'FLT_IO', ['flt_io']],
  ['FilterIOFastIO', 'FLT_FASTIO', ['flt_fastio']],
  ['FilterIOFailure', 'FLT_IO_FAILURE', ['flt_io_failure']],
];
// WPR <Stack> value ↔ xperf -stackwalk name.
const STACKS = [['SampledProfile', 'Profile'], ['CSwitch', 'CSwitch'], ['ReadyThread', 'ReadyThread']];
const sorted = (a) => [...a].sort();

let srv, dir;
const served = {};
before(async () => {
  srv = await startServer();
  dir = tempDir();
  for (const p of ['/record', '/record/etlscope.wprp', '/record/etlscope-record.ps1', '/static/record.js']) {
    const res = await fetch(srv.url + p);
    served[p] = { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
  }
});
after(async () => { await srv.stop(); });

test('the page, the profile and the script are served with their types', async () => {
  assert.equal(served['/record'].status, 200);
  assert.match(served['/record'].type, /^text\/html/);
  assert.match(served['/record'].text, /href="\/record\/etlscope\.wprp"/);
  assert.match(served['/record'].text, /href="\/record\/etlscope-record\.ps1"/);
  assert.equal(served['/record/etlscope.wprp'].status, 200);
  assert.match(served['/record/etlscope.wprp'].type, /^application\/xml/);
  assert.equal(served['/record/etlscope.wprp'].text, readFileSync(join(repo, 'web/record/etlscope.wprp'), 'utf8'));
  assert.equal(served['/record/etlscope-record.ps1'].status, 200);
  assert.match(served['/record/etlscope-record.ps1'].type, /^text\/plain/);
  assert.equal(served['/static/record.js'].status, 200);
  const missing = await fetch(`${srv.url}/record/nothing.here`);
  assert.equal(missing.status, 404);
  await missing.text();
});

// xmllint --xpath prints attribute nodes as ` Value="X"`; returns the values.
function xpathValues(file, expr) {
  const out = execFileSync('xmllint', ['--xpath', expr, file], { encoding: 'utf8' });
  return [...out.matchAll(/\w+="([^"]*)"/g)].map((m) => m[1]);
}

test('the WPR profile is well-formed and follows the profile rules', () => {
  const f = join(dir, 'etlscope.wprp');
  writeFileSync(f, served['/record/etlscope.wprp'].text);
  execFileSync('xmllint', ['--noout', f]); // throws on malformed XML
  assert.deepEqual(xpathValues(f, '/WindowsPerformanceRecorder/@Version'), ['1.0']);
  // Every profile: Id = Name.DetailLevel.LoggingMode; both a Memory and a File version.
  const ids = xpathValues(f, '//Profile/@Id');
  const modes = xpathValues(f, '//Profile/@LoggingMode');
  assert.deepEqual(sorted(modes), ['File', 'Memory']);
  for (const id of ids) {
    const [name, level, mode] = id.split('.');
    assert.deepEqual(xpathValues(f, `//Profile[@Id="${id}"]/@Name`), [name]);
    assert.deepEqual(xpathValues(f, `//Profile[@Id="${id}"]/@DetailLevel`), [level]);
    assert.deepEqual(xpathValues(f, `//Profile[@Id="${id}"]/@LoggingMode`), [mode]);
  }
  // Collector and provider references resolve.
  const collectors = xpathValues(f, '//SystemCollector/@Id');
  for (const ref of xpathValues(f, '//SystemCollectorId/@Value')) assert.ok(collectors.includes(ref), ref);
  const providers = xpathValues(f, '//SystemProvider/@Id');
  for (const ref of xpathValues(f, '//SystemProviderId/@Value')) assert.ok(providers.includes(ref), ref);
  // The circular (memory) collector holds at most 1 GiB: BufferSize (KiB) × Buffers.
  const memCollector = xpathValues(f, '//Profile[@LoggingMode="Memory"]//SystemCollectorId/@Value')[0];
  const kib = Number(xpathValues(f, `//SystemCollector[@Id="${memCollector}"]/BufferSize/@Value`)[0]);
  const buffers = Number(xpathValues(f, `//SystemCollector[@Id="${memCollector}"]/Buffers/@Value`)[0]);
  assert.ok(kib <= 1024, 'ETW buffers are at most 1024 KiB');
  assert.ok(kib * 1024 * buffers <= 1024 ** 3, `${kib} KiB × ${buffers}`);
  assert.ok(kib * 1024 * buffers >= 0.5 * 1024 ** 3, 'large enough for about a minute');
});

test('the profile keywords and stacks are the documented set', () => {
  const f = join(dir, 'etlscope.wprp');
  assert.deepEqual(sorted(xpathValues(f, '//SystemProvider/Keywords/Keyword/@Value')), sorted(DOCUMENTED.map((d) => d[0])));
  assert.deepEqual(sorted(xpathValues(f, '//SystemProvider/Stacks/Stack/@Value')), sorted(STACKS.map((s) => s[0])));
});

// The xperf line of the page: `xperf -on A+B -stackwalk C+D …` → {on, stackwalk, args}.
function parseXperfOn(line) {
  const words = line.trim().split(/\s+/);
  assert.equal(words[0], 'xperf');
  const opt = (name) => { const i = words.indexOf(name); return i < 0 ? undefined : words[i + 1]; };
  return { on: opt('-on').split('+'), stackwalk: opt('-stackwalk').split('+'), opt };
}

test('the page\'s xperf line enables the documented flags with bounded buffers and file', () => {
  const html = served['/record'].text;
  const line = html.split('\n').find((l) => l.includes('xperf -on'));
  const cmd = parseXperfOn(line.replace(/^.*?(xperf -on)/, '$1').replace(/<[^>]*>/g, ''));
  assert.deepEqual(sorted(cmd.on), sorted(DOCUMENTED.map((d) => d[1])));
  assert.deepEqual(sorted(cmd.stackwalk), sorted(STACKS.map((s) => s[1])));
  assert.equal(cmd.opt('-FileMode'), 'Circular');
  assert.ok(Number(cmd.opt('-MaxFile')) <= 1024, 'the kernel file is capped at 1 GB');
  assert.ok(Number(cmd.opt('-BufferSize')) <= 1024);
  assert.match(html, /xperf -d C:\\traces\\freeze\.etl/);
  assert.match(html, /curl\.exe -X POST -T C:\\traces\\freeze\.etl "<span class="server-origin">[^<]*<\/span>\/api\/uploads\?file=freeze\.etl"/);
});

test('every mask bit the recording enables is one the reader names', () => {
  const src = readFileSync(join(repo, 'ingest/etl/etl_logfile.c'), 'utf8');
  const table = src.slice(src.indexOf('mask_bits[] = {'), src.indexOf('};', src.indexOf('mask_bits[] = {')));
  const names = [...table.matchAll(/\{\d+, 0x[0-9a-fA-F]+, "([a-z_]+)"\}/g)].map((m) => m[1]);
  for (const [, flag, bits] of DOCUMENTED)
    for (const b of bits) assert.ok(names.includes(b), `${flag}: mask bit "${b}" is not in the reader's table`);
  // The event groups those flags produce are ones the reader classifies.
  const kernel = readFileSync(join(repo, 'ingest/etl/etl_kernel.c'), 'utf8');
  for (const g of ['DiskIo', 'FileIo', 'Thread', 'Process', 'Image', 'PerfInfo', 'StackWalk'])
    assert.match(kernel, new RegExp(`\\{0x[0-9A-F]{2}, "${g}",`), g);
});

// A lexical check of PowerShell: strings ('…' with '' escapes, "…" with ` escapes and
// $( ) inside), # and <# #> comments; brackets outside them must balance.
function psBalanced(src) {
  const stack = [];
  const pairs = { ')': '(', '}': '{', ']': '[' };
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '<' && src[i + 1] === '#') { i = src.indexOf('#>', i + 2); if (i < 0) return 'open block comment'; i++; continue; }
    if (c === '#') { i = src.indexOf('\n', i); if (i < 0) break; continue; }
    if (c === "'") {
      for (i++; i < src.length; i++) if (src[i] === "'") { if (src[i + 1] === "'") i++; else break; }
      if (i >= src.length) return 'open single-quoted string';
      continue;
    }
    if (c === '"') {
      let depth = 0;
      for (i++; i < src.length; i++) {
        if (src[i] === '`') { i++; continue; }
        if (src[i] === '$' && src[i + 1] === '(') { depth++; i++; continue; }
        if (src[i] === ')' && depth) { depth--; continue; }
        if (src[i] === '"' && !depth) break;
      }
      if (i >= src.length) return 'open double-quoted string';
      continue;
    }
    if ('({['.includes(c)) stack.push(c);
    else if (pairs[c]) { if (stack.pop() !== pairs[c]) return `unbalanced ${c} at ${i}`; }
  }
  return stack.length ? `unclosed ${stack.join('')}` : null;
}

// @('A', 'B', …) assigned to $name in the script → ['A', 'B', …].
function psArray(src, name) {
  const m = src.match(new RegExp(`\\$${name} = @\\(([^)]*)\\)`));
  assert.ok(m, `$${name} not found`);
  return [...m[1].matchAll(/'([^']*)'/g)].map((x) => x[1]);
}

test('the PowerShell script is lexically sound and builds the documented command lines', () => {
  const ps = served['/record/etlscope-record.ps1'].text;
  assert.equal(psBalanced(ps), null);
  assert.equal(psBalanced("if ($a) { 'x' "), 'unclosed {', 'the checker catches an unclosed block');
  assert.equal(psBalanced('"abc'), 'open double-quoted string');
  assert.deepEqual(sorted(psArray(ps, 'KernelFlags')), sorted(DOCUMENTED.map((d) => d[1])));
  assert.deepEqual(sorted(psArray(ps, 'StackFlags')), sorted(STACKS.map((s) => s[1])));
  // The xperf start line the script builds equals the page's, flag for flag.
  const built = ['xperf', '-on', psArray(ps, 'KernelFlags').join('+'), '-stackwalk', psArray(ps, 'StackFlags').join('+'),
    ...psArray(ps, 'BufferArgs')].join(' ');
  const page = served['/record'].text.split('\n').find((l) => l.includes('xperf -on')).replace(/^.*?(xperf -on)/, '$1');
  assert.ok(page.startsWith(built), `${built}\n≠\n${page}`);
  assert.match(ps, /'-MaxFile', '1024', '-FileMode', 'Circular'/);
  // The upload follows docs/api.md: raw body POST to /api/uploads?file=…, 202, then the job.
  assert.match(ps, /'-X', 'POST', '-H', 'Content-Type: application\/octet-stream', '-T', \$etl, "\$Server\/api\/uploads\?\$query"/);
  assert.match(ps, /\$query = 'file=' \+ \[Uri\]::EscapeDataString\(\$fileName\)/);
  assert.match(ps, /\$up\.Status -ne 202/);
  assert.match(ps, /\$up\.Body\.status_url/);
  assert.match(ps, /\$job\.Body\.state -ne 'done' -and \$job\.Body\.state -ne 'failed'/);
  assert.match(ps, /"Run: \$Server\/runs\/\$\(\$run\.id\)"/);
  const api = readFileSync(join(repo, 'docs/api.md'), 'utf8');
  for (const fact of ['POST /api/uploads?file=NAME', '"status_url": "/api/jobs/<job>"', '"state": "receiving" | "queued" | "ingesting" | "done" | "failed"'])
    assert.ok(api.includes(fact), fact);
});
