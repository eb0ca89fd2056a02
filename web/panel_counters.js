// panel_counters.js — perfmon counters: one processor counter for every CPU as lines and as
// a CPU × time heatmap (with a counter picker), and any other counters on demand. Shown
// for runs that have counter series (perfmon logs). View keys: counter, pick (the counters
// ticked in "Any counter", by idx: "3,7"), from, to.
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);
  const charts = {};
  let counters = [];
  let picked = [];
  let counterSeq = 0;

  function isPercent(name) { return /^%/.test(name || ''); }

  function renderPicker(run) {
    const sel = $('counter-pick');
    sel.replaceChildren();
    const names = [...new Set(run.cpu_counters.map((c) => c.counter))];
    for (const n of names) sel.appendChild(es.el('option', { value: n }, n));
    const want = view.get('counter');
    const match = (n) => want && n.toLowerCase() === want.toLowerCase();
    const preferred = ['% processor time', '% dpc time'];
    const chosen = names.find(match) || names.find((n) => preferred.includes(n.toLowerCase())) || names[0];
    if (chosen && !match(chosen)) view.set({ counter: chosen }, false);
    if (chosen) sel.value = chosen;
    sel.addEventListener('change', () => view.set({ counter: sel.value }));
  }

  function drawLines(d) {
    const n = d.series.length;
    const datasets = d.series.map((s, i) => ({
      label: `CPU ${s.cpu}`,
      data: d.t.map((t, k) => ({ x: t, y: s.mean[k] })),
      borderColor: view.color(i, n), backgroundColor: view.color(i, n, 0.2),
      borderWidth: 1.3, pointRadius: 0, spanGaps: false,
    }));
    // Percentages start at 0 but scale to the data, so 2 % of DPC time is still visible.
    const y = { title: { display: true, text: d.counter } };
    if (isPercent(d.counter)) y.min = 0;
    const cfg = {
      type: 'line', data: { datasets },
      options: {
        animation: false, parsing: false, normalized: true, maintainAspectRatio: false,
        interaction: { mode: 'nearest', axis: 'x', intersect: false },
        scales: { x: view.timeAxis(d.t), y },
        plugins: {
          legend: { position: 'right', labels: { boxWidth: 12 } },
          tooltip: { callbacks: { title: (it) => (it.length ? es.fmtTime(it[0].parsed.x, true) : '') } },
        },
      },
    };
    if (charts.lines) charts.lines.destroy();
    charts.lines = new Chart($('cpu-lines'), cfg);
  }

  function drawHeat(d) {
    const n = d.t.length;
    // Percent counters on the fixed scale 0–100 % of the CPU, PAL's warning marked; other
    // counters (rates, queues) have no natural scale and span 0 to the highest value shown.
    const isPct = /^%/.test(d.counter);
    let max = 0;
    if (isPct) max = 100;
    else for (const s of d.series) for (const v of s.mean) if (v !== null && v > max) max = v;
    if (!max) max = 1;
    const warn = { '% DPC Time': 10, '% Interrupt Time': 10, '% Privileged Time': 20 }[d.counter];
    const step = n > 1 ? (d.t[n - 1] - d.t[0]) / (n - 1) : 1000;
    const labels = d.series.map((s) => `CPU ${s.cpu}`);
    const data = [];
    d.series.forEach((s, row) => s.mean.forEach((v, k) => data.push({ x: d.t[k] + step / 2, y: labels[row], v, cpu: s.cpu })));
    const cfg = view.heatmap({
      label: d.counter, t: d.t, step, labels, data, max, box: $('heat-box'),
      tooltipLabel: (c) => `${d.counter}: ${isPct ? fmt.pct(c.v) : fmt.number(c.v)}`,
    });
    if (charts.heat) charts.heat.destroy();
    charts.heat = new Chart($('cpu-heat'), cfg);
    view.heatLegend($('heat-legend'), { max, f: isPct ? fmt.pct : fmt.number,
      label: isPct ? 'of the CPU' : '(0 to the highest value shown)',
      mark: warn ? { at: warn, text: 'PAL warns above' } : null });
  }

  async function loadCpu() {
    const counter = view.get('counter');
    if (!counter) return;
    $('cpu-counter-title').textContent = counter;
    const q = view.windowQuery();
    q.set('counter', counter);
    q.set('points', String(Math.max(50, Math.min(2000, Math.floor($('line-box').clientWidth / 2)))));
    let d;
    try { d = await es.api(`/api/runs/${encodeURIComponent(view.runId)}/cpu?${q}`); } catch (e) {
      $('cpu-empty').textContent = e.message; es.show($('cpu-empty'), true); return;
    }
    es.show($('cpu-empty'), d.points === 0);
    if (d.points === 0) $('cpu-empty').textContent = 'No samples in this time range.';
    drawLines(d);
    drawHeat(d);
  }

  function renderCounterList() {
    const filter = $('counter-filter').value.trim().toLowerCase();
    const ul = $('counter-list');
    ul.replaceChildren();
    for (const c of counters) {
      if (filter && !c.path.toLowerCase().includes(filter)) continue;
      const box = es.el('input', { type: 'checkbox', value: c.idx });
      box.checked = picked.includes(c.idx);
      box.addEventListener('change', () => {
        if (box.checked) { picked.push(c.idx); if (picked.length > 8) picked.shift(); } else picked = picked.filter((i) => i !== c.idx);
        view.set({ pick: picked.join(',') });
      });
      ul.appendChild(es.el('li', {}, es.el('label', {}, [box, es.el('span', {}, c.path)])));
    }
  }

  // The ticked counters from the view (key pick): known idx only, at most 8, in order.
  function readPicks() {
    const known = new Set(counters.map((c) => c.idx));
    picked = [...new Set((view.get('pick') || '').split(',').filter((x) => /^\d+$/.test(x)).map(Number))].filter((i) => known.has(i)).slice(-8);
  }

  async function loadCounterChart() {
    const my = ++counterSeq;
    if (charts.counter) { charts.counter.destroy(); charts.counter = null; }
    es.show($('counter-hint'), !picked.length);
    if (!picked.length) return;
    const q = view.windowQuery();
    for (const i of picked) q.append('c', String(i));
    q.set('points', '800');
    let d;
    try { d = await es.api(`/api/runs/${encodeURIComponent(view.runId)}/series?${q}`); } catch (e) { return; }
    if (my !== counterSeq) return; // a newer pick is loading
    if (charts.counter) charts.counter.destroy();
    const datasets = d.series.map((s, i) => ({
      label: s.path, data: d.t.map((t, k) => ({ x: t, y: s.mean[k] })),
      borderColor: view.color(i, d.series.length), borderWidth: 1.3, pointRadius: d.t.length < 60 ? 2 : 0,
    }));
    charts.counter = new Chart($('counter-chart'), {
      type: 'line', data: { datasets },
      options: { animation: false, parsing: false, maintainAspectRatio: false,
        scales: { x: view.timeAxis(d.t) }, plugins: { legend: { position: 'bottom', labels: { boxWidth: 12 } } } },
    });
  }

  async function init(run) {
    let cpu;
    if (!run.cpu_counters.length) {
      $('cpu-empty').textContent = 'This run has no per-CPU processor counters. Record them with: logman create counter etlscope -si 1 -c "\\Processor(*)\\*" -f bincirc';
      es.show($('cpu-empty'), true);
      es.show($('line-box'), false); es.show($('heat-box'), false); es.show($('cpu-controls'), false);
    } else {
      renderPicker(run);
      view.attachZoom($('line-box'), () => charts.lines);
      cpu = loadCpu();
    }
    view.onChange((changed) => {
      if (changed.has('*') || changed.has('pick')) { readPicks(); renderCounterList(); }
      if (changed.has('*') || changed.has('from') || changed.has('to')) { loadCpu(); loadCounterChart(); } else if (changed.has('pick')) loadCounterChart();
      else if (changed.has('counter')) {
        const sel = $('counter-pick');
        if (sel.value !== view.get('counter')) sel.value = view.get('counter');
        loadCpu();
      }
    });
    $('counter-filter').addEventListener('input', renderCounterList);
    try { counters = (await es.api(`/api/runs/${encodeURIComponent(view.runId)}/counters`)).counters; } catch (e) { counters = []; }
    readPicks();
    renderCounterList();
    await Promise.all([cpu, loadCounterChart()]);
  }

  view.panels.push({ section: 'cpu-panel', applies: (run) => run.summary && (run.summary.counters > 0), init });
  view.panels.push({ section: 'counter-panel', applies: (run) => run.summary && (run.summary.counters > 0), init: () => {} });
})();
