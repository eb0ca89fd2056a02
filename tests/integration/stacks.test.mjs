// stacks.test.mjs — issue 13's call-stack API (tree, butterfly, processes, threads) over
// HTTP. The real PerfView sample against the independent decoder tests/support/etlscan.mjs
// (per-process samples and threads, per-module inclusive and exclusive samples); an etlgen
// scenario of the "process burning CPU with a third-party TDI driver" story and an EDR
// module under a kernel frame, with trees worked out by hand from the scenario's exact
// per-module counts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { startServer, uploadDone, getJson, perfviewSample as perfview } from '../support/server.mjs';
import { generate } from '../support/etlgen.mjs';
import { scan, byName } from '../support/etlscan.mjs';

let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv.stop(); });

const upload = async (bytes, name) => (await uploadDone(srv.url, bytes, name)).id;
const api = async (id, path) => {
  const r = await getJson(`${srv.url}/api/runs/${id}/${path}`);
  assert.equal(r.status, 200, `${path}: ${JSON.stringify(r.body)}`);
  return r.body;
};

// Every node of a tree, depth first.
function* nodes(n) {
  yield n;
  for (const c of n.children) yield* nodes(c);
}

test('PerfView sample: per-process samples and threads, per-module inclusive/exclusive equal the independent decoder', { skip: !existsSync(perfview) }, async () => {
  const o = scan(perfview);
  assert.equal(o.samples, 79528); // MANIFEST fact: the oracle is trusted only after this
  const id = await upload(readFileSync(perfview), 'perfview.etl');

  const p = await api(id, 'processes');
  assert.equal(p.total, o.samples);
  assert.equal(p.cpus, 8);
  const got = new Map(p.processes.map((x) => [x.pid === null ? 'unknown' : x.pid, x]));
  assert.deepEqual([...got.keys()].sort(), [...o.processes.keys()].sort());
  for (const [pid, want] of o.processes) {
    const g = got.get(pid);
    assert.equal(g.samples, want.samples, `pid ${pid} samples`);
    assert.equal(g.threads, want.threads.size, `pid ${pid} threads`);
    assert.equal(g.spark.reduce((a, b) => a + b, 0), want.samples, `pid ${pid} spark`);
  }
  assert.equal(got.get(0).name, 'Idle');
  assert.equal(got.get(3676).name, 'Test.x64.exe'); // MANIFEST: the traced test program

  // Threads of the busiest non-idle process: the same tids and samples as the oracle's.
  const th = await api(id, 'threads?pid=3676');
  assert.deepEqual(th.threads.map((t) => t.tid).sort(), [...o.processes.get(3676).threads].sort());
  assert.equal(th.threads.reduce((s, t) => s + t.samples, 0), o.processes.get(3676).samples);

  // The tree: Idle separate, every non-idle sample once.
  const nonIdle = o.samples - o.idle;
  const tree = await api(id, 'stacks/tree?group=module&min_share=0');
  assert.equal(tree.total, nonIdle);
  assert.equal(tree.idle_excluded, true);
  assert.equal(tree.root.value, nonIdle);
  assert.equal([...nodes(tree.root)].reduce((s, n) => s + n.self, 0), nonIdle);
  assert.equal((await api(id, 'stacks/tree?group=module&idle=1&min_share=0.5')).total, o.samples);
  // No filter reads the call trees stored after ingest; naming every CPU reads the
  // per-slice counts: the same trees, by frame and module, Idle left out or kept, top-down
  // and inverted, whole and pruned.
  for (const q of ['group=module&min_share=0', 'group=module&min_share=0&idle=1', 'group=module&invert=1&min_share=0',
    'group=frame&min_share=0', 'group=frame&invert=1&idle=1', 'group=frame&min_share=0.01', 'group=module&invert=1&min_share=0.02&idle=1']) {
    assert.deepEqual(await api(id, `stacks/tree?${q}`), await api(id, `stacks/tree?${q}&cpus=0-7`), q);
  }

  // Per module: inclusive = samples with it anywhere on the stack or as the IP, exclusive =
  // samples whose IP is in it — the oracle's figures, for the ten busiest. The API counts a
  // name once per sample; the oracle counts per image (a WOW64 stack holds two ntdll.dll),
  // so only names that are one image with samples compare.
  const single = new Set([...o.modules.reduce((m, x) => {
    if (x.incl) m.set(x.name.toLowerCase(), (m.get(x.name.toLowerCase()) || 0) + 1);
    return m;
  }, new Map())].filter(([, n]) => n === 1).map(([k]) => k));
  const want = [...byName(o.modules)].filter(([k]) => single.has(k))
    .sort((a, b) => b[1].incl - a[1].incl).slice(0, 10);
  assert.equal(want.length, 10);
  for (const [name, w] of want) {
    const b = await api(id, `stacks/butterfly?module=${encodeURIComponent(name)}`);
    assert.equal(b.total, nonIdle);
    assert.equal(b.inclusive, w.incl, `${name} inclusive`);
    assert.equal(b.exclusive, w.excl, `${name} exclusive`);
  }
});

// The wspsrv.exe story: a process burning CPU where 70 % of the samples pass through the
// TDI filter idmtdi.sys (stack tcpip.sys → idmtdi.sys under ntoskrnl.exe), and an EDR
// driver (tedrdrv.sys) under ntoskrnl.exe on the rest.
const story = {
  cpus: 4, pointer_size: 8, compressed: false, buffer_size: 65536, duration_s: 2, seed: 13,
  sample_rate_hz: 1000, process_pid: 4321,
  modules: [
    { name: 'ntoskrnl.exe', path: '\\SystemRoot\\system32\\ntoskrnl.exe', base: '0xfffff80070600000', size: 8388608, samples: { weight: 1 } },
    { name: 'tcpip.sys', path: '\\SystemRoot\\System32\\drivers\\tcpip.sys', base: '0xfffff80072000000', size: 2097152 },
    { name: 'idmtdi.sys', path: '\\SystemRoot\\System32\\drivers\\idmtdi.sys', base: '0xfffff80073000000', size: 65536, samples: { weight: 7, stack: ['tcpip.sys', 'ntoskrnl.exe'] } },
    { name: 'tedrdrv.sys', path: '\\SystemRoot\\System32\\drivers\\tedrdrv.sys', base: '0xfffff80074000000', size: 262144, samples: { weight: 2, stack: ['ntoskrnl.exe'] } },
  ],
};

test('TDI filter and EDR scenario: exact module trees, butterflies, processes and threads', async () => {
  const g = generate(srv.dir, 'stacks-story', story, false);
  const e = g.expected;
  const count = (name) => e.modules.find((m) => m.name === name).samples_ip;
  const nt = count('ntoskrnl.exe'), idm = count('idmtdi.sys'), edr = count('tedrdrv.sys');
  assert.equal(nt + idm + edr, e.samples);
  assert.ok(idm > 0.6 * e.samples && edr > 0 && nt > 0);
  const id = await upload(readFileSync(g.path), 'story.etl');

  // Top-down by module: ntoskrnl.exe (the root of every stack) → tcpip.sys → idmtdi.sys,
  // and ntoskrnl.exe → tedrdrv.sys; ntoskrnl's own samples are its self.
  const t = await api(id, 'stacks/tree?group=module&min_share=0');
  const shape = (n) => ({ name: n.name, value: n.value, self: n.self, children: n.children.map(shape) });
  assert.deepEqual(shape(t.root), {
    name: 'all', value: e.samples, self: 0, children: [{
      name: 'ntoskrnl.exe', value: e.samples, self: nt, children: [
        { name: 'tcpip.sys', value: idm, self: 0, children: [{ name: 'idmtdi.sys', value: idm, self: idm, children: [] }] },
        { name: 'tedrdrv.sys', value: edr, self: edr, children: [] },
      ].sort((a, b) => b.value - a.value),
    }],
  });
  assert.equal(t.root.children[0].kernel, true);

  // Inverted (by leaf): each leaf module first, its callers under it.
  const inv = await api(id, 'stacks/tree?group=module&invert=1&min_share=0');
  assert.deepEqual(shape(inv.root).children, [
    { name: 'idmtdi.sys', value: idm, self: 0, children: [{ name: 'tcpip.sys', value: idm, self: 0, children: [{ name: 'ntoskrnl.exe', value: idm, self: idm, children: [] }] }] },
    { name: 'tedrdrv.sys', value: edr, self: 0, children: [{ name: 'ntoskrnl.exe', value: edr, self: edr, children: [] }] },
    { name: 'ntoskrnl.exe', value: nt, self: nt, children: [] },
  ].sort((a, b) => b.value - a.value));

  // Pruning: with min_share above the EDR's and ntoskrnl's own shares, they fold into (rest).
  const share = Math.max(edr, nt) / e.samples + 0.01;
  const pr = await api(id, `stacks/tree?group=module&invert=1&min_share=${share}`);
  assert.deepEqual(pr.root.children.map((c) => [c.name, c.value]), [['idmtdi.sys', idm], ['(rest)', edr + nt]]);
  assert.deepEqual(pr.pruned, { nodes: 2, samples: edr + nt });

  // Frame mode: every idmtdi.sys frame is module+0xOFFSET inside its 64 KiB image.
  const ft = await api(id, 'stacks/tree?min_share=0&module=idmtdi.sys');
  assert.equal(ft.total, idm);
  for (const n of nodes(ft.root)) {
    if (n.module === 'idmtdi.sys') assert.match(n.name, /^idmtdi\.sys\+0x[0-9a-f]{1,4}$/);
  }

  // Butterfly of the TDI filter and of tcpip.sys.
  assert.deepEqual(await api(id, 'stacks/butterfly?module=idmtdi.sys'), {
    module: 'idmtdi.sys', total: e.samples, inclusive: idm, exclusive: idm,
    callers: [{ name: 'tcpip.sys', value: idm }], callees: [],
  });
  assert.deepEqual(await api(id, 'stacks/butterfly?module=TCPIP.SYS'), {
    module: 'TCPIP.SYS', total: e.samples, inclusive: idm, exclusive: 0,
    callers: [{ name: 'ntoskrnl.exe', value: idm }], callees: [{ name: 'idmtdi.sys', value: idm }],
  });

  // One process, one sampled thread per CPU (etlgen's layout: tid 1000 + cpu).
  const p = await api(id, 'processes');
  assert.equal(p.total, e.samples);
  assert.deepEqual(p.processes.map((x) => [x.pid, x.samples, x.threads]), [[4321, e.samples, 4]]);
  assert.ok(Math.abs(p.processes[0].cpus_used - 4) < 1e-9);
  const th = await api(id, 'threads');
  assert.deepEqual(th.threads.map((x) => [x.tid, x.pid, x.samples]).sort((a, b) => a[0] - b[0]),
    e.cpus.map((c) => [1000 + c.cpu, 4321, c.samples]));
  // CPU and thread filters are exact.
  assert.equal((await api(id, 'stacks/tree?group=module&cpus=1')).total, e.cpus[1].samples);
  assert.equal((await api(id, 'stacks/tree?group=module&tid=1002')).total, e.cpus[2].samples);
  assert.equal((await api(id, 'stacks/tree?group=module&pid=1')).total, 0);

  // Finding: the process used 4 CPUs' worth the whole trace; the third-party modules on its
  // stacks by inclusive share (tcpip.sys and ntoskrnl.exe are Microsoft's).
  const fd = (await api(id, 'findings')).findings.filter((x) => x.id === 'process-cpu-sustained');
  assert.equal(fd.length, 1, JSON.stringify(fd));
  assert.equal(fd[0].numbers.pid, 4321);
  assert.ok(Math.abs(fd[0].numbers.cpus_used - 4) < 1e-9);
  assert.deepEqual(fd[0].numbers.third_party_modules, [
    { module: 'idmtdi.sys', inclusive_share: idm / e.samples },
    { module: 'tedrdrv.sys', inclusive_share: edr / e.samples }]);
  assert.match(fd[0].sentence, /^process 4321 used 4\.0 CPUs for 2\.\d s; \d+ % of its samples pass through idmtdi\.sys \(Tonec/);

  // Exports. Folded, by module: one line per distinct stack, root first.
  const f = await fetch(`${srv.url}/api/runs/${id}/stacks/export?format=folded&group=module`);
  assert.equal(f.status, 200);
  assert.match(f.headers.get('content-disposition'), /^attachment; filename="[0-9a-f]{32}\.folded\.txt"$/);
  const lines = (await f.text()).trim().split('\n').sort();
  assert.deepEqual(lines, [`ntoskrnl.exe ${nt}`, `ntoskrnl.exe;tcpip.sys;idmtdi.sys ${idm}`,
    `ntoskrnl.exe;tedrdrv.sys ${edr}`].sort());
  // speedscope, by frame: the schema's required fields
  // (https://www.speedscope.app/file-format-schema.json: File needs $schema, shared.frames
  // [{name}], profiles; a SampledProfile needs type, name, unit, startValue, endValue,
  // samples, weights) and the same totals as the tree.
  const r = await fetch(`${srv.url}/api/runs/${id}/stacks/export?format=speedscope`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^application\/json/);
  const ss = await r.json();
  assert.equal(ss.$schema, 'https://www.speedscope.app/file-format-schema.json');
  assert.ok(ss.shared.frames.length > 0 && ss.shared.frames.every((x) => typeof x.name === 'string'));
  assert.equal(ss.profiles.length, 1);
  const prof = ss.profiles[0];
  for (const k of ['type', 'name', 'unit', 'startValue', 'endValue', 'samples', 'weights']) assert.ok(k in prof, k);
  assert.equal(prof.type, 'sampled');
  assert.equal(prof.unit, 'none');
  assert.equal(prof.samples.length, prof.weights.length);
  assert.equal(prof.weights.reduce((a, b) => a + b, 0), e.samples);
  assert.equal(prof.endValue, e.samples);
  for (const st of prof.samples) for (const i of st) assert.ok(i >= 0 && i < ss.shared.frames.length);
  // every stack starts at an ntoskrnl.exe frame; idmtdi.sys leaves weigh idm in all
  const name = (i) => ss.shared.frames[i].name;
  assert.ok(prof.samples.every((st) => name(st[0]).startsWith('ntoskrnl.exe+0x')));
  assert.equal(prof.samples.reduce((a, st, i) => a + (name(st.at(-1)).startsWith('idmtdi.sys+') ? prof.weights[i] : 0), 0), idm);
  assert.equal((await getJson(`${srv.url}/api/runs/${id}/stacks/export?format=x`)).status, 400);
});

test('bad stack filters answer 400 with a message', async () => {
  const g = generate(srv.dir, 'stacks-bad', { ...story, duration_s: 0.2 }, false);
  const id = await upload(readFileSync(g.path), 'bad.etl');
  for (const q of ['stacks/tree?invert=2', 'stacks/tree?group=x', 'stacks/tree?min_share=2',
    'stacks/tree?pid=-1', 'stacks/tree?tid=x', 'stacks/butterfly', 'stacks/tree?cpus=z', 'threads?idle=3']) {
    const r = await getJson(`${srv.url}/api/runs/${id}/${q}`);
    assert.equal(r.status, 400, q);
    assert.equal(typeof r.body.error, 'string', q);
  }
  assert.equal((await getJson(`${srv.url}/api/runs/${id}/stacks/nope`)).status, 404);
});
