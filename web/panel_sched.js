// panel_sched.js — syscalls and scheduling of an ETW trace: syscall cost per process and
// syscall address (count, average, p99, max, samples inside) with the modules on the stacks
// of those samples; per thread running / ready / waiting time, context switches, top wait
// reasons, and who readied whom (a thread, or a DPC). Whole-trace aggregates
// (/api/runs/{id}/syscalls and /scheduling), and above them, when the page has a window or
// CPU selection, the same endpoints' exact `selection` (selection.js); "not recorded" says
// which xperf flags record them. Text only through textContent (es.el).
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);
  const XPERF = 'xperf -on PROC_THREAD+LOADER+CSWITCH+DISPATCHER+SYSCALL -stackwalk CSwitch+ReadyThread';
  const us = (ns) => fmt.us(ns / 1e3);
  const who = (pid, name) => (pid === null ? 'unknown' : `${name || 'pid'} (${pid})`);

  function row(cells) {
    const tr = es.el('tr');
    for (const [v, num] of cells) tr.appendChild(es.el('td', num ? { class: 'num' } : {}, v));
    return tr;
  }

  function fill(body, rows, empty, cols) {
    body.replaceChildren();
    if (!rows.length) body.appendChild(es.el('tr', {}, es.el('td', { colspan: String(cols), class: 'hint' }, empty)));
    for (const r of rows) body.appendChild(r);
  }

  function notRecorded(id, what, rec) {
    const p = $(id);
    es.show(p, !rec);
    if (!rec) p.replaceChildren(`${what} not recorded in this trace. Record them with: `, es.el('code', {}, XPERF));
  }

  function showSyscalls(d) {
    notRecorded('sched-syscalls-none', 'Syscalls were', d.recorded);
    fill($('sched-syscalls-body'), d.syscalls.map((s) => row([
      [who(s.pid, s.process)],
      [s.name || (s.module ? `${s.module}+${s.offset}` : s.address)], // name: module!function+0xOFF (symbols)
      [fmt.count(s.count), 1], [us(s.total_ns), 1], [us(s.avg_ns), 1], [us(s.p99_ns), 1],
      [us(s.max_ns), 1], [fmt.count(s.samples), 1],
    ])), 'No paired syscalls.', 8);
    fill($('sched-stackmods-body'), d.stack_modules.map((m) => row([
      [who(m.pid, '')], [m.module], [fmt.count(m.samples), 1],
    ])), 'No CPU samples inside syscalls.', 3);
  }

  function showThreads(d) {
    notRecorded('sched-threads-none', 'Context switches were', d.recorded);
    fill($('sched-threads-body'), d.threads.map((t) => row([
      [String(t.tid)], [who(t.pid, t.process)],
      [fmt.ms(t.running_ns / 1e6), 1], [fmt.ms(t.ready_ns / 1e6), 1], [fmt.ms(t.waiting_ns / 1e6), 1],
      [fmt.count(t.switches), 1],
      [t.wait_reasons.map((w) => `${w.name || `reason ${w.reason}`} ${fmt.count(w.count)}× ${fmt.ms(w.wait_ns / 1e6)}`).join('; ')],
    ])), 'No threads.', 7);
    fill($('sched-ready-body'), d.readied_by.map((r) => row([
      [`${r.tid} — ${who(r.pid, r.process)}`],
      [r.from_dpc ? `a DPC (interrupting thread ${r.by_tid === null ? '?' : r.by_tid})`
        : r.by_tid === null ? 'unknown' : `thread ${r.by_tid} — ${who(r.by_pid, r.by_process)}`],
      [fmt.count(r.count), 1], [fmt.ms(r.ready_ns / 1e6), 1],
    ])), 'No ReadyThread events.', 4);
  }

  function showSelection(sc, th) {
    const label = new Map(sc.syscalls.map((s) => [s.address, s.module ? `${s.module}+${s.offset}` : s.address]));
    const names = new Map(th.threads.map((t) => [t.pid, t.process]));
    selection.show($('sched-sel-syscalls'), 'Syscalls in the selection', sc.selection, 'p99, longest and samples',
      [['Process'], ['Syscall'], ['Calls', 1], ['Total', 1], ['Average', 1]],
      sc.selection.rows.map((r) => [[who(r.pid, names.get(r.pid))], [label.get(r.address) || r.address],
        [fmt.count(r.count), 1], [us(r.total_ns), 1], [r.avg_ns === null ? '—' : us(r.avg_ns), 1]]));
    selection.show($('sched-sel-threads'), 'Threads in the selection', th.selection, 'wait reasons and readied-by',
      [['Thread'], ['Process'], ['Running', 1], ['Ready', 1], ['Waiting', 1], ['Switches', 1], ['Ready behind DPCs/ISRs', 1]],
      th.selection.rows.map((r) => [[String(r.tid)], [who(r.pid, names.get(r.pid))], [fmt.ms(r.running_ns / 1e6), 1],
        [fmt.ms(r.ready_ns / 1e6), 1], [fmt.ms(r.waiting_ns / 1e6), 1], [fmt.count(r.switches), 1],
        [fmt.ms(r.ready_behind_dpc_ns / 1e6), 1]]));
  }

  // The syscalls' and the scheduling answers of the selection.
  function urls(run, q) {
    const base = `/api/runs/${encodeURIComponent(run.id)}`;
    return [`${base}/syscalls?${q}`, `${base}/scheduling?${q}`];
  }

  async function load(run) {
    const q = selection.query().toString();
    const err = $('sched-error');
    es.show(err, false);
    try {
      const [sc, th] = await Promise.all(urls(run, q).map(view.take));
      showSyscalls(sc);
      showThreads(th);
      showSelection(sc, th);
      if (th.recorded) await schedTimeline.show(run, $('sched-tl'), q);
    } catch (e) {
      err.textContent = `Cannot load syscalls and scheduling: ${e.message}`;
      es.show(err, true);
    }
    $('sched-panel').dataset.ready = '1';
    $('sched-panel').dataset.query = q; // what the tables now show (tests wait on it)
  }

  async function init(run) {
    await load(run);
    selection.watch(() => load(run));
  }

  view.panels.push({
    section: 'sched-panel',
    applies: (r) => r.format === 'etl' && !!r.summary,
    askAhead: (run) => { for (const u of urls(run, selection.query().toString())) view.askAhead(u); },
    init,
  });
})();
