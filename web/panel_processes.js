// panel_processes.js — per-process CPU of a perfmon run (PAL's "top processes"): the
// processes with the most Process(*)\% Processor Time in the selected window, each as a
// line over time. Hidden when the log has no Process(*) columns. View keys: from, to.
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);
  let chart = null;

  function draw(d) {
    const n = d.series.length;
    const datasets = d.series.map((s, i) => ({
      label: s.instance,
      data: d.t.map((t, k) => ({ x: t, y: s.mean[k] })),
      borderColor: view.color(i, n), backgroundColor: view.color(i, n, 0.2),
      borderWidth: 1.3, pointRadius: d.t.length < 60 ? 2 : 0, spanGaps: false,
    }));
    const cfg = {
      type: 'line', data: { datasets },
      options: {
        animation: false, parsing: false, normalized: true, maintainAspectRatio: false,
        interaction: { mode: 'nearest', axis: 'x', intersect: false },
        scales: { x: view.timeAxis(d.t), y: { min: 0, title: { display: true, text: '% Processor Time (100 = one CPU)' } } },
        plugins: {
          legend: { position: 'right', labels: { boxWidth: 12 } },
          tooltip: { callbacks: { title: (it) => (it.length ? es.fmtTime(it[0].parsed.x, true) : '') } },
        },
      },
    };
    if (chart) chart.destroy();
    chart = new Chart($('proc-lines'), cfg);
  }

  function renderTable(d) {
    const body = $('proc-body');
    body.replaceChildren();
    for (const s of d.series) {
      body.appendChild(es.el('tr', {}, [
        es.el('td', {}, s.instance),
        es.el('td', { class: 'num' }, s.window_mean === null ? '—' : es.fmtNum(s.window_mean)),
      ]));
    }
  }

  async function load() {
    const q = view.windowQuery();
    q.set('top', '10');
    q.set('points', String(Math.max(50, Math.min(2000, Math.floor($('proc-box').clientWidth / 2)))));
    let d;
    try { d = await es.api(`/api/runs/${encodeURIComponent(view.runId)}/processes?${q}`); } catch (e) {
      $('proc-empty').textContent = e.message; es.show($('proc-empty'), true); return;
    }
    if (!d.processes) { es.show($('proc-panel'), false); return; }
    $('proc-count').textContent = `top ${d.series.length} of ${d.processes}`;
    es.show($('proc-empty'), d.points === 0);
    if (d.points === 0) $('proc-empty').textContent = 'No samples in this time range.';
    draw(d);
    renderTable(d);
    $('proc-panel').dataset.ready = '1';
  }

  function init() {
    view.attachZoom($('proc-box'), () => chart);
    view.onChange((changed) => { if (changed.has('*') || changed.has('from') || changed.has('to')) load(); });
    return load();
  }

  view.panels.push({ section: 'proc-panel', applies: (run) => run.summary && (run.summary.counters > 0), init });
})();
