// panel_findings.js — the verdict first (one sentence, LatencyMon-style), then the ranked
// findings with their numbers; each links to the panel and filter that shows it (view keys
// such as module, cpus, from/to, counter, dq). Findings are stored per run, so a share link
// always shows the same verdict. Shown for every run.
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);
  // Finding link panel → the id of its <section> in run.html (keep the two in step).
  const panelSection = { dpcisr: 'dpc-panel', drivers: 'drivers-panel', counters: 'cpu-panel', summary: 'meta', sched: 'sched-panel', stacks: 'stacks-panel' };
  const panelName = { dpcisr: 'DPC/ISR', drivers: 'drivers', counters: 'counters', summary: 'trace facts', sched: 'syscalls and scheduling', stacks: 'stacks' };

  // What a finding's numbers are called on the page, and how each is formatted (fmt).
  // Internal keys (module_id) are not shown; unknown keys fall back on their unit suffix.
  const numberNames = {
    count: ['calls', fmt.count], avg_us: ['average', fmt.us], max_us: ['longest', fmt.us],
    above_guideline: ['calls above the guideline', fmt.count], above_share: ['share above the guideline', fmt.percent],
    total_ms: ['total time', fmt.ms], guideline_us: ['guideline', fmt.us], cpus: ['CPUs'],
    mean_pct: ['mean over the log', fmt.pct], total_mean_pct: ['mean of all CPUs (_Total)', fmt.pct],
    threshold_pct: ['threshold', fmt.pct], max_pct: ['highest', fmt.pct], window_s: ['window', fmt.seconds],
    max_share: ['highest share of a window', fmt.percent], module: ['module'],
    inclusive_samples: ['samples with it on the stack', fmt.count], exclusive_samples: ['samples in it', fmt.count],
    samples: ['CPU samples', fmt.count], inclusive_share: ['on the stack', fmt.percent], exclusive_share: ['executing itself', fmt.percent],
    dpc_count: ['DPCs', fmt.count], isr_count: ['ISRs', fmt.count], dpcisr_ms: ['DPC/ISR time', fmt.ms],
    dpcisr_share: ['share of DPC/ISR time', fmt.percent], sample_share: ['share of CPU samples', fmt.percent],
    events_lost: ['events lost', fmt.count], buffers_lost: ['buffers lost', fmt.count], buffers_flagged_lost: ['buffers flagged lost', fmt.count],
    logger_name: ['logger'], product: ['product'], counter: ['counter'], mean: ['mean queue', fmt.number],
    per_cpu: ['per CPU', fmt.number], not_recorded: ['not recorded'], total_only: ['only for all CPUs (_Total)'],
    inside: ['CPU samples inside its DPCs/ISRs'], third_party_modules: ['third-party modules on its stacks'],
    cpus_used: ['CPUs used', fmt.number],
  };
  const hidden = new Set(['module_id']);
  const units = [[/_us$/, fmt.us], [/_ms$/, fmt.ms], [/_s$/, fmt.seconds], [/_pct$/, fmt.pct], [/_share$/, fmt.percent]];

  // A nested value in words: what runs inside DPCs, or a list of modules with their shares.
  function fmtNested(k, v) {
    if (k === 'inside') {
      const n = `${fmt.count(v.samples)} samples`;
      return v.leaf_module ? `${n}, ${fmt.percent(v.leaf_share)} in ${v.leaf_module}` : n;
    }
    if (typeof v.module === 'string') return v.inclusive_share != null ? `${v.module} (${fmt.percent(v.inclusive_share)})` : v.module;
    return Object.entries(v).filter(([key]) => !/_id$/.test(key))
      .map(([key, x]) => `${key.replace(/_/g, ' ')} ${typeof x === 'number' ? fmtValue(key, x) : String(x)}`).join(', ');
  }

  function fmtValue(k, v, f) {
    if (Array.isArray(v)) return v.map((x) => (x && typeof x === 'object' ? fmtNested(k, x) : String(x))).join(', ');
    if (v && typeof v === 'object') return fmtNested(k, v);
    if (typeof v !== 'number') return String(v);
    if (/^(from|to)$/.test(k)) return es.fmtTime(v, true);
    if (f) return f(v);
    for (const [re, g] of units) if (re.test(k)) return g(v);
    return Number.isInteger(v) ? fmt.count(v) : fmt.number(v);
  }

  function numbers(n) {
    const dl = es.el('dl', { class: 'finding-numbers' });
    for (const [k, v] of Object.entries(n || {})) {
      if (hidden.has(k)) continue;
      const [name, f] = numberNames[k] || [k.replace(/_(us|ms|s|pct)$/, '').replace(/_/g, ' ')];
      dl.appendChild(es.el('dt', {}, name));
      dl.appendChild(es.el('dd', {}, fmtValue(k, v, f)));
    }
    return dl;
  }

  function linkFor(link) {
    const params = (link && link.params) || {};
    const section = panelSection[link && link.panel];
    const q = new URLSearchParams(view.state);
    for (const [k, v] of Object.entries(params)) q.set(k, String(v));
    const a = es.el('a', { href: `${location.pathname}?${q.toString()}${section ? `#${section}` : ''}`, class: 'finding-link' },
      `Show in ${panelName[link && link.panel] || 'the page'}`);
    a.addEventListener('click', (ev) => {
      ev.preventDefault();
      view.set(params);
      const target = section && $(section);
      if (target && !target.hidden) target.scrollIntoView({ behavior: 'smooth', block: 'start' });
    });
    return a;
  }

  // "Callers and callees of X" for a finding that names a module (the stacks panel's
  // butterfly, panel_stacks.js); null on pages or runs without that panel.
  function stacksLink(f) {
    const mod = f && f.numbers && typeof f.numbers.module === 'string' ? f.numbers.module : null;
    // the page has the panel (the verdict may be drawn before panel_stacks.js has run)
    if (!mod || !document.getElementById('stacks-panel') || !view.run || view.run.format !== 'etl') return null;
    const b = es.el('button', { type: 'button', class: 'link finding-stacks', 'data-module': mod }, `Callers and callees of ${mod}`);
    b.addEventListener('click', () => { if (window.stacksShowModule) window.stacksShowModule(mod); });
    return b;
  }

  function render(doc) {
    const v = doc.verdict || { severity: 'ok', sentence: '' };
    const box = $('verdict');
    box.className = `verdict sev-${v.severity}`;
    box.replaceChildren(es.el('strong', {}, v.sentence));
    const top = stacksLink((doc.findings || [])[0]);
    if (top) box.append(' ', top);
    const list = $('findings-list');
    list.replaceChildren();
    for (const f of doc.findings || []) {
      list.appendChild(es.el('li', { class: `finding sev-${f.severity}`, 'data-id': f.id }, [
        es.el('span', { class: `badge sev-${f.severity}` }, f.severity),
        es.el('p', { class: 'finding-sentence' }, f.sentence),
        numbers(f.numbers),
        linkFor(f.link),
        stacksLink(f),
      ]));
    }
    es.show($('findings-none'), !(doc.findings || []).length);
    $('findings-kb').textContent = `Findings engine ${doc.engine}, driver knowledge base ${doc.kb_version}` +
      (doc.computed ? `, computed ${es.fmtTime(doc.computed)} UTC` : '');
  }

  view.panels.push({
    section: 'findings-panel',
    applies: () => true,
    async init(run) {
      try {
        render(await view.ask('/findings')); // asked for early by view.js
      } catch (e) {
        $('verdict').replaceChildren(es.el('span', { class: 'error' }, `Cannot compute findings: ${e.message}`));
      }
    },
  });
})();
