// compare.js — the compare page: 2 to 4 runs overlaid on the same axes — DPC or ISR
// duration histograms on identical bucket edges with the guideline, a per-module delta table
// against the first run, per-CPU DPC/ISR time side by side, perfmon counters on time since
// start — plus plain sentences for what changed, and CSV/PNG/JSON exports. The URL
// (?runs=A,B,…&kind=dpc|isr) reproduces the view.
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);
  const q = new URLSearchParams(location.search);
  const ids = (q.get('runs') || '').split(',').filter(Boolean);
  const charts = {};
  const runColors = ['#2563eb', '#dc2626', '#059669', '#d97706'];
  let doc = null;

  function setUrl(changes) {
    for (const [k, v] of Object.entries(changes)) { if (v === null) q.delete(k); else q.set(k, v); }
    history.replaceState(null, '', `${location.pathname}?${q}`);
  }

  function bucketLabels(edges) {
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

  function fmtChange(d, unit, lowerIsBetter = true) {
    if (!d || d.abs === null || d.abs === undefined) return es.el('span', {}, '—');
    const sign = d.abs > 0 ? '+' : '';
    const pct = d.rel === null || d.rel === undefined ? null : Math.round(d.rel * 100);
    const rel = pct === null ? '' : ` (${pct > 0 ? '+' : ''}${pct === 0 ? 0 : pct} %)`;
    const good = lowerIsBetter ? d.abs < 0 : d.abs > 0;
    return es.el('span', { class: Math.abs(d.rel || 0) < 0.05 ? '' : good ? 'better' : 'worse' }, `${sign}${es.fmtNum(d.abs)}${unit}${rel}`);
  }

  // Plain sentences: the guideline crossings and big moves of the modules that matter.
  function story() {
    const out = [];
    const g = doc.guideline_us;
    const kindWord = doc.kind === 'dpc' ? 'DPC' : 'ISR';
    for (const m of doc.modules.slice(0, 12)) {
      const a = m.runs[0];
      m.runs.slice(1).forEach((b, i) => {
        const label = doc.runs[i + 1].name;
        if (a && !b) { out.push(`${m.module}: no ${kindWord}s any more in "${label}".`); return; }
        if (!a && b) { out.push(`${m.module}: new in "${label}" (${es.fmtNum(b.count)} ${kindWord}s averaging ${es.fmtNum(b.avg_us)} µs).`); return; }
        if (!a || !b || (a.total_ms < 1 && b.total_ms < 1)) return;
        const crossed = (a.avg_us > g) !== (b.avg_us > g);
        const moved = Math.abs(b.avg_us - a.avg_us) / Math.max(a.avg_us, 1e-9) > 0.25;
        if (!crossed && !moved) return;
        let s = `${m.module} average ${kindWord} ${es.fmtNum(a.avg_us)} µs → ${es.fmtNum(b.avg_us)} µs in "${label}"`;
        if (crossed) s += b.avg_us > g ? `; now above the ${g} µs guideline` : `; now below the ${g} µs guideline`;
        s += ` (${es.fmtNum(a.count)} → ${es.fmtNum(b.count)} ${kindWord}s).`;
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
        ...c.changed.map((x) => es.el('li', {}, [es.el('span', { class: `badge sev-${x.after.severity}` }, x.after.severity), ' ',
          es.el('strong', {}, 'changed:'), ' ', x.after.sentence, es.el('div', { class: 'hint' }, `was: ${x.before.sentence}`)])),
      ];
      box.appendChild(es.el('h3', {}, `"${r ? r.name : c.run}" against the baseline`));
      if (c.verdict) box.appendChild(es.el('p', {}, c.verdict.sentence));
      box.appendChild(items.length ? es.el('ul', { class: 'story' }, items) : es.el('p', { class: 'hint' }, 'The same findings as the baseline.'));
    });
    es.show($('cmp-findings-panel'), f.changes.length > 0);
  }

  function drawHistogram() {
    const labels = bucketLabels(doc.edges_us);
    const gi = doc.edges_us.findIndex((e) => Math.abs(e - doc.guideline_us) < 1e-9);
    const datasets = doc.runs.map((r, i) => ({
      label: r.name,
      data: r.histogram ? r.histogram.buckets : [],
      backgroundColor: runColors[i] + 'aa', borderColor: runColors[i], borderWidth: 1,
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
            ticks: { callback: (v) => ($('cmp-log').checked && !/^(1|10+)$/.test(String(Math.round(v))) && !/^[1-9]0*$/.test(String(v)) ? '' : es.fmtNum(v)) },
          },
        },
        plugins: { guideline: { index: gi, label: `guideline ${doc.guideline_us} µs` }, legend: { position: 'bottom' } },
      },
    });
    $('cmp-hist-title').textContent = `${doc.kind === 'dpc' ? 'DPC' : 'ISR'} durations, overlaid`;
  }

  function moduleTable() {
    const t = $('cmp-modules');
    const countKey = doc.per_second ? 'per_second' : 'count';
    const countLabel = doc.per_second ? 'per s' : 'count';
    const head = [es.el('th', {}, 'module')];
    doc.runs.forEach((r, i) => {
      for (const h of [countLabel, 'avg µs', 'p99 µs*', `> ${doc.guideline_us} µs (ms)`]) {
        const th = es.el('th', { class: 'num' }, h);
        th.style.borderTop = `3px solid ${runColors[i]}`;
        head.push(th);
      }
      if (i > 0) head.push(es.el('th', {}, 'change vs baseline'));
    });
    const rows = doc.modules.map((m) => {
      const cells = [es.el('td', {}, m.module)];
      m.runs.forEach((s, i) => {
        if (!s) cells.push(es.el('td', { class: 'num' }, '—'), es.el('td', { class: 'num' }, '—'), es.el('td', { class: 'num' }, '—'), es.el('td', { class: 'num' }, '—'));
        else cells.push(es.el('td', { class: 'num' }, es.fmtNum(s[countKey])), es.el('td', { class: 'num' }, es.fmtNum(s.avg_us)), es.el('td', { class: 'num' }, es.fmtNum(s.p99_us)), es.el('td', { class: 'num' }, es.fmtNum(s.above_ms)));
        if (i > 0) {
          const d = m.delta[i - 1];
          cells.push(es.el('td', {}, [
            es.el('div', {}, ['avg ', fmtChange(d.avg_us, ' µs')]),
            es.el('div', {}, [`${countLabel} `, fmtChange(d[countKey], '', true)]),
          ]));
        }
      });
      return es.el('tr', {}, cells);
    });
    t.replaceChildren(es.el('thead', {}, es.el('tr', {}, head)), es.el('tbody', {}, rows));
    t.appendChild(es.el('caption', { class: 'hint' }, '* p99 is estimated from the histogram (within one bucket, about ±12 %). Counts, averages, maxima and time above the guideline are exact.'));
  }

  function cpuChart() {
    const n = Math.max(0, ...doc.runs.map((r) => (r.cpus ? r.cpus.busy_share.length : 0)));
    const labels = Array.from({ length: n }, (_, c) => `CPU ${c}`);
    const datasets = doc.runs.map((r, i) => ({
      label: r.name, backgroundColor: runColors[i],
      data: labels.map((_, c) => (r.cpus && r.cpus.busy_share[c] !== null && r.cpus.busy_share[c] !== undefined ? r.cpus.busy_share[c] * 100 : null)),
    }));
    if (charts.cpus) charts.cpus.destroy();
    charts.cpus = new Chart($('cmp-cpus'), {
      type: 'bar', data: { labels, datasets },
      options: { animation: false, maintainAspectRatio: false,
        scales: { y: { min: 0, title: { display: true, text: '% of the CPU in DPCs + ISRs' } } },
        plugins: { legend: { position: 'bottom' } } },
    });
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
      const datasets = c.runs.map((s, i) => (s ? {
        label: doc.runs[i].name, borderColor: runColors[i], borderWidth: 1.3, pointRadius: 0,
        data: s.t_s.map((t, k) => ({ x: t, y: s.mean[k] })),
      } : null)).filter(Boolean);
      charts.counters.push(new Chart(cv, {
        type: 'line', data: { datasets },
        options: { animation: false, parsing: false, maintainAspectRatio: false,
          scales: { x: { type: 'linear', title: { display: true, text: 'seconds since the start of each run' } }, y: { min: 0 } },
          plugins: { legend: { position: 'bottom' } } },
      }));
    }
    es.show($('cmp-counter-panel'), doc.counters.length > 0);
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
        const a = es.el('a', { href: es.chartPng(c), download: `etlscope-${b.dataset.png}.png` });
        document.body.appendChild(a); a.click(); a.remove();
      });
    }
    $('cmp-modules-csv').addEventListener('click', () => {
      const head = ['module'];
      doc.runs.forEach((r) => head.push(`${r.name}: count`, `${r.name}: per second`, `${r.name}: avg us`, `${r.name}: p99 us (estimate)`, `${r.name}: max us`, `${r.name}: above guideline ms`));
      const rows = doc.modules.map((m) => [m.module, ...m.runs.flatMap((s) => (s ? [s.count, s.per_second, s.avg_us, s.p99_us, s.max_us, s.above_ms] : ['', '', '', '', '', '']))]);
      csvDownload(`etlscope-compare-${doc.kind}-modules.csv`, [head, ...rows]);
    });
    $('cmp-cpus-csv').addEventListener('click', () => {
      const n = Math.max(0, ...doc.runs.map((r) => (r.cpus ? r.cpus.busy_share.length : 0)));
      const head = ['cpu', ...doc.runs.flatMap((r) => [`${r.name}: DPC ms`, `${r.name}: ISR ms`, `${r.name}: busy share`])];
      const rows = Array.from({ length: n }, (_, c) => [c, ...doc.runs.flatMap((r) => (r.cpus ? [r.cpus.dpc_ms[c], r.cpus.isr_ms[c], r.cpus.busy_share[c]] : ['', '', '']))]);
      csvDownload('etlscope-compare-cpus.csv', [head, ...rows]);
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
    const api = `/api/compare?runs=${encodeURIComponent(ids.join(','))}&kind=${kind}`;
    $('json-link').href = api;
    try { doc = await es.api(api); } catch (e) {
      $('load-error').textContent = `Cannot compare: ${e.message}`;
      es.show($('load-error'), true);
      return;
    }
    const legend = $('cmp-runs');
    legend.replaceChildren(...doc.runs.map((r, i) => {
      const sw = es.el('span', { class: 'swatch' });
      sw.style.background = runColors[i];
      const rm = es.el('button', { type: 'button', title: 'remove from the comparison' }, '×');
      rm.addEventListener('click', () => { setUrl({ runs: ids.filter((x) => x !== r.id).join(',') }); location.reload(); });
      return es.el('li', {}, [sw, es.el('a', { href: `/runs/${encodeURIComponent(r.id)}` }, r.name),
        es.el('span', { class: 'hint' }, `${r.format} · ${es.fmtDuration(r.duration_s)}${i === 0 ? ' · baseline' : ''}`), ids.length > 2 ? rm : null]);
    }));
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
    counterCharts();
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
