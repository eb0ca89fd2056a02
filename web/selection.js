// selection.js — the "In the selection" block of the syscall, scheduling and I/O panels:
// the page's time window and CPU selection as a query string, and the note and table of an
// endpoint's `selection` (exact counts and sums over whole 100 ms slices; percentiles,
// maxima, histograms and files stay whole-trace: docs/api.md "The selection"). Text only
// through textContent (es.el).
'use strict';

const selection = {
  // Is a window or a CPU subset selected on the page?
  active() { return view.num('from') !== null || view.num('to') !== null || !!view.get('cpus'); },

  query() {
    const q = view.windowQuery();
    const c = view.get('cpus');
    if (c) q.set('cpus', c);
    return q;
  },

  // Call fn when the window or the CPUs change.
  watch(fn) {
    view.onChange((ch) => { if (ch.has('*') || ch.has('from') || ch.has('to') || ch.has('cpus')) fn(); });
  },

  note(s, whole) {
    const w = s.window;
    const cpus = s.cpus ? `, CPUs ${s.cpus.join(', ')}` : ', all CPUs';
    if (!s.stored) return 'This run was stored before per-slice figures existed: upload it again to filter these tables.';
    return `${es.fmtTime(w.from, true)} – ${es.fmtTime(w.to, true)} (whole 100 ms slices)${cpus}. ` +
      `Counts and times here are exact for the selection; ${whole} below cover the whole trace.`;
  },

  // Fill box (a hidden container) with a heading, the note and a table of rows.
  show(box, title, s, whole, heads, rows) {
    if (!selection.active()) { es.show(box, false); box.replaceChildren(); return; }
    const head = es.el('tr', {}, heads.map(([h, num]) => es.el('th', num ? { class: 'num' } : {}, h)));
    const body = rows.length ? rows.map((cells) => es.el('tr', {}, cells.map(([v, num]) => es.el('td', num ? { class: 'num' } : {}, v))))
      : [es.el('tr', {}, es.el('td', { colspan: String(heads.length), class: 'hint' }, 'Nothing in the selection.'))];
    box.replaceChildren(
      es.el('h3', {}, title),
      es.el('p', { class: 'hint' }, selection.note(s, whole)),
      es.el('div', { class: 'table-scroll' }, es.el('table', { class: 'table' }, [es.el('thead', {}, head), es.el('tbody', {}, body)])),
    );
    es.show(box, true);
  },
};
