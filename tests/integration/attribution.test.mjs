// attribution.test.mjs — CPU attribution against an independent decoder (issue 13, issue 12
// section 2): on the real PerfView sample, per-module exclusive and inclusive samples, Idle,
// unresolved kernel/user addresses, per-process samples and threads from
// tests/support/etlscan.mjs must equal what the product's API returns; an etlgen scenario
// with unmapped kernel and user modules and implausible image events gives exact counts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { startServer, uploadDone, getJson, perfviewSample as perfview } from '../support/server.mjs';
import { generate } from '../support/etlgen.mjs';
import { scan, byName } from '../support/etlscan.mjs';

let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv.stop(); });

async function upload(bytes, name) {
  const { id } = await uploadDone(srv.url, bytes, name);
  const drivers = (await getJson(`${srv.url}/api/runs/${id}/drivers`)).body;
  const run = (await getJson(`${srv.url}/api/runs/${id}`)).body;
  return { id, drivers, run };
}

// The API's module rows summed by lower-cased name (the oracle's byName does the same).
function apiByName(drivers) {
  const m = new Map();
  for (const d of drivers.drivers) {
    if (d.module_id < 0 || (!d.cpu.exclusive && !d.cpu.inclusive)) continue;
    const k = d.name.toLowerCase();
    const v = m.get(k) || { excl: 0, incl: 0 };
    v.excl += d.cpu.exclusive;
    v.incl += d.cpu.inclusive;
    m.set(k, v);
  }
  return m;
}

test('PerfView sample: per-module exclusive and inclusive samples equal the independent decoder', { skip: !existsSync(perfview) }, async () => {
  const o = scan(perfview);
  // The oracle reproduces MANIFEST's facts before it is trusted.
  assert.equal(o.samples, 79528);
  assert.equal(o.psize, 8);
  assert.equal(o.stackEventsMatched + o.stackEventsUnmatched, 252 + 2061 + 7046);
  assert.equal(o.keysUndefined, 0);

  const { drivers, run } = await upload(readFileSync(perfview), 'perfview.etl');
  const t = drivers.totals;
  assert.equal(t.samples, o.samples);
  assert.equal(t.idle_samples, o.idle);
  assert.equal(t.non_idle_samples, o.samples - o.idle);
  assert.ok(o.idle > o.samples / 2, 'idle samples are most of this trace');

  const want = byName(o.modules), got = apiByName(drivers);
  const diff = [];
  for (const k of new Set([...want.keys(), ...got.keys()])) {
    const a = want.get(k) || { excl: 0, incl: 0 }, b = got.get(k) || { excl: 0, incl: 0 };
    if (a.excl !== b.excl || a.incl !== b.incl) diff.push(`${k}: oracle ${a.excl}/${a.incl}, api ${b.excl}/${b.incl}`);
  }
  assert.deepEqual(diff, []);
  // Idle is never ntoskrnl/hal CPU time: their exclusive counts are those of busy samples.
  assert.ok(got.get('ntoskrnl.exe').excl < 1000 && got.get('hal.dll').excl < 1000);

  // Unresolved IPs: kernel-space ones apart from user code without an image.
  assert.equal(drivers.unknown_kernel.samples, o.unknownKernel.excl);
  assert.equal(drivers.user_code_without_image.samples, o.unknownUser.excl);
  assert.equal(drivers.idle.samples, o.idle);
  assert.equal(drivers.idle.share, o.idle / o.samples);
  assert.equal(drivers.unknown_kernel.share_non_idle, o.unknownKernel.excl / (o.samples - o.idle));
  const hex = (v) => `0x${v.toString(16).padStart(16, '0')}`;
  const kr = drivers.unknown_kernel.trace_ranges;
  assert.equal(kr.reduce((s, r) => s + r.samples, 0), o.unknownKernel.excl);
  assert.equal(kr.map((r) => r.lo).sort()[0], hex(o.unknownKernel.lo));
  assert.equal(kr.map((r) => r.hi).sort().at(-1), hex(o.unknownKernel.hi));
  // Idle and the unresolved rows stay out of the vendor roll-ups.
  const vendorExcl = drivers.vendors.reduce((s, v) => s + v.exclusive, 0);
  const kernelExcl = drivers.drivers.filter((d) => d.module_id >= 0 && d.category !== 'user-mode')
    .reduce((s, d) => s + d.cpu.exclusive, 0);
  assert.equal(vendorExcl, kernelExcl);

  // Per process: samples and sampled threads, Idle (pid 0) on its own row.
  const s = run.summary;
  assert.equal(s.idle_samples, o.idle);
  assert.equal(s.samples_unknown_process, o.unknownProcess);
  assert.equal(s.processes_omitted, 0);
  const procs = new Map(s.processes.map((p) => [p.pid === null ? 'unknown' : p.pid, p]));
  assert.equal(procs.size, o.processes.size);
  // Names come from the Process events (etl-format.md §8.6: the Idle process is "Idle").
  assert.equal(procs.get(0).name, 'Idle');
  assert.equal(procs.get(4).name, 'System');
  for (const [pid, p] of o.processes) {
    const g = procs.get(pid);
    assert.ok(g, `process ${pid}`);
    assert.deepEqual([g.samples, g.threads, g.idle], [p.samples, p.threads.size, pid === 0], `process ${pid}`);
  }
  // Matching: every stack event the oracle pairs with a sample, no more, none late.
  assert.equal(s.stack_events_matched, o.stackEventsMatched);
  assert.equal(s.stack_events_unmatched, o.stackEventsUnmatched);
  assert.equal(s.stack_events_late, 0);
  assert.equal(s.cpu_samples_with_stack, o.samplesWithStack);
  assert.equal(s.cpu_samples_without_stack, o.samples - o.samplesWithStack);
  assert.equal(s.implausible_image_events, o.implausibleImages);
});

test('unmapped kernel and user addresses and implausible image events: exact counts from the scenario', async () => {
  const scenario = {
    cpus: 2, pointer_size: 8, compressed: false, buffer_size: 65536, duration_s: 2, seed: 7,
    sample_rate_hz: 1000, implausible_images: 3,
    modules: [
      { name: 'ntoskrnl.exe', path: '\\SystemRoot\\system32\\ntoskrnl.exe', base: '0xfffff80070600000', size: 8388608, samples: { weight: 5 } },
      { name: 'hidden.sys', base: '0xfffff80079000000', size: 65536, unmapped: true, samples: { weight: 2, stack: ['ntoskrnl.exe'] } },
      { name: 'jit', base: '0x0000000012340000', size: 1048576, unmapped: true, samples: { weight: 3 } },
      { name: 'app.exe', path: '\\Device\\HarddiskVolume2\\app\\app.exe', base: '0x00007ff600000000', size: 4194304, samples: { weight: 4, stack: ['jit'] } },
    ],
  };
  const g = generate(srv.dir, 'unmapped', scenario, false);
  const e = g.expected;
  assert.ok(e.samples_unmapped_kernel > 0 && e.samples_unmapped_user > 0);
  const { drivers, run } = await upload(readFileSync(g.path), 'unmapped.etl');
  assert.equal(drivers.totals.samples, e.samples);
  assert.equal(drivers.totals.idle_samples, 0);
  assert.equal(drivers.unknown_kernel.samples, e.samples_unmapped_kernel);
  assert.equal(drivers.user_code_without_image.samples, e.samples_unmapped_user);
  const kr = drivers.unknown_kernel.trace_ranges;
  assert.equal(kr.length, 1);
  assert.ok(BigInt(kr[0].lo) >= 0xfffff80079000000n && BigInt(kr[0].hi) < 0xfffff80079010000n);
  assert.equal(kr[0].samples, e.samples_unmapped_kernel);
  const ur = drivers.user_code_without_image.trace_ranges;
  assert.equal(ur.reduce((s, r) => s + r.samples, 0), e.samples_unmapped_user);
  // The mapped modules keep their exact counts; app.exe resolves in its own process.
  for (const name of ['ntoskrnl.exe', 'app.exe']) {
    const row = drivers.drivers.find((d) => d.name === name);
    const x = e.modules.find((m) => m.name === name);
    assert.deepEqual([row.cpu.exclusive, row.cpu.inclusive], [x.samples_ip, x.samples_on_stack], name);
  }
  // Implausible image events: a warning, no module row.
  assert.equal(run.summary.implausible_image_events, 3);
  assert.ok(run.warnings.some((w) => w.code === 'implausible_image'), JSON.stringify(run.warnings));
  assert.deepEqual(drivers.drivers.filter((d) => d.module_id >= 0).map((d) => d.name).sort(), ['app.exe', 'ntoskrnl.exe']);
  // The hidden-driver hint names only the kernel-space part; user code is a note of its own.
  const f = (await getJson(`${srv.url}/api/runs/${drivers.id ?? run.id}/findings`)).body;
  const hidden = f.findings.find((x) => x.id === 'code-outside-modules');
  const user = f.findings.find((x) => x.id === 'user-code-without-image');
  assert.equal(hidden.numbers.samples, e.samples_unmapped_kernel);
  assert.equal(user.numbers.samples, e.samples_unmapped_user);
});

test('DPCs that interrupt the idle loop are their drivers\' busy time, not Idle: flagged or inside an interval', async () => {
  // Windows puts a sample taken in a DPC/ISR on the interrupted thread, here the Idle
  // process's thread 0. ndis.sys DPCs set the ExecutingDPC flag on their samples;
  // storport.sys DPCs do not, so only their [InitialTime, end) intervals say so.
  const inside = (leaf) => ({ every_us: 100, flag: leaf === 'ndis.sys', stacks: true,
    samples: [{ leaf, callers: ['ntoskrnl.exe'], weight: 1 }] });
  const scenario = {
    cpus: 2, pointer_size: 8, duration_s: 1, seed: 11, sample_rate_hz: 1000, computer_name: 'FS01',
    processes: [{ pid: 0, name: 'Idle' }, { pid: 4, name: 'System' }, { pid: 2000, name: 'app.exe', command_line: 'app.exe --serve' }],
    interrupted_process: 0,
    modules: [
      { name: 'ntoskrnl.exe', base: '0xfffff80070600000', size: 1048576, samples: { weight: 1, process: 4 } },
      { name: 'intelppm.sys', base: '0xfffff80071600000', size: 65536, samples: { weight: 3, process: 0 } },
      { name: 'ndis.sys', base: '0xfffff80072a00000', size: 65536, dpc: { rate: 400, duration_us: { dist: 'fixed', value: 300 }, inside: inside('ndis.sys') } },
      { name: 'storport.sys', base: '0xfffff80071800000', size: 65536, dpc: { rate: 300, duration_us: { dist: 'fixed', value: 250 }, inside: inside('storport.sys') } },
      { name: 'app.exe', base: '0x00007ff600000000', size: 65536, samples: { weight: 2, process: 2000 } },
    ],
  };
  const g = generate(srv.dir, 'idle-dpc', scenario, false);
  const e = g.expected, mod = (n) => e.modules.find((m) => m.name === n);
  const idleThread = e.process_samples.find((p) => p.pid === 0).samples;
  const insideAll = mod('ndis.sys').inside.samples + mod('storport.sys').inside.samples;
  assert.ok(mod('ndis.sys').inside.samples > 100 && mod('storport.sys').inside.samples > 100);
  // by hand: the Idle thread's samples minus those inside DPCs are Idle; every inside
  // sample counts for the module it ran in
  const wantIdle = idleThread - insideAll;
  const o = scan(g.path);
  assert.equal(o.idle, wantIdle, 'the independent decoder agrees with the scenario');

  const { drivers, run } = await upload(readFileSync(g.path), 'idle-dpc.etl');
  assert.equal(drivers.totals.samples, e.samples);
  assert.equal(drivers.totals.idle_samples, wantIdle);
  assert.equal(drivers.idle.samples, wantIdle);
  for (const name of ['ndis.sys', 'storport.sys', 'intelppm.sys', 'ntoskrnl.exe']) {
    const row = drivers.drivers.find((d) => d.name === name);
    const x = mod(name);
    // intelppm.sys runs only in the Idle thread outside DPCs: Idle, never its CPU time
    const want = name === 'intelppm.sys' ? [0, 0] : [x.samples_ip, x.samples_on_stack];
    assert.deepEqual([row ? row.cpu.exclusive : 0, row ? row.cpu.inclusive : 0], want, name);
  }
  assert.equal(run.summary.idle_samples, wantIdle);
  assert.equal(run.summary.computer_name, 'FS01');
  const procs = new Map(run.summary.processes.map((p) => [p.pid, p]));
  assert.deepEqual([procs.get(0).name, procs.get(0).samples], ['Idle', idleThread]);
  assert.deepEqual([procs.get(2000).name, procs.get(2000).samples], ['app.exe', e.process_samples.find((p) => p.pid === 2000).samples]);
  // The stack store keeps them apart from the idle thread: a pseudo-thread of Idle, in the
  // trees by default; the idle loop (thread 0) is left out.
  const sp = (await getJson(`${srv.url}/api/runs/${run.id}/processes`)).body;
  const idleRow = sp.processes.find((p) => p.pid === 0);
  assert.equal(idleRow.threads, 1);
  assert.deepEqual(idleRow.busiest_threads.find((t) => t.tid === 4294967294),
    { tid: 4294967294, name: 'DPCs and ISRs interrupting the idle loop', samples: insideAll });
  const tree = (await getJson(`${srv.url}/api/runs/${run.id}/stacks/tree?group=module&min_share=0`)).body;
  assert.equal(tree.total, e.samples - wantIdle);
});
