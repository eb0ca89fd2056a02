// panel_io.js — disk and file I/O of ETW runs (issue 15): totals, the latency histogram per
// operation on log2 µs buckets and the queue depth over time (Chart.js), per-process and
// per-file tables, the slowest I/Os, file operations per (op, process, file), and the
// DiskIo/FileIo event counts (minifilter events are counted, not decoded). Text only through
// textContent (es.el); numbers through fmt. Whole trace, but for the block that follows the
// page's window and CPU selection (the endpoints' exact `selection`, selection.js).
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);
  const ms = (ns) => fmt.us(ns / 1000);
  const proc = (pid) => (pid === null ? 'unknown' : String(pid));
  const opLabel = { read: 'Read', write: 'Write', flush: 'Flush' };

  function table(id, headers, rows) {
    const head = es.el('tr', {}, headers.map(([h, num]) => es.el('th', num ? { class: 'num' } : {}, h)));
    const body = rows.map((cells) => es.el('tr', {}, cells.map(([v, num]) => es.el('td', num ? { class: 'num' } : {}, v))));
    $(id).replaceChildren(es.el('thead', {}, head), es.el('tbody', {}, body));
  }

  const sums = (r) => [[fmt.count(r.count), true], [fmt.bytes(r.bytes), true], [ms(r.total_ns), true], [ms(r.avg_ns), true], [ms(r.max_ns), true]];
  const sumHeads = [['I/Os', true], ['Bytes', true], ['Total', true], ['Average', true], ['Max', true]];

  function bucketLabel(edges, i) {
    if (i === 0) return `< ${fmt.us(edges[0])}`;
    if (i >= edges.length) return `≥ ${fmt.us(edges[edges.length - 1])}`;
    return `${fmt.us(edges[i - 1])}–${fmt.us(edges[i])}`;
  }

  function drawHistogram(d) {
    const colors = { read: '#2b6cb0', write: '#c05621', flush: '#6b46c1' };
    const n = d.histogram.read.length;
    let lo = n, hi = -1;
    for (const op of Object.keys(d.histogram))
      d.histogram[op].forEach((c, i) => { if (c) { lo = Math.min(lo, i); hi = Math.max(hi, i); } });
    if (hi < 0) return;
    const labels = [];
    for (let i = lo; i <= hi; i++) labels.push(bucketLabel(d.bucket_edges_us, i));
    const datasets = Object.keys(d.histogram).filter((op) => d.histogram[op].some((c) => c))
      .map((op) => ({ label: opLabel[op], data: d.histogram[op].slice(lo, hi + 1), backgroundColor: colors[op] }));
    new Chart($('io-hist'), {
      type: 'bar', data: { labels, datasets },
      options: { animation: false, maintainAspectRatio: false, scales: { x: { stacked: true, title: { display: true, text: 'latency (driver-measured response time)' } }, y: { stacked: true, title: { display: true, text: 'I/Os' } } },
        plugins: { legend: { position: 'bottom' }, tooltip: { callbacks: { label: (it) => `${it.dataset.label}: ${fmt.count(it.parsed.y)}` } } } },
    });
  }

  function drawQueue(d) {
    const palette = ['#2b6cb0', '#c05621', '#2f855a', '#6b46c1', '#b83280', '#718096'];
    const datasets = d.queue_depth.map((q, k) => ({
      label: `disk ${q.disk}`, borderColor: palette[k % palette.length], borderWidth: 1.3, pointRadius: 0,
      data: q.avg_in_flight.map((y, i) => ({ x: ((i + 0.5) * q.slice_ns) / 1e9, y })),
    }));
    if (!datasets.length) return;
    new Chart($('io-queue'), {
      type: 'line', data: { datasets },
      options: { animation: false, maintainAspectRatio: false, parsing: false,
        scales: { x: { type: 'linear', title: { display: true, text: 's since trace start' } }, y: { beginAtZero: true, title: { display: true, text: 'I/Os in flight (average)' } } },
        plugins: { legend: { position: 'bottom' }, tooltip: { callbacks: { label: (it) => `${it.dataset.label}: ${fmt.number(it.parsed.y)}` } } } },
    });
  }

  function render(d, f) {
    const t = d.totals;
    $('io-summary').textContent = `${fmt.count(t.count)} disk I/Os, ${fmt.bytes(t.bytes)}, average ${ms(t.avg_ns)}, slowest ${ms(t.max_ns)}.`;
    drawHistogram(d);
    drawQueue(d);
    table('io-procs', [['Process id', false], ...sumHeads], d.by_process.map((r) => [[proc(r.pid), false], ...sums(r)]));
    table('io-files', [['File', false], ...sumHeads], d.by_file.slice(0, 20).map((r) => [[r.file === null ? '(not named in the trace)' : r.file, false], ...sums(r)]));
    table('io-slowest', [['Latency', true], ['Op', false], ['Disk', true], ['Process id', false], ['Bytes', true], ['File', false]],
      d.slowest.map((r) => [[ms(r.duration_ns), true], [opLabel[r.op] || r.op, false], [String(r.disk), true], [proc(r.pid), false], [fmt.bytes(r.size), true], [r.file === null ? '—' : r.file, false]]));
    const ops = f ? f.rows : [];
    $('io-fileops-note').textContent = ops.length ? '' : 'No file operations in this trace (FILE_IO and FILE_IO_INIT were not recorded, or nothing was opened).';
    table('io-fileops', [['Operation', false], ['Process id', false], ['File', false], ['Count', true], ['Timed', true], ['Bytes', true], ['Total', true], ['Max', true]],
      ops.slice(0, 50).map((r) => [[r.op, false], [proc(r.pid), false], [r.file === null ? '(not named in the trace)' : r.file, false], [fmt.count(r.count), true], [fmt.count(r.completed), true], [fmt.bytes(r.bytes), true], [ms(r.total_ns), true], [ms(r.max_ns), true]]));
    const types = [...d.event_types.map((r) => ['DiskIo', r]), ...(f ? f.event_types.map((r) => ['FileIo', r]) : [])];
    table('io-types', [['Provider', false], ['Event', false], ['Count', true], ['Not decoded', true]],
      types.map(([g, r]) => [[g, false], [r.name, false], [fmt.count(r.count), true], [fmt.count(r.undecoded), true]]));
  }

  function showSelection(d, f) {
    const opName = (r) => opLabel[r.op] || r.op;
    selection.show($('io-sel-disk'), 'Disk I/O in the selection', d.selection, 'the histogram, queue depth, files and slowest I/Os',
      [['Process id'], ['Disk', 1], ['Op'], ...sumHeads.slice(0, 4)],
      d.selection.rows.map((r) => [[proc(r.pid)], [String(r.disk), 1], [opName(r)], [fmt.count(r.count), 1], [fmt.bytes(r.bytes), 1],
        [ms(r.total_ns), 1], [r.avg_ns === null ? '—' : ms(r.avg_ns), 1]]));
    if (f)
      selection.show($('io-sel-file'), 'File operations in the selection', f.selection, 'files and maxima',
        [['Process id'], ['Operation'], ['Count', 1], ['Timed', 1], ['Bytes', 1], ['Total', 1]],
        f.selection.rows.map((r) => [[proc(r.pid)], [r.op], [fmt.count(r.count), 1], [fmt.count(r.completed), 1],
          [fmt.bytes(r.bytes), 1], [ms(r.total_ns), 1]]));
  }

  async function loadSelection(run) {
    const base = `/api/runs/${encodeURIComponent(run.id)}`;
    const q = selection.query().toString();
    try {
      const d = await es.api(`${base}/diskio?${q}`);
      const f = (run.summary.counts || {}).FileIoOther ? await es.api(`${base}/fileio?${q}`) : null;
      showSelection(d, f);
      $('io-panel').dataset.query = q; // what the selection block now shows (tests wait on it)
    } catch (e) {
      $('io-error').textContent = e.message;
      es.show($('io-error'), true);
    }
  }

  function showEmpty() {
    $('io-empty').replaceChildren(
      es.el('p', { class: 'empty-title' }, 'Disk I/O was not recorded in this trace.'),
      es.el('p', {}, ['Record with the DISK_IO, DISK_IO_INIT, FILE_IO and FILENAME kernel flags: ', es.el('a', { href: '/record', id: 'io-record-link' }, 'Record a trace'), ' has the profile, the xperf command lines and a script that uploads here.']),
    );
    es.show($('io-empty'), true);
    es.show($('io-body'), false);
    $('io-panel').dataset.ready = 'empty';
  }

  async function load(run) {
    const base = `/api/runs/${encodeURIComponent(run.id)}`;
    try {
      const q = selection.query().toString();
      const d = await es.api(`${base}/diskio?${q}`);
      let f = null;
      if ((run.summary.counts || {}).FileIoOther) f = await es.api(`${base}/fileio?${q}`);
      render(d, f);
      showSelection(d, f);
      $('io-panel').dataset.query = q;
      selection.watch(() => loadSelection(run));
      es.show($('io-body'), true);
      $('io-panel').dataset.ready = 'done';
    } catch (e) {
      $('io-error').textContent = e.message;
      es.show($('io-error'), true);
      $('io-panel').dataset.ready = 'error';
    }
  }

  view.panels.push({
    section: 'io-panel',
    applies: (run) => run.format === 'etl',
    init(run) {
      if (!(run.summary.counts || {}).DiskIoOther) { showEmpty(); return; } // the summary counts the group as "DiskIoOther"
      return load(run);
    },
  });
})();
