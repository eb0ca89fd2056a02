// panel_dpcisr.js — DPC/ISR durations from an ETW trace: the duration histogram on the
// shared log buckets against Microsoft's guideline (DPC 100 µs, ISR 25 µs), the per-module
// table, per-CPU DPC+ISR time as a CPU × time heatmap and stacked per-module bars, the
// longest events and the events of a clicked bucket. View keys: hist (dpc | isr), bucket
// (the clicked histogram bucket), module, cpus, from, to. Traces recorded without DPC/ISR
// tracing get an empty state saying how to record it.
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);
  const charts = {};
  const url = (what, q) => `/api/runs/${encodeURIComponent(view.runId)}/dpcisr/${what}?${q}`;
  const api = (what, q) => es.api(url(what, q));
  let run = null;
  let moduleNames = new Map(); // id → name, from the module table
  let modRows = [];
  let sort = { key: 'total', dir: -1 };
  let seq = 0;
  let picked = null; // the bucket whose events are being shown (view key bucket is the truth)
  const BUCKET_LIMIT = 200;

  const int = fmt.count, pct = fmt.percent, us = fmt.us, ms = fmt.ms;
  const kindSel = () => (view.get('hist') === 'isr' ? 'isr' : 'dpc');

  // The shared filter as a query string (window, module, CPUs); extra keys added by callers.
  function filterQuery() {
    const q = view.windowQuery();
    const m = view.get('module');
    if (m !== null && /^-?\d+$/.test(m)) q.set('module', m);
    const c = view.get('cpus');
    if (c) q.set('cpus', c);
    return q;
  }

  // ---- filter chips and CPU picker ----
  function parseCpus(s) {
    const set = new Set();
    for (const part of (s || '').split(',')) {
      const m = part.trim().match(/^(\d+)(?:-(\d+))?$/);
      if (!m) continue;
      for (let c = Number(m[1]); c <= Number(m[2] || m[1]) && c < 4096; c++) set.add(c);
    }
    return set;
  }
  function formatCpus(set) {
    const a = [...set].sort((x, y) => x - y), out = [];
    for (let i = 0; i < a.length; i++) {
      let j = i;
      while (j + 1 < a.length && a[j + 1] === a[j] + 1) j++;
      out.push(j > i + 1 ? `${a[i]}-${a[j]}` : j === i + 1 ? `${a[i]},${a[j]}` : `${a[i]}`);
      i = j;
    }
    return out.join(',');
  }

  function renderChips() {
    const box = $('dpc-chips');
    box.replaceChildren();
    const chip = (label, key) => {
      const b = es.el('button', { type: 'button', class: 'chip', title: 'Remove this filter', 'data-key': key }, [label, es.el('span', { class: 'x', 'aria-hidden': 'true' }, '×')]);
      b.addEventListener('click', () => view.set({ [key]: null }));
      box.appendChild(b);
    };
    const m = view.get('module');
    if (m !== null) chip(`module: ${moduleNames.get(Number(m)) || `#${m}`}`, 'module');
    const c = view.get('cpus');
    if (c) chip(`CPUs ${c}`, 'cpus');
    es.show(box, box.childElementCount > 0);
  }

  function renderCpuPicker() {
    const box = $('dpc-cpus');
    const n = run.summary.cpus || 1;
    const sel = parseCpus(view.get('cpus'));
    box.replaceChildren(es.el('span', { class: 'hint' }, 'CPUs'));
    const all = es.el('button', { type: 'button', class: `cpu${sel.size ? '' : ' on'}`, 'aria-pressed': String(!sel.size) }, 'all');
    all.addEventListener('click', () => view.set({ cpus: null }));
    box.appendChild(all);
    for (let c = 0; c < n; c++) {
      const on = sel.has(c);
      const b = es.el('button', { type: 'button', class: `cpu${on ? ' on' : ''}`, 'aria-pressed': String(on), 'data-cpu': c }, String(c));
      b.addEventListener('click', () => {
        const s = parseCpus(view.get('cpus'));
        if (s.has(c)) s.delete(c); else s.add(c);
        view.set({ cpus: s.size && s.size < n ? formatCpus(s) : null });
      });
      box.appendChild(b);
    }
  }

  // ---- histogram ----
  function bucketLabel(edges, b) {
    const f = (v) => (v >= 1000 ? `${v / 1000} ms` : `${v}`);
    if (b === 0) return `≤${f(edges[0])}`;
    if (b === edges.length) return `>${f(edges[edges.length - 1])}`;
    return f(edges[b]);
  }
  function bucketRange(edges, b) {
    const f = (v) => (v >= 1000 ? `${v / 1000} ms` : `${v} µs`);
    if (b === 0) return `≤ ${f(edges[0])}`;
    if (b === edges.length) return `> ${f(edges[edges.length - 1])}`;
    return `${f(edges[b - 1])} – ${f(edges[b])}`;
  }

  // The guideline's dashed line at the first bucket above it, g = {bucket, us}: set on the
  // chart (chart.$guideline) as it is built, so its first paint has it; setting it after
  // and painting again cost a second paint of the histogram on every visit.
  const guidelinePlugin = (g) => ({
    id: 'guideline',
    beforeInit(chart) { chart.$guideline = g; },
    afterDatasetsDraw(chart) {
      const g = chart.$guideline;
      if (!g) return;
      const x = chart.scales.x;
      const px = (x.getPixelForValue(g.bucket - 1) + x.getPixelForValue(g.bucket)) / 2;
      const { top, bottom } = chart.chartArea;
      const ctx = chart.ctx;
      ctx.save();
      ctx.strokeStyle = '#dc2626'; ctx.lineWidth = 2; ctx.setLineDash([6, 4]);
      ctx.beginPath(); ctx.moveTo(px, top); ctx.lineTo(px, bottom); ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = '#b91c1c'; ctx.font = '600 12px system-ui, sans-serif'; ctx.textAlign = 'left';
      ctx.fillText(`guideline ${g.us} µs`, px + 6, top + 14);
      ctx.restore();
    },
  });

  function drawHistogram(h) {
    const k = kindSel();
    const s = h[k];
    const edges = h.edges_us;
    const fa = s.first_above_bucket;
    const labels = s.counts.map((_, b) => bucketLabel(edges, b));
    const name = k === 'dpc' ? 'DPCs' : 'ISRs';
    const cfg = {
      type: 'bar',
      data: { labels, datasets: [{
        label: name, data: s.counts,
        backgroundColor: s.counts.map((_, b) => (b >= fa ? '#dc2626' : '#64748b')),
        borderWidth: 0, barPercentage: 1, categoryPercentage: 0.92,
      }] },
      options: {
        animation: false, maintainAspectRatio: false,
        scales: {
          x: { title: { display: true, text: 'duration (µs, upper bucket edge; log buckets)' }, ticks: { autoSkip: false, maxRotation: 60, font: { size: 10 } }, grid: { display: false } },
          y: { beginAtZero: true, title: { display: true, text: `${name} in bucket` }, ticks: { callback: (v) => int(v) } },
        },
        plugins: {
          legend: { display: false },
          tooltip: { callbacks: {
            title: (it) => (it.length ? bucketRange(edges, it[0].dataIndex) : ''),
            label: (it) => `${int(it.raw)} ${name}${s.count ? ` (${pct(it.raw / s.count)})` : ''} — click to list them`,
          } },
        },
        onClick: (ev, els) => { if (els.length) view.set({ bucket: String(els[0].index) }); },
        onHover: (ev, els) => { ev.native.target.style.cursor = els.length ? 'pointer' : 'default'; },
      },
      plugins: [guidelinePlugin({ bucket: fa, us: s.guideline_us })],
    };
    if (charts.hist) charts.hist.destroy();
    charts.hist = new Chart($('dpc-hist'), cfg);
    charts.hist.$edges = edges;
    charts.hist.$counts = s.counts;

    const tiles = [
      [name, int(s.count)],
      [`above ${s.guideline_us} µs`, s.count ? `${int(s.above_count)} (${pct(s.above_share)})` : '—', s.above_count > 0],
      ['longest', us(s.count ? s.max_us : null), s.max_us > s.guideline_us],
      ['average', us(s.mean_us)],
      ['total time', ms(s.total_ms)],
      [`time above ${s.guideline_us} µs`, ms(s.above_total_ms)],
    ];
    $('dpc-stats').replaceChildren(...tiles.map(([label, v, bad]) =>
      es.el('div', { class: `tile${bad ? ' bad' : ''}` }, [es.el('div', { class: 'v' }, v), es.el('div', { class: 'l' }, label)])));
  }

  // ---- events tables ----
  function eventTable(node, d, emptyText) {
    node.replaceChildren();
    if (!d.events.length) { node.appendChild(es.el('p', { class: 'hint' }, emptyText)); return; }
    const head = ['time (UTC)', 's since start', 'CPU', 'module', 'kind', 'routine', 'duration'];
    const tbl = es.el('table', { class: 'table compact' }, [
      es.el('thead', {}, es.el('tr', {}, [...head.map((h, i) => es.el('th', { class: i === 1 || i === 2 || i === 6 ? 'num' : '', 'data-csv': i === 6 ? 'duration (µs)' : null }, h)),
        es.el('th', { hidden: true }, 'stored sample')])),
      es.el('tbody', {}, d.events.map((e) => es.el('tr', { class: e.sample ? 'sample' : '' }, [
        es.el('td', {}, es.fmtTime(e.t, true)),
        es.el('td', { class: 'num' }, e.t_s.toFixed(6)),
        es.el('td', { class: 'num' }, String(e.cpu)),
        es.el('td', {}, e.module),
        es.el('td', {}, e.kind.replace('_', ' ')),
        es.el('td', { class: 'mono' }, e.routine),
        es.el('td', { class: `num${e.sample ? '' : ' bad'}`, 'data-csv': e.duration_us }, [us(e.duration_us), e.sample ? es.el('span', { class: 'badge', title: 'a stored sample: below the guideline only examples are kept' }, 'sample') : null]),
        es.el('td', { hidden: true }, e.sample ? 'yes' : 'no'),
      ]))),
    ]);
    node.appendChild(es.el('div', { class: 'table-scroll' }, tbl));
  }

  // The clicked bucket from the view (key bucket), if it is one of the histogram's.
  function bucketPicked() {
    const b = view.num('bucket');
    const counts = charts.hist ? charts.hist.$counts : [];
    return b !== null && Number.isInteger(b) && b >= 0 && b < counts.length ? b : null;
  }

  function showPicked() {
    const b = bucketPicked();
    if (b === null) { picked = null; es.show($('dpc-bucket'), false); return; }
    showBucket(b);
  }

  async function showBucket(b) {
    picked = b;
    const q = filterQuery();
    q.set('kind', kindSel());
    q.set('bucket', String(b));
    q.set('limit', String(BUCKET_LIMIT));
    const edges = charts.hist ? charts.hist.$edges : null;
    $('dpc-bucket-title').textContent = `${kindSel().toUpperCase()}s of ${edges ? bucketRange(edges, b) : `bucket ${b}`}`;
    es.show($('dpc-bucket'), true);
    let d;
    try { d = await api('events', q); } catch (e) { $('dpc-bucket-note').textContent = e.message; return; }
    if (picked !== b) return;
    const total = charts.hist.$counts[b];
    $('dpc-bucket-note').textContent = d.events.length ? `${int(d.events.length)} of ${int(total)} ${kindSel().toUpperCase()}s in this bucket shown. ${d.note.charAt(0).toUpperCase()}${d.note.slice(1)}.` : '';
    eventTable($('dpc-bucket-events'), d, 'No events in this bucket for the current filter.');
  }

  // ---- module table ----
  const cols = [
    { key: 'name', label: 'module', get: (r) => r.name.toLowerCase(), cell: (r) => [es.el('span', { class: 'mod' }, r.name), r.path ? es.el('div', { class: 'path' }, r.path) : null, longestRoutine(r)] },
    { key: 'total', label: 'DPC+ISR time', csv: 'DPC+ISR time (ms)', num: true, get: (r) => r.total_ms, cell: (r) => ms(r.total_ms) },
    { key: 'share', label: '% of CPU time', csv: 'DPC+ISR share of the selected CPUs over the selected window (fraction)', num: true, title: 'DPC+ISR time / (selected CPUs × selected window): the whole machine and trace when nothing is selected', get: (r) => r.share_of_window, cell: (r) => pct(r.share_of_window) },
    { key: 'dcount', label: 'DPCs', csv: 'DPCs (count)', num: true, get: (r) => (r.dpc ? r.dpc.count : -1), cell: (r) => (r.dpc ? int(r.dpc.count) : '') },
    { key: 'davg', label: 'avg', csv: 'DPC avg (µs)', num: true, get: (r) => (r.dpc ? r.dpc.mean_us : -1), cell: (r) => (r.dpc ? us(r.dpc.mean_us) : ''), bad: (r) => r.dpc && r.dpc.mean_us > 100 },
    { key: 'dmed', label: 'median≈', csv: 'DPC median estimate (µs)', num: true, title: 'estimate from the log buckets (±25 %)', get: (r) => (r.dpc ? r.dpc.median_us : -1), cell: (r) => (r.dpc ? us(r.dpc.median_us) : '') },
    { key: 'dp99', label: 'p99≈', csv: 'DPC p99 estimate (µs)', num: true, title: 'estimate from the log buckets (±25 %)', get: (r) => (r.dpc ? r.dpc.p99_us : -1), cell: (r) => (r.dpc ? us(r.dpc.p99_us) : '') },
    { key: 'dmax', label: 'max', csv: 'DPC max (µs)', num: true, get: (r) => (r.dpc ? r.dpc.max_us : -1), cell: (r) => (r.dpc ? us(r.dpc.max_us) : ''), bad: (r) => r.dpc && r.dpc.max_us > 100 },
    { key: 'dabove', label: '> 100 µs', csv: 'DPCs over 100 µs (count)', num: true, get: (r) => (r.dpc ? r.dpc.above_count : -1), cell: (r) => (r.dpc ? `${int(r.dpc.above_count)}${r.dpc.above_count ? ` (${pct(r.dpc.above_share)})` : ''}` : ''), bad: (r) => r.dpc && r.dpc.above_count > 0 },
    { key: 'icount', label: 'ISRs', csv: 'ISRs (count)', num: true, get: (r) => (r.isr ? r.isr.count : -1), cell: (r) => (r.isr ? int(r.isr.count) : '') },
    { key: 'iavg', label: 'avg', csv: 'ISR avg (µs)', num: true, get: (r) => (r.isr ? r.isr.mean_us : -1), cell: (r) => (r.isr ? us(r.isr.mean_us) : ''), bad: (r) => r.isr && r.isr.mean_us > 25 },
    { key: 'imax', label: 'max', csv: 'ISR max (µs)', num: true, get: (r) => (r.isr ? r.isr.max_us : -1), cell: (r) => (r.isr ? us(r.isr.max_us) : ''), bad: (r) => r.isr && r.isr.max_us > 25 },
    { key: 'iabove', label: '> 25 µs', csv: 'ISRs over 25 µs (count)', num: true, get: (r) => (r.isr ? r.isr.above_count : -1), cell: (r) => (r.isr ? int(r.isr.above_count) : ''), bad: (r) => r.isr && r.isr.above_count > 0 },
    { key: 'cpus', label: 'CPUs', get: (r) => cpuList(r).length, cell: (r) => formatCpus(new Set(cpuList(r))) },
  ];
  // The routine of the module's longest above-guideline DPC (or ISR): module!function+0xOFF
  // once the run's symbols name it (issue 14).
  function longestRoutine(r) {
    const x = [r.dpc, r.isr].filter((k) => k && k.longest_routine).sort((a, b) => b.max_us - a.max_us)[0];
    return x ? es.el('div', { class: 'path mono routine', title: 'routine of its longest DPC/ISR above the guideline' }, `longest: ${x.longest_routine}`) : null;
  }
  // A module table cell's CSV value: the raw figure (get answers -1 for "no DPCs/ISRs").
  const rawOf = (v) => (v === null || v === undefined || v < 0 ? '' : v);
  function cpuList(r) { return [...new Set([...(r.dpc ? r.dpc.cpus : []), ...(r.isr ? r.isr.cpus : [])])]; }

  function renderTable() {
    const col = cols.find((c) => c.key === sort.key) || cols[1];
    const rows = modRows.slice().sort((a, b) => {
      const x = col.get(a), y = col.get(b);
      return (x < y ? -1 : x > y ? 1 : 0) * sort.dir;
    });
    const sel = view.get('module');
    const group = es.el('tr', { 'data-csv-skip': true }, [es.el('th', { colspan: 3 }), es.el('th', { colspan: 6, class: 'group' }, 'DPC (guideline 100 µs)'), es.el('th', { colspan: 4, class: 'group' }, 'ISR (guideline 25 µs)'), es.el('th')]);
    const head = es.el('tr', {}, cols.map((c) => {
      const th = es.el('th', { class: `sortable${c.num ? ' num' : ''}`, title: c.title || 'sort', 'aria-sort': c.key === sort.key ? (sort.dir > 0 ? 'ascending' : 'descending') : 'none', 'data-key': c.key, 'data-csv': c.csv },
        `${c.label}${c.key === sort.key ? (sort.dir > 0 ? ' ▲' : ' ▼') : ''}`);
      th.addEventListener('click', () => {
        sort = sort.key === c.key ? { key: c.key, dir: -sort.dir } : { key: c.key, dir: c.key === 'name' ? 1 : -1 };
        renderTable();
      });
      return th;
    }));
    const body = es.el('tbody', {}, rows.map((r) => {
      const tr = es.el('tr', { class: `clickable${String(r.id) === sel ? ' selected' : ''}`, 'data-module': r.id, title: `Filter every chart to ${r.name}` },
        cols.map((c) => es.el('td', { class: `${c.num ? 'num' : ''}${c.bad && c.bad(r) ? ' bad' : ''}`, 'data-csv': c.num ? rawOf(c.get(r)) : null }, c.cell(r))));
      tr.addEventListener('click', () => view.set({ module: String(r.id) === sel ? null : String(r.id) }));
      return tr;
    }));
    // The image path is its own CSV column (a hidden cell after the module's name).
    head.insertBefore(es.el('th', { hidden: true, 'data-csv': 'path' }, 'path'), head.children[1]);
    for (const [i, tr] of [...body.children].entries()) {
      tr.children[0].dataset.csv = rows[i].name;
      tr.insertBefore(es.el('td', { hidden: true }, rows[i].path || ''), tr.children[1]);
    }
    $('dpc-modules').replaceChildren(es.el('thead', {}, [group, head]), body);
    es.show($('dpc-modules-empty'), !rows.length);
  }

  // ---- timeline: CPU × time heatmap and stacked module bars ----
  // Both charts have the same x axis (ends at the data) and a y axis this wide, so a slice
  // is at the same pixels in both; the bars' legend sits below, not beside.
  const Y_WIDTH = 76;
  function drawTimeline(d) {
    const step = d.slice_ms;
    const labels = d.cpus.map((c) => `CPU ${c.cpu}`);
    // Fixed scale: 0 to 100 % of the CPU, the saturation limit of the findings marked.
    const max = 1;
    const data = [];
    d.cpus.forEach((c, row) => c.dpc.forEach((v, i) => {
      data.push({ x: d.t[i] + step / 2, y: labels[row], v: v + c.isr[i], dpc: v, isr: c.isr[i], cpu: c.cpu });
    }));
    const heat = view.heatmap({
      label: 'DPC+ISR share', t: d.t, step, labels, data, max, tickFont: { size: 10 }, box: $('dpc-heat-box'), yWidth: Y_WIDTH,
      tooltipLabel: (c) => [`DPC ${pct(c.dpc)} + ISR ${pct(c.isr)} of the CPU`, `slice ${ms(step)}`],
    });
    if (charts.heat) charts.heat.destroy();
    charts.heat = new Chart($('dpc-heat'), heat);

    const mods = d.modules.slice();
    const series = mods.map((m, i) => ({ label: m.name, busy: m.busy_ms, color: view.color(i, mods.length + 1) }));
    if (d.other) series.push({ label: `${d.other.modules} other modules`, busy: d.other.busy_ms, color: '#9ca3af' });
    const bars = view.sliceBars({ t: d.t, step, series: series.map((s) => ({ label: s.label, values: s.busy, color: s.color })),
      yTitle: `DPC+ISR ms per ${ms(step)}`, yWidth: Y_WIDTH, valueLabel: ms });
    if (charts.stack) charts.stack.destroy();
    charts.stack = new Chart($('dpc-stack'), bars);
    // the text around the charts after both: a write between them would be laid out by the
    // second chart's size read
    const legend = $('dpc-heat-legend');
    view.heatLegend(legend, { max, f: pct, label: 'of the CPU in DPCs+ISRs (time counted in the slice where each event started)',
      mark: { at: 0.5, text: 'saturated (critical finding above)' } });
    $('dpc-resolution').textContent = `slice ${ms(d.slice_ms)} · stored resolution ${ms(d.resolution_ms)}`;
  }

  // ---- loading ----
  // The URLs of the answers a view draws: histogram, modules, timeline (one slice per 3 px
  // of the heatmap's box, which must be shown), longest events.
  // The heatmap's width: the content width of a card, measured on the run's facts card
  // (#meta), which is on screen before this panel is shown. askAhead runs before the panels
  // are shown (run.js), so reading it there lays out only what is already on screen; reading
  // this panel's own box after it is shown forced a layout of the whole page (~140 ms) before
  // the panel's first requests went out. The heatmap box spans its card's content box, the
  // same width on every card. Read once, and again only after the window was resized: every
  // later view (init once the panels are shown, a zoom, a filter) asked for it while the
  // page had changed since its last layout, and reading it forced a layout of the whole
  // page (~180 ms a visit in a CPU profile, bench/README.md h-heatmap).
  let cardWidth = null;
  window.addEventListener('resize', () => { cardWidth = null; });
  function heatWidth() {
    if (cardWidth === null) {
      const card = $('meta'), cs = getComputedStyle(card);
      cardWidth = card.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
    }
    return cardWidth;
  }

  function viewUrls() {
    const mq = view.windowQuery();
    if (view.get('cpus')) mq.set('cpus', view.get('cpus'));
    const tq = filterQuery();
    tq.set('points', String(Math.max(50, Math.min(600, Math.floor(heatWidth() / 3)))));
    const eq = filterQuery();
    eq.set('limit', '25');
    return [url('histogram', filterQuery()), url('modules', mq), url('timeline', tq), url('events', eq)];
  }

  async function loadAll() {
    const my = ++seq;
    renderChips();
    renderCpuPicker();
    for (const b of $('dpc-kind').querySelectorAll('button')) {
      const on = b.dataset.kind === kindSel();
      b.classList.toggle('on', on); b.setAttribute('aria-pressed', String(on));
    }
    es.show($('dpc-error'), false);
    try {
      const [h, m, t, e] = await Promise.all(viewUrls().map(view.take));
      if (my !== seq) return;
      modRows = m.modules;
      moduleNames = new Map(modRows.map((r) => [r.id, r.name]));
      // charts before tables: each chart reads its box's size (a layout) before it draws,
      // and a read after the tables were written laid them out with it (bench/README.md h-pages7)
      drawHistogram(h);
      drawTimeline(t);
      renderChips();
      renderTable();
      $('dpc-longest-note').textContent = e.note;
      eventTable($('dpc-longest'), e, 'No DPC or ISR ran above its guideline in this view.');
      showPicked();
      $('dpc-panel').dataset.ready = String(my);
    } catch (err) {
      if (my !== seq) return;
      $('dpc-error').textContent = err.message;
      es.show($('dpc-error'), true);
    }
  }

  function showEmpty() {
    es.show($('dpc-body'), false);
    es.show($('dpc-controls'), false);
    const box = $('dpc-empty');
    box.replaceChildren(
      es.el('p', { class: 'empty-title' }, 'DPC/ISR tracing was not enabled in this trace.'),
      es.el('p', {}, 'The trace header\'s kernel group masks show that DPC and interrupt events were not recorded, so there is nothing to measure here — this is not the same as "no slow DPCs". Record again on the affected server (elevated prompt), reproduce the freeze, then stop:'),
      es.el('p', { class: 'hint' }, 'With xperf (Windows Performance Toolkit):'),
      es.el('pre', { class: 'cmd' }, 'xperf -on PROC_THREAD+LOADER+DPC+INTERRUPT+PROFILE -stackwalk Profile\nrem … reproduce the problem …\nxperf -d dpcisr.etl'),
      es.el('p', { class: 'hint' }, 'Or with WPR (built into Windows 10 / Server 2016 and later):'),
      es.el('pre', { class: 'cmd' }, 'wpr -start GeneralProfile -start CPU -filemode\nrem … reproduce the problem …\nwpr -stop dpcisr.etl'),
      es.el('p', {}, ['One recording that captures DPC/ISR, CPU samples, scheduling, syscalls, disk, file and minifilter I/O: ', es.el('a', { href: '/record', id: 'dpc-record-link' }, 'Record a trace'), ' (WPR profile, xperf command lines and a PowerShell script that uploads here).']),
      es.el('p', { class: 'hint' }, `Enabled kernel groups in this trace: ${(run.summary.kernel_groups || []).join(', ') || 'none'}.`),
    );
    es.show(box, true);
    $('dpc-panel').dataset.ready = 'empty';
  }

  function init(r) {
    run = r;
    if (run.summary.dpcisr_enabled === false) { showEmpty(); return undefined; }
    for (const b of $('dpc-kind').querySelectorAll('button'))
      b.addEventListener('click', () => view.set({ hist: b.dataset.kind === 'dpc' ? null : b.dataset.kind, bucket: null }));
    view.attachZoom($('dpc-heat-box'), () => charts.heat);
    view.attachZoom($('dpc-stack-box'), () => charts.stack);
    view.onChange((changed) => {
      if (changed.size === 1 && changed.has('bucket')) { showPicked(); return; }
      if (changed.has('hist') && [...changed].every((k) => k === 'hist' || k === 'bucket')) {
        picked = null; es.show($('dpc-bucket'), false);
        api('histogram', filterQuery()).then(drawHistogram).catch(() => {});
        for (const b of $('dpc-kind').querySelectorAll('button')) b.classList.toggle('on', b.dataset.kind === kindSel());
        return;
      }
      if (['*', 'from', 'to', 'module', 'cpus', 'hist'].some((k) => changed.has(k))) loadAll();
    });
    return loadAll();
  }

  view.panels.push({
    section: 'dpc-panel',
    applies: (r) => r.format === 'etl' && !!r.summary,
    askAhead: (r) => { if (r.summary.dpcisr_enabled !== false) for (const u of viewUrls()) view.askAhead(u); },
    init,
  });
})();
