// panel_trace.js — the facts of an ETW trace from its header and the reader's counts: OS
// build, CPUs, pointer size, clock, start, duration, buffers, compression, lost events and
// the kernel groups that were enabled (which decide what the other panels can show).
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);
  const int = (n) => fmt.count(n === null || n === undefined ? n : Number(n));
  const clocks = { 1: 'QueryPerformanceCounter', 2: 'system time', 3: 'CPU cycle counter' };

  function init(run) {
    const s = run.summary;
    const lost = (s.events_lost || 0) + (s.buffers_lost || 0);
    const facts = [
      ['Computer', s.computer_name || '—'],
      ['Windows', s.os_build ? `${s.os_version || ''} build ${s.os_build}` : '—'],
      ['CPUs', s.cpus === undefined ? '—' : String(s.cpus)],
      ['Pointer size', s.pointer_size ? `${s.pointer_size * 8}-bit (${s.pointer_size} bytes)` : '—'],
      ['Clock', `${clocks[s.clock_type] || `type ${s.clock_type}`}${s.qpc_frequency && s.clock_type === 1 ? ` at ${int(s.qpc_frequency)} Hz` : ''}`],
      ['Start (UTC)', es.fmtTime(s.start_utc_us / 1000, true)],
      ['Duration', es.fmtDuration((s.duration_us || 0) / 1e6)],
      ['Buffers', `${int(s.buffers)} × ${es.fmtBytes(s.buffer_size)}`],
      ['Compressed', s.compressed ? `yes (${s.compression_format_name || 'unknown'}, ${int(s.compressed_buffers)} buffers)` : 'no'],
      ['Events', int(s.events)],
      ['Events lost', lost ? `${int(s.events_lost)} events, ${int(s.buffers_lost)} buffers — figures may be incomplete` : '0'],
      ['Logger', `${s.logger_name || '—'}${s.circular ? ' (circular)' : ''}${s.relogged ? ' (relogged)' : ''}`],
      ['Kernel groups', s.group_masks_present ? ((s.kernel_groups || []).join(', ') || 'none') : 'not recorded in the header'],
      ['DPC/ISR tracing', s.dpcisr_enabled ? `on — ${int(s.dpcisr_records)} DPC/ISR records` : 'off'],
      ['Loaded modules', int(s.modules)],
      ['CPU samples', int(s.cpu_samples)],
    ];
    const dl = $('trace-facts');
    dl.replaceChildren();
    for (const [k, v] of facts) {
      dl.appendChild(es.el('dt', {}, k));
      dl.appendChild(es.el('dd', { class: (k === 'Events lost' && lost) || (k === 'DPC/ISR tracing' && !s.dpcisr_enabled) ? 'bad' : '' }, v));
    }
  }

  view.panels.push({ section: 'trace-panel', applies: (r) => r.format === 'etl' && !!r.summary, init });
})();
