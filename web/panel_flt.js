// panel_flt.js — minifilter delays of ETW runs (issue 15): WPA's Mini-Filter Delays table
// from GET /api/runs/{id}/minifilter — the layout verdict (the payload order is not
// published: the trace must prove it, else the events are only counted), per driver (vendor,
// category) pre + post, per (driver, major function, pre/post) with max and the counts over
// 1/10/100 ms, the files (only where the trace pinned the FileObject slot, else "file not
// identified") and the slowest delays (whole trace). Text only through
// textContent (es.el); numbers through fmt.
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);
  const ms = (ns) => (ns === null || ns === undefined ? '—' : fmt.us(ns / 1000));
  const proc = (pid) => (pid === null ? 'unknown' : String(pid));
  const orNone = (s, none) => (s === null || s === undefined || s === '' ? none : s);

  function table(id, headers, rows) {
    const head = es.el('tr', {}, headers.map(([h, num]) => es.el('th', num ? { class: 'num' } : {}, h)));
    const body = rows.map((cells) => es.el('tr', {}, cells.map(([v, num]) => es.el('td', num ? { class: 'num' } : {}, v))));
    $(id).replaceChildren(es.el('thead', {}, head), es.el('tbody', {}, body));
  }

  function verdict(d) {
    const l = d.layout;
    if (d.decoded)
      return `Minifilter layout validated on this trace: ${fmt.count(l.valid)} of ${fmt.count(l.checked)} records checked fit (${fmt.count(l.events)} events).`;
    return `Minifilter events present (${fmt.count(l.events)}); their layout did not validate on this trace: ${fmt.count(l.valid)} of ${fmt.count(l.checked)} checked. They are counted, not decoded — no delays are shown.`;
  }

  // Which pointer of the records is the FileObject, on what evidence (the trace pins it by
  // its FileIo file objects, or files stay unidentified — never guessed).
  function fileNote(d) {
    const fo = d.layout.file_object;
    if (!fo)
      return 'File not identified: this run was read before the FileObject slot was pinned; upload the trace again to see files.';
    if (d.files_identified)
      return `Files: the records' ${fo.slot} pointer is the file object — ${fmt.count(fo.matches[fo.slot])} of ${fmt.count(fo.records)} deciding records held one of the trace's FileIo file objects there.`;
    if (!fo.file_objects_seen)
      return `File not identified: no pointer of the minifilter records clearly matched the trace's FileIo file objects (${fmt.count(fo.file_objects_seen)} seen). Record FileIO and Filename events with the minifilter ones to see files.`;
    // FileIo objects were recorded: the records' layout, not the recording, left it open
    const best = Math.max(0, ...Object.values(fo.matches || {}));
    return `File not identified: the trace has ${fmt.count(fo.file_objects_seen)} FileIo file objects, but no pointer of the minifilter records matched them clearly (at most ${fmt.count(best)} of ${fmt.count(fo.records)} deciding records); files are not guessed.`;
  }

  function render(d) {
    $('flt-verdict').textContent = verdict(d);
    es.show($('flt-body'), d.decoded);
    if (!d.decoded) return;
    $('flt-file-note').textContent = fileNote(d);
    const file = (f) => (d.files_identified ? orNone(f, '(not named in the trace)') : 'file not identified');
    const who = (r) => [[r.module, false], [orNone(r.vendor, 'unknown'), false], [r.category_label || r.category || '', false]];
    table('flt-drivers', [['Driver', false], ['Vendor', false], ['Category', false], ['Pre', true], ['Post', true], ['Total', true], ['Callbacks', true], ['Over 10 ms', true]],
      d.selection.drivers.map((r) => [...who(r), [ms(r.pre.total_ns), true], [ms(r.post.total_ns), true], [ms(r.total.total_ns), true],
        [fmt.count(r.total.count), true], [fmt.count(r.total.over_10ms), true]]));
    const w = d.whole_trace;
    table('flt-rows', [['Driver', false], ['Function', false], ['Op', false], ['Count', true], ['Total', true], ['Average', true], ['Max', true], ['> 1 ms', true], ['> 10 ms', true], ['> 100 ms', true]],
      w.rows.map((r) => [[r.module, false], [r.major_function, false], [r.operation, false], [fmt.count(r.count), true], [ms(r.total_ns), true],
        [r.count ? ms(r.total_ns / r.count) : '—', true], [ms(r.max_ns), true], [fmt.count(r.over_1ms), true], [fmt.count(r.over_10ms), true], [fmt.count(r.over_100ms), true]]));
    table('flt-files', [['Driver', false], ['File', false], ['Count', true], ['Total', true], ['Max', true]],
      w.by_file.map((r) => [[r.module, false], [file(r.file), false], [fmt.count(r.count), true], [ms(r.total_ns), true], [ms(r.max_ns), true]]));
    table('flt-slowest', [['Delay', true], ['Driver', false], ['Function', false], ['Op', false], ['Process id', false], ['Thread', true], ['File', false]],
      w.slowest.map((r) => [[ms(r.delay_ns), true], [r.module, false], [r.major_function, false], [r.operation, false], [proc(r.pid), false], [String(r.tid), true], [file(r.file), false]]));
  }

  view.panels.push({
    section: 'flt-panel',
    applies: (run) => run.format === 'etl' && !!(run.summary || {}).minifilter,
    async init(run) {
      try {
        render(await es.api(`/api/runs/${encodeURIComponent(run.id)}/minifilter`));
        $('flt-panel').dataset.ready = 'done';
      } catch (e) {
        $('flt-error').textContent = e.message;
        es.show($('flt-error'), true);
        $('flt-panel').dataset.ready = 'error';
      }
    },
  });
})();
