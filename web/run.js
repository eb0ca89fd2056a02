// run.js — one run: its facts and warnings, a processor counter for every CPU as lines
// and as a CPU × time heatmap, any other counter on demand, and drag-to-zoom on time.
// The view (counter, from, to) lives in the URL so a link reproduces it.
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);
  const runId = decodeURIComponent(location.pathname.split('/').pop());
  const state = { run: null, counter: null, from: null, to: null, picked: [] };
  const charts = {};
  let counters = null;

  function readUrl() {
    const q = new URLSearchParams(location.search);
    state.counter = q.get('counter');
    const f = Number(q.get('from')), t = Number(q.get('to'));
    state.from = q.has('from') && Number.isFinite(f) ? f : null;
    state.to = q.has('to') && Number.isFinite(t) ? t : null;
  }

  function writeUrl(push) {
    const q = new URLSearchParams();
    if (state.counter) q.set('counter', state.counter);
    if (state.from !== null) q.set('from', String(Math.round(state.from)));
    if (state.to !== null) q.set('to', String(Math.round(state.to)));
    const url = `${location.pathname}${q.toString() ? `?${q}` : ''}`;
    if (push) history.pushState(null, '', url); else history.replaceState(null, '', url);
  }

  function windowQuery() {
    const q = new URLSearchParams();
    if (state.from !== null) q.set('from', String(state.from));
    if (state.to !== null) q.set('to', String(state.to));
    return q;
  }

  // Evenly spaced hues: CPUs stay the same colour across charts.
  function cpuColor(i, n, alpha) {
    const h = Math.round((360 * i) / Math.max(n, 1));
    return `hsla(${h}, 70%, 45%, ${alpha === undefined ? 1 : alpha})`;
  }

  const ramp = [[247, 251, 255], [253, 230, 138], [245, 158, 11], [220, 38, 38], [127, 29, 29]];
  function heatColor(f) {
    if (f === null || Number.isNaN(f)) return 'rgba(0,0,0,0.04)';
    f = Math.min(1, Math.max(0, f)) * (ramp.length - 1);
    const i = Math.min(ramp.length - 2, Math.floor(f)), k = f - i;
    const c = ramp[i].map((v, j) => Math.round(v + (ramp[i + 1][j] - v) * k));
    return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
  }

  function renderFacts(run) {
    document.title = `etlscope — ${run.name}`;
    $('run-name').textContent = run.name;
    $('run-notes').textContent = run.notes || '';
    es.show($('run-notes'), !!run.notes);
    const s = run.summary || {};
    const facts = [
      ['File', `${run.file_name} (${es.fmtBytes(run.file_size)})`],
      ['Format', run.format],
      ['Machine', Array.isArray(s.machines) && s.machines.length ? s.machines.join(', ') : '—'],
      ['CPUs', s.cpus === undefined ? '—' : s.cpus],
      ['Start (UTC)', es.fmtTime(run.start, true)],
      ['Duration', es.fmtDuration(run.duration_s)],
      ['Time zone', s.time_zone ? `${s.time_zone} (bias ${s.bias_minutes} min)` : '—'],
      ['Samples', s.samples === undefined ? '—' : `${s.samples}${s.interval_s ? ` every ${s.interval_s} s` : ''}`],
      ['Counters', s.counters === undefined ? '—' : s.counters],
      ['Status', run.status],
    ];
    if (run.expires) facts.push(['Deleted automatically', es.fmtTime(run.expires)]);
    const dl = $('facts');
    dl.replaceChildren();
    for (const [k, v] of facts) { dl.appendChild(es.el('dt', {}, k)); dl.appendChild(es.el('dd', {}, v)); }
    if (run.warnings && run.warnings.length) {
      const n = run.warnings.reduce((a, w) => a + w.count, 0);
      $('warnings-title').textContent = `${n} warning${n === 1 ? '' : 's'} while reading the file`;
      $('warnings-list').replaceChildren(...run.warnings.map((w) =>
        es.el('li', {}, `${w.message}${w.count > 1 ? ` (×${w.count})` : ''}`)));
      es.show($('warnings'), true);
    }
  }

  function renderPicker(run) {
    const sel = $('counter-pick');
    sel.replaceChildren();
    const names = [...new Set(run.cpu_counters.map((c) => c.counter))];
    for (const n of names) sel.appendChild(es.el('option', { value: n }, n));
    const preferred = ['% processor time', '% dpc time'];
    if (!state.counter || !names.some((n) => n.toLowerCase() === state.counter.toLowerCase())) {
      state.counter = names.find((n) => preferred.includes(n.toLowerCase())) || names[0] || null;
    }
    if (state.counter) sel.value = names.find((n) => n.toLowerCase() === state.counter.toLowerCase());
    sel.addEventListener('change', () => { state.counter = sel.value; writeUrl(true); loadCpu(); });
  }

  function timeAxis(t) {
    const span = t.length > 1 ? t[t.length - 1] - t[0] : 0;
    return {
      type: 'linear',
      min: state.from !== null ? state.from : undefined,
      max: state.to !== null ? state.to : undefined,
      ticks: { maxTicksLimit: 10, callback: (v) => es.fmtClock(v, span) },
      title: { display: true, text: 'time (UTC)' },
    };
  }

  function isPercent(name) { return /^%/.test(name || ''); }

  function drawLines(d) {
    const n = d.series.length;
    const datasets = d.series.map((s, i) => ({
      label: `CPU ${s.cpu}`,
      data: d.t.map((t, k) => ({ x: t, y: s.mean[k] })),
      borderColor: cpuColor(i, n), backgroundColor: cpuColor(i, n, 0.2),
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
        scales: { x: timeAxis(d.t), y },
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
    const n = d.t.length, cpus = d.series.length;
    // Colours span 0 to the highest value shown; the legend says what that is.
    let max = 0;
    for (const s of d.series) for (const v of s.mean) if (v !== null && v > max) max = v;
    if (!max) max = 1;
    const step = n > 1 ? (d.t[n - 1] - d.t[0]) / (n - 1) : 1000;
    const data = [];
    const labels = d.series.map((s) => `CPU ${s.cpu}`);
    d.series.forEach((s, row) => s.mean.forEach((v, k) => data.push({ x: d.t[k] + step / 2, y: labels[row], v, cpu: s.cpu })));
    const cfg = {
      type: 'matrix',
      data: { datasets: [{
        label: d.counter, data,
        backgroundColor: (c) => heatColor(c.raw && c.raw.v !== null ? c.raw.v / max : null),
        borderWidth: 0,
        width: ({ chart }) => (chart.chartArea ? chart.chartArea.width / Math.max(n, 1) + 0.5 : 1),
        height: ({ chart }) => (chart.chartArea ? chart.chartArea.height / Math.max(cpus, 1) + 0.5 : 1),
      }] },
      options: {
        animation: false, maintainAspectRatio: false,
        scales: {
          x: Object.assign(timeAxis(d.t), { offset: false }),
          y: { type: 'category', labels, offset: true, ticks: { autoSkip: true }, grid: { display: false } },
        },
        plugins: {
          legend: { display: false },
          tooltip: { callbacks: {
            title: (it) => (it.length ? `CPU ${it[0].raw.cpu} · ${es.fmtTime(it[0].raw.x - step / 2, true)}` : ''),
            label: (it) => `${d.counter}: ${es.fmtNum(it.raw.v)}`,
          } },
        },
      },
    };
    if (charts.heat) charts.heat.destroy();
    charts.heat = new Chart($('cpu-heat'), cfg);
    const legend = $('heat-legend');
    const grad = es.el('span', { class: 'ramp' });
    grad.style.background = `linear-gradient(to right, ${[0, 0.25, 0.5, 0.75, 1].map(heatColor).join(', ')})`;
    legend.replaceChildren(es.el('span', {}, '0'), grad, es.el('span', {}, es.fmtNum(max)));
  }

  function updateWindowText() {
    const zoomed = state.from !== null || state.to !== null;
    $('window-text').textContent = zoomed ? `${es.fmtTime(state.from, true)} → ${es.fmtTime(state.to, true)}` : '';
    es.show($('zoom-reset'), zoomed);
  }

  async function loadCpu() {
    updateWindowText();
    if (!state.counter) return;
    $('cpu-counter-title').textContent = state.counter;
    const q = windowQuery();
    q.set('counter', state.counter);
    q.set('points', String(Math.max(50, Math.min(2000, Math.floor($('line-box').clientWidth / 2)))));
    let d;
    try { d = await es.api(`/api/runs/${encodeURIComponent(runId)}/cpu?${q}`); } catch (e) {
      $('cpu-empty').textContent = e.message; es.show($('cpu-empty'), true); return;
    }
    es.show($('cpu-empty'), d.points === 0);
    if (d.points === 0) $('cpu-empty').textContent = 'No samples in this time range.';
    drawLines(d);
    drawHeat(d);
  }

  // Drag across the line chart to choose a time window.
  function wireZoom() {
    const box = $('line-box'), sel = $('zoom-sel');
    let x0 = null;
    const xOf = (ev) => ev.clientX - box.getBoundingClientRect().left;
    box.addEventListener('mousedown', (ev) => {
      const c = charts.lines;
      if (!c || ev.button !== 0) return;
      const x = xOf(ev);
      if (x < c.chartArea.left || x > c.chartArea.right) return;
      x0 = x;
      sel.style.left = `${x}px`; sel.style.width = '0px';
      es.show(sel, true);
    });
    window.addEventListener('mousemove', (ev) => {
      if (x0 === null) return;
      const c = charts.lines;
      const x = Math.min(Math.max(xOf(ev), c.chartArea.left), c.chartArea.right);
      sel.style.left = `${Math.min(x0, x)}px`; sel.style.width = `${Math.abs(x - x0)}px`;
    });
    window.addEventListener('mouseup', (ev) => {
      if (x0 === null) return;
      const c = charts.lines;
      const x1 = Math.min(Math.max(xOf(ev), c.chartArea.left), c.chartArea.right);
      const a = Math.min(x0, x1), b = Math.max(x0, x1);
      x0 = null;
      es.show(sel, false);
      if (b - a < 4) return;
      state.from = c.scales.x.getValueForPixel(a);
      state.to = c.scales.x.getValueForPixel(b);
      writeUrl(true);
      refresh();
    });
    $('zoom-reset').addEventListener('click', () => { state.from = null; state.to = null; writeUrl(true); refresh(); });
  }

  async function loadCounterList() {
    let d;
    try { d = await es.api(`/api/runs/${encodeURIComponent(runId)}/counters`); } catch (e) { return; }
    counters = d.counters;
    renderCounterList();
  }

  function renderCounterList() {
    const filter = $('counter-filter').value.trim().toLowerCase();
    const ul = $('counter-list');
    ul.replaceChildren();
    for (const c of counters) {
      if (filter && !c.path.toLowerCase().includes(filter)) continue;
      const box = es.el('input', { type: 'checkbox', value: c.idx });
      box.checked = state.picked.includes(c.idx);
      box.addEventListener('change', () => {
        if (box.checked) { state.picked.push(c.idx); if (state.picked.length > 8) state.picked.shift(); } else state.picked = state.picked.filter((i) => i !== c.idx);
        renderCounterList();
        loadCounterChart();
      });
      ul.appendChild(es.el('li', {}, es.el('label', {}, [box, es.el('span', {}, c.path)])));
    }
  }

  async function loadCounterChart() {
    if (charts.counter) { charts.counter.destroy(); charts.counter = null; }
    es.show($('counter-hint'), !state.picked.length);
    if (!state.picked.length) return;
    const q = windowQuery();
    for (const i of state.picked) q.append('c', String(i));
    q.set('points', '800');
    let d;
    try { d = await es.api(`/api/runs/${encodeURIComponent(runId)}/series?${q}`); } catch (e) { return; }
    const datasets = d.series.map((s, i) => ({
      label: s.path, data: d.t.map((t, k) => ({ x: t, y: s.mean[k] })),
      borderColor: cpuColor(i, d.series.length), borderWidth: 1.3, pointRadius: d.t.length < 60 ? 2 : 0,
    }));
    charts.counter = new Chart($('counter-chart'), {
      type: 'line', data: { datasets },
      options: { animation: false, parsing: false, maintainAspectRatio: false,
        scales: { x: timeAxis(d.t) }, plugins: { legend: { position: 'bottom', labels: { boxWidth: 12 } } } },
    });
  }

  function refresh() { loadCpu(); loadCounterChart(); }

  function wireLink() {
    $('copy-link').addEventListener('click', async () => {
      const ok = await es.copy(location.href, $('copy-fallback'));
      $('copy-done').textContent = ok ? 'Link copied' : 'Copy the link below';
      setTimeout(() => { $('copy-done').textContent = ''; }, 3000);
    });
  }

  function wireEdit(run) {
    $('edit-name').value = run.name;
    $('edit-notes').value = run.notes || '';
    $('edit-token').value = es.loadToken(runId);
    const status = (t, bad) => { $('edit-status').textContent = t; $('edit-status').className = bad ? 'error' : 'hint'; };
    const headers = () => Object.assign({ 'Content-Type': 'application/json', 'X-Edit-Token': $('edit-token').value.trim() }, es.accessHeaders());
    $('edit-form').addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const body = { name: $('edit-name').value.trim(), notes: $('edit-notes').value };
      const exp = $('edit-expiry').value;
      if (exp === 'never') body.expires = null;
      else if (exp !== 'keep') body.expires = Date.now() + Number(exp) * 86400000;
      try {
        const updated = await es.api(`/api/runs/${encodeURIComponent(runId)}`, { method: 'PATCH', headers: headers(), body: JSON.stringify(body) });
        es.saveToken(runId, $('edit-token').value.trim());
        renderFacts(updated);
        status('Saved');
      } catch (e) { status(e.message, true); }
    });
    $('delete-run').addEventListener('click', async () => {
      if (!window.confirm(`Delete the run "${run.name}" and everything stored for it?`)) return;
      try {
        await es.api(`/api/runs/${encodeURIComponent(runId)}`, { method: 'DELETE', headers: headers() });
        es.forgetToken(runId);
        location.assign('/');
      } catch (e) { status(e.message, true); }
    });
  }

  async function main() {
    readUrl();
    let run;
    try { run = await es.api(`/api/runs/${encodeURIComponent(runId)}`); } catch (e) {
      $('load-error').textContent = `Cannot open this run: ${e.message}`;
      es.show($('load-error'), true);
      es.show($('meta'), false); es.show($('cpu-panel'), false); es.show($('counter-panel'), false);
      return;
    }
    state.run = run;
    renderFacts(run);
    wireLink();
    wireEdit(run);
    if (!run.cpu_counters.length) {
      $('cpu-empty').textContent = 'This run has no per-CPU processor counters. Record them with: logman create counter etlscope -si 1 -c "\\Processor(*)\\*" -f bincirc';
      es.show($('cpu-empty'), true);
      es.show($('line-box'), false); es.show($('heat-box'), false);
    } else {
      renderPicker(run);
      wireZoom();
      loadCpu();
    }
    $('counter-filter').addEventListener('input', renderCounterList);
    loadCounterList();
    window.addEventListener('popstate', () => { readUrl(); refresh(); });
  }

  document.addEventListener('DOMContentLoaded', main);
})();
