// panel_inside.js — "what runs inside the DPCs/ISRs" (GET /api/runs/{id}/dpcisr/inside): per
// DPC/ISR module, the modules where the CPU was in the samples taken inside its DPCs or
// ISRs (leaf modules, with vendor and category), as a stacked bar per module and a table,
// and the module-level caller chains (leaf first). In the run page it sits in the DPC/ISR
// panel and follows its module filter; the compare page shows the leaf shares of each run
// side by side (insideView.compare). The counts cover the whole run. Text is set with
// textContent only (es.el).
'use strict';

const insideView = (function () {
  const int = (n) => fmt.count(Number(n));
  const pct = (f) => `${(f * 100).toFixed(f >= 0.995 || f < 0.001 ? 0 : 1)} %`;
  const kindLabel = { normal_dpc: 'DPC', threaded_dpc: 'threaded DPC', timer_dpc: 'timer DPC', line_isr: 'ISR', msi_isr: 'MSI ISR' };
  const groupName = (g) => `${g.module} ${kindLabel[g.kind] || g.kind}${g.module_id === -2 ? ' (no DPC/ISR event)' : ''}`;
  const LEAVES = 6;   // leaf rows per group in the table
  const record = 'xperf -on PROC_THREAD+LOADER+PROFILE+DPC+INTERRUPT -stackwalk Profile';

  const url = (runId, query) => `/api/runs/${encodeURIComponent(runId)}/dpcisr/inside?${query || ''}`;
  function load(runId, query) {
    return es.api(url(runId, query));
  }

  // The note above the table: nothing inside, no stacks, scope.
  function note(doc) {
    const t = doc.totals;
    if (doc.recorded === false)
      return 'This run was ingested by an earlier etlscope that did not record what runs inside DPCs and ISRs: upload the trace again to see it.';
    if (!doc.groups.length)
      return `No CPU sample fell inside a DPC or ISR in this trace, so the code running inside them cannot be named. Record CPU samples with stacks alongside DPC/ISR events: ${record} (or WPR's CPU profile with DPC/ISR).`;
    const parts = [`${int(t.samples_inside)} CPU samples fell inside DPCs/ISRs (whole run; the CPU and time filters do not apply here).`];
    if (t.samples_flag_only) parts.push(`${int(t.samples_flag_only)} more carry the ExecutingDPC/ISR flag but lie in no logged DPC/ISR: listed as "no DPC/ISR event".`);
    if (t.samples_with_stack === 0) parts.push(`They carry no stacks, so only the module where the CPU was is known; add -stackwalk Profile to see the callers.`);
    return parts.join(' ');
  }

  function table(node, doc) {
    const head = es.el('tr', {}, ['DPC/ISR module', 'Samples inside', 'Where the CPU was (leaf)', 'Vendor', 'Category', 'Share']
      .map((h, i) => es.el('th', { class: i === 1 || i === 5 ? 'num' : null }, h)));
    const rows = [];
    for (const g of doc.groups) {
      g.leaf.slice(0, LEAVES).forEach((l, i) => {
        rows.push(es.el('tr', { 'data-group': g.module, 'data-leaf': l.module }, [
          es.el('td', {}, i ? '' : groupName(g)),
          es.el('td', { class: 'num' }, i ? '' : int(g.samples)),
          es.el('td', {}, l.module),
          es.el('td', {}, l.vendor || ''),
          es.el('td', {}, l.category ? categories.badge(l.category) : ''),
          es.el('td', { class: 'num' }, pct(l.share)),
        ]));
      });
    }
    node.replaceChildren(es.el('thead', {}, head), es.el('tbody', {}, rows));
  }

  function chains(node, doc) {
    const head = es.el('tr', {}, ['DPC/ISR module', 'Caller chain, leaf first', 'Samples', 'Share of stacks']
      .map((h, i) => es.el('th', { class: i >= 2 ? 'num' : null }, h)));
    const rows = [];
    for (const g of doc.groups) {
      for (const c of g.chains)
        rows.push(es.el('tr', {}, [es.el('td', {}, groupName(g)), es.el('td', {}, c.modules.join(' ← ')),
          es.el('td', { class: 'num' }, int(c.samples)), es.el('td', { class: 'num' }, pct(c.share))]));
      if (g.other_chains_samples)
        rows.push(es.el('tr', {}, [es.el('td', {}, groupName(g)), es.el('td', { class: 'hint' }, 'other chains'),
          es.el('td', { class: 'num' }, int(g.other_chains_samples)), es.el('td', { class: 'num' }, pct(g.other_chains_samples / g.with_stack))]));
    }
    node.replaceChildren(es.el('thead', {}, head), es.el('tbody', {}, rows));
    return rows.length;
  }

  // One horizontal bar per DPC/ISR module: its samples inside, split by leaf module and
  // coloured by the leaf's category.
  function chart(canvas, doc, old) {
    if (old) old.destroy();
    const groups = doc.groups.slice(0, 12);
    const leaves = [];
    for (const g of groups) for (const l of g.leaf) if (!leaves.some((x) => x.module === l.module)) leaves.push(l);
    const datasets = leaves.map((l) => ({
      label: l.module,
      data: groups.map((g) => { const x = g.leaf.find((y) => y.module === l.module); return x ? x.samples : 0; }),
      backgroundColor: categories.color(l.category || 'outside-modules', 0.85),
      borderColor: '#ffffff', borderWidth: 1,
    }));
    return new Chart(canvas, {
      type: 'bar',
      data: { labels: groups.map(groupName), datasets },
      options: {
        indexAxis: 'y', animation: false, maintainAspectRatio: false,
        scales: { x: { stacked: true, title: { display: true, text: 'CPU samples inside' } }, y: { stacked: true } },
        plugins: { legend: { position: 'bottom' }, tooltip: { callbacks: {
          label: (it) => `${it.dataset.label}: ${int(it.parsed.x)} (${pct(it.parsed.x / groups[it.dataIndex].samples)})`,
        } } },
      },
    });
  }

  // Compare: one row per (DPC/ISR module, leaf module), one share column per run.
  function compare(node, docs, names) {
    const keys = [];
    docs.forEach((d) => d && d.groups.forEach((g) => g.leaf.slice(0, LEAVES).forEach((l) => {
      const k = `${groupName(g)}\u0000${l.module}`;
      if (!keys.includes(k)) keys.push(k);
    })));
    const head = es.el('tr', {}, [es.el('th', {}, 'DPC/ISR module'), es.el('th', {}, 'Where the CPU was (leaf)'),
      ...names.map((n) => es.el('th', { class: 'num' }, `${n}: share (samples)`))]);
    const rows = keys.map((k) => {
      const [gname, leaf] = k.split('\u0000');
      return es.el('tr', { 'data-group': gname, 'data-leaf': leaf }, [es.el('td', {}, gname), es.el('td', {}, leaf),
        ...docs.map((d) => {
          const g = d && d.groups.find((x) => groupName(x) === gname);
          const l = g && g.leaf.find((x) => x.module === leaf);
          return es.el('td', { class: 'num' }, !d ? '—' : l ? `${pct(l.share)} (${int(l.samples)})` : g ? '0 %' : 'not running');
        })]);
    });
    node.replaceChildren(es.el('thead', {}, head), es.el('tbody', {}, rows));
    return rows.length;
  }

  // ---- the run page: a block of the DPC/ISR panel ----
  function runPanel() {
    const $ = (id) => document.getElementById(id);
    let bar = null, seq = 0;
    const viewUrl = () => {
      const q = new URLSearchParams();
      const m = view.get('module');
      if (m !== null && /^-?\d+$/.test(m)) q.set('module', m);
      return url(view.runId, q);
    };
    async function refresh() {
      const my = ++seq;
      try {
        const doc = await view.take(viewUrl());
        if (my !== seq) return;
        // the chart before the tables: Chart.js reads its box's size (a layout), and a read
        // after the tables were written laid them out with it (bench/README.md h-pages7)
        es.show($('dpc-inside-box'), doc.groups.length > 0);
        bar = doc.groups.length ? chart($('dpc-inside-chart'), doc, bar) : (bar && bar.destroy(), null);
        $('dpc-inside-note').textContent = note(doc);
        table($('dpc-inside'), doc);
        const n = chains($('dpc-inside-chains'), doc);
        es.show($('dpc-inside-chains-wrap'), n > 0);
        $('dpc-inside-block').dataset.ready = String(my);
      } catch (err) {
        if (my !== seq) return;
        $('dpc-inside-note').textContent = `Cannot load what runs inside DPCs/ISRs: ${err.message}`;
      }
    }
    view.panels.push({
      section: 'dpc-panel',
      applies: (r) => r.format === 'etl' && !!r.summary,
      askAhead: (r) => { if (r.summary.dpcisr_enabled !== false) view.askAhead(viewUrl()); },
      init(r) {
        if (r.summary.dpcisr_enabled === false) { es.show($('dpc-inside-block'), false); return; }
        view.onChange((changed) => { if (changed.has('*') || changed.has('module')) refresh(); });
        return refresh();
      },
    });
  }
  if (typeof view !== 'undefined' && view.panels) runPanel();

  return { load, note, table, chains, chart, compare };
})();
