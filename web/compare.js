// compare.js — the compare page: 2 to 4 runs overlaid on the same axes — DPC or ISR
// duration histograms on identical bucket edges with the guideline, a per-module delta table
// against the baseline run (judged by time above the guideline, total time and call length,
// not by count), per-CPU DPC/ISR time side by side, perfmon counters on time since start
// with the hot CPUs — plus plain sentences for what changed, and CSV/PNG/JSON exports. What
// a run did not measure reads "not measured". The URL (?runs=A,B,…&kind=dpc|isr&base=A)
// reproduces the view; the baseline is picked on the page.
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);
  const q = new URLSearchParams(location.search);
  const ids = (q.get('runs') || '').split(',').filter(Boolean);
  const charts = {};
  const runColors = ['#2563eb', '#dc2626', '#059669', '#d97706'];
  // A run keeps its colour when the baseline changes: by its place in the URL.
  const colorOf = (r) => runColors[Math.max(0, ids.indexOf(r.id)) % runColors.length];
  const NOT_MEASURED = 'not measured';
  let doc = null;

  function setUrl(changes) {
    for (const [k, v] of Object.entries(changes)) { if (v === null) q.delete(k); else q.set(k, v); }
    history.replaceState(null, '', `${location.pathname}?${q}`);
  }

  function bucketLabels(edges) {
    // Bucket edges are exact values (1.25 µs), not measurements: shown as they are.
    const f = (us) => (us >= 1000 ? `${+(us / 1000).toFixed(2)} ms` : `${+us.toFixed(2)} µs`);
    const labels = [`≤ ${f(edges[0])}`];
    for (let i = 1; i < edges.length; i++) labels.push(`${f(edges[i - 1])} – ${f(edges[i])}`);
    labels.push(`> ${f(edges[edges.length - 1])}`);
    return labels;
  }

  // Vertical guideline drawn between the buckets that meet at the guideline edge.
  const guidelinePlugin = {
    id: 'guideline',
    afterDatasetsDraw(chart, args, opts) {
      if (opts.index === undefined || opts.index < 0) return;
      const x = chart.scales.x;
      const px = (x.getPixelForValue(opts.index) + x.getPixelForValue(opts.index + 1)) / 2;
      const { top, bottom } = chart.chartArea;
      const ctx = chart.ctx;
      ctx.save();
      ctx.strokeStyle = '#b91c1c'; ctx.lineWidth = 2; ctx.setLineDash([6, 4]);
      ctx.beginPath(); ctx.moveTo(px, top); ctx.lineTo(px, bottom); ctx.stroke();
      ctx.setLineDash([]); ctx.fillStyle = '#b91c1c'; ctx.font = '12px system-ui, sans-serif';
      ctx.fillText(opts.label, px + 4, top + 12);
      ctx.restore();
    },
  };

  // A change as text: "+1.4 s (+8 %)", formatted by f. judged: colour it (lower is better);
  // counts are not judged — fewer DPCs that each last longer are not better.
  function fmtChange(d, f, judged = true) {
    if (!d || d.abs === null || d.abs === undefined) return es.el('span', {}, '—');
    const pct = d.rel === null || d.rel === undefined ? null : Math.round(d.rel * 100);
    const rel = pct === null ? '' : ` (${pct > 0 ? '+' : pct < 0 ? '−' : ''}${Math.abs(pct)} %)`;
    const cls = !judged || Math.abs(d.rel || 0) < 0.05 ? '' : d.abs < 0 ? 'better' : 'worse';
    return es.el('span', { class: cls }, `${fmt.signed(d.abs, f)}${rel}`);
  }

  const judgementText = { worse: 'worse', better: 'better', same: 'about the same' };
  const judgedByText = { time_above_guideline: 'time above the guideline', total_time: 'total time', average_above_guideline: 'longer calls above the guideline' };
  const judgedByTextBetter = { time_above_guideline: 'time above the guideline', total_time: 'total time', average_above_guideline: 'shorter calls' };
  function judgement(d) {
    if (!d) return es.el('span', { class: 'hint' }, NOT_MEASURED);
    const why = (d.judged_by || []).map((k) => (d.judgement === 'better' ? judgedByTextBetter : judgedByText)[k] || k).join(', ');
    return es.el('strong', { class: d.judgement === 'worse' ? 'worse' : d.judgement === 'better' ? 'better' : '' },
      `${judgementText[d.judgement] || d.judgement}${why ? ` (${why})` : ''}`);
  }

  // Plain sentences: the guideline crossings and big moves of the modules that matter.
  function story() {
    const out = [];
    const g = doc.guideline_us;
    const kindWord = doc.kind === 'dpc' ? 'DPC' : 'ISR';
    const gs = fmt.us(g);
    doc.runs.slice(1).forEach((r) => { if (!r.has_dpcisr) out.push(`"${r.name}" has no ${kindWord} records: its ${kindWord}s are ${NOT_MEASURED}, not gone.`); });
    if (!doc.runs[0].has_dpcisr) out.push(`The baseline "${doc.runs[0].name}" has no ${kindWord} records: ${kindWord} changes cannot be judged against it; pick another baseline.`);
    for (const m of doc.modules.slice(0, 12)) {
      const a = m.runs[0];
      m.runs.slice(1).forEach((b, i) => {
        const label = doc.runs[i + 1].name;
        const d = m.delta[i];
        if (!a || !b || !d) return; // not measured on one side: said once above
        if (a.count && !b.count) { out.push(`${m.module}: no ${kindWord}s in "${label}" (${fmt.count(a.count)} in the baseline, ${fmt.ms(a.total_ms)} in all).`); return; }
        if (!a.count && b.count) { out.push(`${m.module}: new in "${label}" (${fmt.count(b.count)} ${kindWord}s averaging ${fmt.us(b.avg_us)}, ${fmt.ms(b.total_ms)} in all).`); return; }
        if (a.total_ms < 1 && b.total_ms < 1) return;
        const crossed = (a.avg_us > g) !== (b.avg_us > g);
        if (!crossed && d.judgement === 'same') return;
        let s = `${m.module} in "${label}": ${judgementText[d.judgement]}`;
        s += ` — ${kindWord}s average ${fmt.us(a.avg_us)} → ${fmt.us(b.avg_us)}`;
        if (crossed) s += b.avg_us > g ? ` (now above the ${gs} guideline)` : ` (now below the ${gs} guideline)`;
        s += `, time above the guideline ${fmt.ms(a.above_ms)} → ${fmt.ms(b.above_ms)}, total ${fmt.ms(a.total_ms)} → ${fmt.ms(b.total_ms)}`;
        s += ` (${fmt.count(a.count)} → ${fmt.count(b.count)} ${kindWord}s).`;
        out.push(s);
      });
    }
    return out;
  }

  // Findings that appeared, disappeared or changed against the baseline, per later run.
  function findingsDiff() {
    const box = $('cmp-findings');
    box.replaceChildren();
    const f = doc.findings;
    if (!f || !f.changes) return;
    const item = (label, x, cls) => es.el('li', {}, [es.el('span', { class: `badge sev-${x.severity}` }, x.severity), ' ', es.el('strong', { class: cls }, label), ' ', x.sentence]);
    f.changes.forEach((c) => {
      const r = doc.runs.find((x) => x.id === c.run);
      const items = [
        ...c.appeared.map((x) => item('new:', x, 'worse')),
        ...c.disappeared.map((x) => item('gone:', x, 'better')),
        ...(c.not_measured || []).map((x) => item(`${NOT_MEASURED}:`, x, 'hint')),
        ...c.changed.map((x) => es.el('li', {}, [es.el('span', { class: `badge sev-${x.after.severity}` }, x.after.severity), ' ',
          es.el('strong', {}, 'changed:'), ' ', x.after.sentence, es.el('div', { class: 'hint' }, `was: ${x.before.sentence}`)])),
      ];
      box.appendChild(es.el('h3', {}, `"${r ? r.name : c.run}" against the baseline "${doc.runs[0].name}"`));
      if (c.verdict) box.appendChild(es.el('p', {}, c.verdict.sentence));
      box.appendChild(items.length ? es.el('ul', { class: 'story' }, items) : es.el('p', { class: 'hint' }, 'The same findings as the baseline.'));
    });
    es.show($('cmp-findings-panel'), f.changes.length > 0);
  }

  function drawHistogram() {
    const labels = bucketLabels(doc.edges_us);
    const gi = doc.edges_us.findIndex((e) => Math.abs(e - doc.guideline_us) < 1e-9);
    const datasets = doc.runs.map((r) => ({
      label: r.histogram ? r.name : `${r.name} (${NOT_MEASURED})`,
      data: r.histogram ? r.histogram.buckets : [],
      backgroundColor: colorOf(r) + 'aa', borderColor: colorOf(r), borderWidth: 1,
    }));
    const yTitle = doc.per_second ? `${doc.kind.toUpperCase()}s per second of trace` : `${doc.kind.toUpperCase()}s`;
    if (charts.hist) charts.hist.destroy();
    charts.hist = new Chart($('cmp-hist'), {
      type: 'bar', data: { labels, datasets },
      plugins: [guidelinePlugin],
      options: {
        animation: false, maintainAspectRatio: false,
        scales: {
          x: { title: { display: true, text: 'duration' }, ticks: { maxRotation: 60, autoSkip: true } },
          y: {
            type: $('cmp-log').checked ? 'logarithmic' : 'linear', title: { display: true, text: yTitle },
            ticks: { callback: (v) => ($('cmp-log').checked && !/^(1|10+)$/.test(String(Math.round(v))) && !/^[1-9]0*$/.test(String(v)) ? '' : fmt.number(v)) },
          },
        },
        plugins: { guideline: { index: gi, label: `guideline ${fmt.us(doc.guideline_us)}` }, legend: { position: 'bottom' } },
      },
    });
    $('cmp-hist-title').textContent = `${doc.kind === 'dpc' ? 'DPC' : 'ISR'} durations, overlaid`;
  }

  // Header cells: the key columns, then per run its columns (top border in its colour) and,
  // after the baseline, a change column.
  function headCells(keys, cols) {
    const head = keys.map((k) => es.el('th', {}, k));
    doc.runs.forEach((r, i) => {
      for (const [h] of cols) {
        const th = es.el('th', { class: 'num' }, h);
        th.style.borderTop = `3px solid ${colorOf(r)}`;
        head.push(th);
      }
      if (i > 0) head.push(es.el('th', {}, `change vs "${doc.runs[0].name}"`));
    });
    return head;
  }

  function moduleTable() {
    const t = $('cmp-modules');
    const countKey = doc.per_second ? 'per_second' : 'count';
    const countLabel = doc.per_second ? 'per s' : 'count';
    const perS = doc.per_second ? '/s' : '';
    const g = fmt.us(doc.guideline_us);
    const cols = [
      [countLabel, (s) => fmt.number(s[countKey])],
      ['average', (s) => fmt.us(s.avg_us)],
      ['p99*', (s) => fmt.us(s.p99_us)],
      ['total time', (s) => fmt.ms(s.total_ms)],
      [`time > ${g}`, (s) => fmt.ms(s.above_ms)],
    ];
    const head = headCells(['module'], cols);
    const rows = doc.modules.map((m) => {
      const cells = [es.el('td', {}, m.module)];
      m.runs.forEach((s, i) => {
        if (!s) cells.push(es.el('td', { class: 'num hint', colspan: cols.length }, NOT_MEASURED));
        else cells.push(...cols.map(([, f]) => es.el('td', { class: 'num' }, f(s))));
        if (i > 0) {
          const d = m.delta[i - 1];
          cells.push(es.el('td', { class: 'change' }, d ? [
            es.el('div', {}, judgement(d)),
            es.el('div', {}, [`time > ${g}${perS} `, fmtChange(d[doc.per_second ? 'above_ms_per_second' : 'above_ms'], fmt.ms)]),
            es.el('div', {}, [`total${perS} `, fmtChange(d[doc.per_second ? 'total_ms_per_second' : 'total_ms'], fmt.ms)]),
            es.el('div', {}, ['average ', fmtChange(d.avg_us, fmt.us)]),
            es.el('div', {}, [`${countLabel} `, fmtChange(d[countKey], fmt.number, false)]),
          ] : judgement(null)));
        }
      });
      return es.el('tr', {}, cells);
    });
    t.replaceChildren(es.el('thead', {}, es.el('tr', {}, head)), es.el('tbody', {}, rows));
    t.appendChild(es.el('caption', { class: 'hint' }, `A change is judged by time above the guideline, total time and — above the guideline — call length, not by count: fewer but longer ${doc.kind === 'dpc' ? 'DPC' : 'ISR'}s are worse. "${NOT_MEASURED}": the run has no DPC/ISR records. * p99 is estimated from the histogram (within one bucket, about ±12 %); counts, averages, maxima and times are exact.`));
  }

  // Syscalls and disk I/O: one row per key, per run its figures or "not measured", per later
  // run the average's change and the judgement (api_compare_sched.c).
  function keyedTable(t, rows, keys, cols, what) {
    const ns = (v) => fmt.us(v / 1e3);
    const head = headCells(keys, cols);
    const body = rows.map((row) => {
      const cells = keys.map((k) => es.el('td', {}, row[k]));
      row.runs.forEach((s, i) => {
        if (!s) cells.push(es.el('td', { class: 'num hint', colspan: cols.length }, NOT_MEASURED));
        else cells.push(...cols.map(([, f]) => es.el('td', { class: 'num' }, f(s, ns))));
        if (i > 0) {
          const d = row.delta[i - 1];
          cells.push(es.el('td', { class: 'change' }, d ? [es.el('div', {}, judgement(d)),
            es.el('div', {}, ['average ', fmtChange({ abs: d.avg_ns.abs / 1e3, rel: d.avg_ns.rel }, fmt.us)])]
            : es.el('span', { class: 'hint' }, s ? 'not in the baseline' : NOT_MEASURED)));
        }
      });
      return es.el('tr', {}, cells);
    });
    t.replaceChildren(es.el('caption', {}, what), es.el('thead', {}, es.el('tr', {}, head)), es.el('tbody', {}, body));
    return rows.length;
  }

  function ioTables() {
    const n = keyedTable($('cmp-syscalls'), doc.syscalls || [], ['process', 'syscall'], [
      ['calls', (s) => fmt.number(s.count)], ['average', (s, ns) => ns(s.avg_ns)],
      ['max', (s, ns) => ns(s.max_ns)], ['total', (s, ns) => ns(s.total_ns)]], 'Syscalls: cost per call')
      + keyedTable($('cmp-diskio'), doc.diskio || [], ['process'], [
        ['I/Os', (s) => fmt.number(s.count)], ['bytes', (s) => fmt.bytes(s.bytes)],
        ['avg latency', (s, ns) => ns(s.avg_ns)], ['max', (s, ns) => ns(s.max_ns)]], 'Disk I/O per process')
      + keyedTable($('cmp-minifilter'), doc.minifilter || [], ['driver', 'function'], [
        ['callbacks', (s) => fmt.number(s.count)], ['avg delay', (s, ns) => ns(s.avg_ns)],
        ['max', (s, ns) => ns(s.max_ns)], ['total', (s, ns) => ns(s.total_ns)]], 'Minifilter delay per callback');
    es.show($('cmp-io-panel'), n > 0);
  }

  function cpuChart() {
    const n = Math.max(0, ...doc.runs.map((r) => (r.cpus ? r.cpus.busy_share.length : 0)));
    const labels = Array.from({ length: n }, (_, c) => `CPU ${c}`);
    const datasets = doc.runs.map((r) => ({
      label: r.cpus ? r.name : `${r.name} (${NOT_MEASURED})`, backgroundColor: colorOf(r),
      data: labels.map((_, c) => (r.cpus && r.cpus.busy_share[c] !== null && r.cpus.busy_share[c] !== undefined ? r.cpus.busy_share[c] * 100 : null)),
    }));
    if (charts.cpus) charts.cpus.destroy();
    charts.cpus = new Chart($('cmp-cpus'), {
      type: 'bar', data: { labels, datasets },
      options: { animation: false, maintainAspectRatio: false,
        scales: { y: { min: 0, max: 100, title: { display: true, text: '% of the CPU in DPCs + ISRs' }, ticks: { callback: (v) => fmt.pct(v) } } },
        plugins: { legend: { position: 'bottom' }, tooltip: { callbacks: { label: (it) => `${it.dataset.label}: ${fmt.pct(it.parsed.y)}` } } } },
    });
  }

  // The hot CPUs of one run's counter: those whose highest value passed the threshold.
  function hotText(c, s, r) {
    const pc = (s.per_cpu_max || []).filter((e) => e.max !== null).sort((a, b) => b.max - a.max);
    const unit = /^%/.test(c.counter) ? fmt.pct : fmt.number;
    const top = pc.length ? `highest: CPU ${pc[0].cpu} at ${unit(pc[0].max)}` : 'no values';
    if (s.threshold === undefined) return `"${r.name}": ${top}.`;
    const hot = s.cpus_above || [];
    return `"${r.name}": ${hot.length ? `CPU${hot.length > 1 ? 's' : ''} ${hot.join(', ')} above ${unit(s.threshold)}` : `no CPU above ${unit(s.threshold)}`} of ${fmt.count(s.cpus)} (${top}).`;
  }

  function counterCharts() {
    const box = $('cmp-counters');
    for (const c of charts.counters || []) c.destroy();
    charts.counters = [];
    box.replaceChildren();
    for (const c of doc.counters) {
      const cv = es.el('canvas');
      const wrap = es.el('div', { class: 'small-chart' }, cv);
      box.appendChild(es.el('h3', {}, c.counter));
      box.appendChild(wrap);
      const pctCounter = /^%/.test(c.counter);
      const datasets = [];
      c.runs.forEach((s, i) => {
        const r = doc.runs[i];
        if (!s) return;
        datasets.push({ label: `${r.name}: mean of ${fmt.count(s.cpus)} CPUs`, borderColor: colorOf(r), borderWidth: 1.3, pointRadius: 0,
          data: s.t_s.map((t, k) => ({ x: t, y: s.mean[k] })) });
        if (s.max) datasets.push({ label: `${r.name}: highest CPU`, borderColor: colorOf(r), borderDash: [5, 3], borderWidth: 1.3, pointRadius: 0,
          data: s.t_s.map((t, k) => ({ x: t, y: s.max[k] })) });
      });
      charts.counters.push(new Chart(cv, {
        type: 'line', data: { datasets },
        options: { animation: false, parsing: false, maintainAspectRatio: false,
          scales: { x: { type: 'linear', title: { display: true, text: 'seconds since the start of each run' }, ticks: { callback: (v) => fmt.seconds(v) } },
            y: Object.assign({ min: 0, ticks: { callback: (v) => (pctCounter ? fmt.pct(v) : fmt.number(v)) } }, pctCounter ? { max: 100 } : {}) },
          plugins: { legend: { position: 'bottom' }, tooltip: { callbacks: { label: (it) => `${it.dataset.label}: ${pctCounter ? fmt.pct(it.parsed.y) : fmt.number(it.parsed.y)}` } } } },
      }));
      box.appendChild(es.el('ul', { class: 'hot-cpus' }, c.runs.map((s, i) => es.el('li', { 'data-run': doc.runs[i].id },
        s ? hotText(c, s, doc.runs[i]) : `"${doc.runs[i].name}": ${NOT_MEASURED} (the run did not record ${c.counter}).`))));
    }
    es.show($('cmp-counter-panel'), doc.counters.length > 0);
  }

  // A file name for one compare table: the runs' names (baseline first) and the table.
  function compareFile(table, ext) {
    const slug = (t) => String(t || '').trim().toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '-').replace(/^-|-$/g, '').slice(0, 40);
    return `etlscope-compare_${doc.runs.map((r) => slug(r.name)).filter(Boolean).join('_vs_')}_${table}.${ext}`;
  }

  function csvDownload(name, rows) {
    const esc = (v) => {
      const s = v === null || v === undefined ? '' : String(v);
      return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
    };
    const blob = new Blob([rows.map((r) => r.map(esc).join(',')).join('\r\n') + '\r\n'], { type: 'text/csv' });
    const a = es.el('a', { href: URL.createObjectURL(blob), download: name });
    document.body.appendChild(a); a.click(); a.remove();
  }

  function wireExports() {
    for (const b of document.querySelectorAll('button[data-png]')) {
      b.addEventListener('click', () => {
        const c = Chart.getChart(document.getElementById(b.dataset.png));
        if (!c) return;
        const a = es.el('a', { href: es.chartPng(c), download: compareFile(b.dataset.png, 'png') });
        document.body.appendChild(a); a.click(); a.remove();
      });
    }
    $('cmp-modules-csv').addEventListener('click', () => {
      const head = ['module'];
      doc.runs.forEach((r) => head.push(`${r.name}: count`, `${r.name}: per second`, `${r.name}: avg us`, `${r.name}: p99 us (estimate)`, `${r.name}: max us`, `${r.name}: total ms`, `${r.name}: above guideline ms`));
      const rows = doc.modules.map((m) => [m.module, ...m.runs.flatMap((s) => (s ? [s.count, s.per_second, s.avg_us, s.p99_us, s.max_us, s.total_ms, s.above_ms] : Array(7).fill(NOT_MEASURED)))]);
      csvDownload(compareFile(`${doc.kind}-modules`, 'csv'), [head, ...rows]);
    });
    $('cmp-cpus-csv').addEventListener('click', () => {
      const n = Math.max(0, ...doc.runs.map((r) => (r.cpus ? r.cpus.busy_share.length : 0)));
      const head = ['cpu', ...doc.runs.flatMap((r) => [`${r.name}: DPC ms`, `${r.name}: ISR ms`, `${r.name}: busy share`])];
      const rows = Array.from({ length: n }, (_, c) => [c, ...doc.runs.flatMap((r) => (r.cpus ? [r.cpus.dpc_ms[c], r.cpus.isr_ms[c], r.cpus.busy_share[c]] : ['', '', '']))]);
      csvDownload(compareFile('cpus', 'csv'), [head, ...rows]);
    });
  }

  async function fillAddList() {
    const sel = $('cmp-add');
    let runs = [];
    try { runs = (await es.api('/api/runs')).runs; } catch (e) { /* the page still works */ }
    sel.replaceChildren(es.el('option', { value: '' }, ids.length >= 4 ? 'at most 4 runs' : 'choose a run…'));
    for (const r of runs) if (!ids.includes(r.id)) sel.appendChild(es.el('option', { value: r.id }, `${r.name} (${r.format})`));
    sel.disabled = ids.length >= 4;
    sel.addEventListener('change', () => {
      if (!sel.value) return;
      ids.push(sel.value);
      setUrl({ runs: ids.join(',') });
      location.reload();
    });
  }

  async function load() {
    const kind = q.get('kind') === 'isr' ? 'isr' : 'dpc';
    $('cmp-kind').value = kind;
    const base = q.get('base');
    const api = `/api/compare?runs=${encodeURIComponent(ids.join(','))}&kind=${kind}${base ? `&base=${encodeURIComponent(base)}` : ''}`;
    $('json-link').href = api;
    try { doc = await es.api(api); } catch (e) {
      $('load-error').textContent = `Cannot compare: ${e.message}`;
      es.show($('load-error'), true);
      return;
    }
    const legend = $('cmp-runs');
    legend.replaceChildren(...doc.runs.map((r) => {
      const sw = es.el('span', { class: 'swatch' });
      sw.style.background = colorOf(r);
      const rm = es.el('button', { type: 'button', title: 'remove from the comparison' }, '×');
      rm.addEventListener('click', () => {
        setUrl({ runs: ids.filter((x) => x !== r.id).join(','), base: q.get('base') === r.id ? null : q.get('base') });
        location.reload();
      });
      const pick = es.el('input', { type: 'radio', name: 'cmp-base', value: r.id, checked: r.id === doc.baseline, 'aria-label': `use "${r.name}" as the baseline` });
      pick.addEventListener('change', () => { if (pick.checked) { setUrl({ base: r.id }); load(); } });
      return es.el('li', { 'data-run': r.id, class: r.id === doc.baseline ? 'baseline' : '' }, [
        es.el('label', { class: 'base-pick', title: 'compare the other runs against this one' }, [pick, ' baseline']),
        sw, es.el('a', { href: `/runs/${encodeURIComponent(r.id)}` }, r.name),
        es.el('span', { class: 'hint' }, `${r.format} · ${fmt.seconds(r.duration_s)}${r.start !== undefined ? ` · starts ${es.fmtTime(r.start)} UTC` : ''}`),
        ids.length > 2 ? rm : null]);
    }));
    const b0 = doc.runs[0];
    $('cmp-baseline').textContent = `Baseline: "${b0.name}" (${doc.baseline_rule}). Changes below are of the other runs against it; pick another baseline with the buttons above.`;
    $('cmp-norm').textContent = doc.normalisation;
    const hasDpc = doc.runs.some((r) => r.has_dpcisr);
    es.show($('cmp-hist-panel'), hasDpc);
    if (hasDpc) {
      drawHistogram();
      moduleTable();
      cpuChart();
      const st = story();
      $('cmp-story').replaceChildren(...st.map((s) => es.el('li', {}, s)));
    }
    findingsDiff();
    ioTables();
    counterCharts();
    insideCompare();
  }

  // What runs inside the DPCs/ISRs of each ETW run, side by side (panel_inside.js).
  async function insideCompare() {
    const etw = doc.runs.map((r) => r.has_dpcisr);
    if (!etw.some(Boolean)) return;
    const docs = await Promise.all(doc.runs.map((r, i) => (etw[i] ? insideView.load(r.id).catch(() => null) : null)));
    const n = insideView.compare($('cmp-inside'), docs, doc.runs.map((r) => r.name));
    es.show($('cmp-inside-panel'), n > 0);
    $('cmp-inside-panel').dataset.ready = '1';
  }

  function main() {
    if (ids.length < 2) {
      $('load-error').textContent = 'Pick 2 to 4 runs to compare: tick them in the runs list, or use "Compare with…" on a run page.';
      es.show($('load-error'), true);
    }
    $('copy-link').addEventListener('click', async () => {
      const ok = await es.copy(location.href, $('copy-fallback'));
      $('copy-done').textContent = ok ? 'Link copied' : 'Copy the link below';
    });
    $('cmp-kind').addEventListener('change', () => { setUrl({ kind: $('cmp-kind').value }); load(); });
    $('cmp-log').addEventListener('change', () => { if (doc) drawHistogram(); });
    wireExports();
    fillAddList();
    if (ids.length >= 2) load();
  }

  document.addEventListener('DOMContentLoaded', main);
})();
