// panel_findings.js — the verdict first (one sentence, LatencyMon-style), then the ranked
// findings with their numbers; each links to the panel and filter that shows it (view keys
// such as module, cpus, from/to, counter, dq). Findings are stored per run, so a share link
// always shows the same verdict. Shown for every run.
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);
  // Finding link panel → the id of its <section> in run.html (keep the two in step).
  const panelSection = { dpcisr: 'dpc-panel', drivers: 'drivers-panel', counters: 'cpu-panel', summary: 'meta' };
  const panelName = { dpcisr: 'DPC/ISR', drivers: 'drivers', counters: 'counters', summary: 'trace facts' };

  function fmtValue(k, v) {
    if (Array.isArray(v)) return v.join(', ');
    if (typeof v !== 'number') return String(v);
    if (/share$/.test(k)) return `${(v * 100).toFixed(1)} %`;
    if (/^(from|to)$/.test(k)) return es.fmtTime(v, true);
    if (Number.isInteger(v)) return v.toLocaleString('en-US');
    return es.fmtNum(v);
  }

  function numbers(n) {
    const dl = es.el('dl', { class: 'finding-numbers' });
    for (const [k, v] of Object.entries(n || {})) {
      dl.appendChild(es.el('dt', {}, k.replace(/_/g, ' ')));
      dl.appendChild(es.el('dd', {}, fmtValue(k, v)));
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

  function render(doc) {
    const v = doc.verdict || { severity: 'ok', sentence: '' };
    const box = $('verdict');
    box.className = `verdict sev-${v.severity}`;
    box.replaceChildren(es.el('strong', {}, v.sentence));
    const list = $('findings-list');
    list.replaceChildren();
    for (const f of doc.findings || []) {
      list.appendChild(es.el('li', { class: `finding sev-${f.severity}`, 'data-id': f.id }, [
        es.el('span', { class: `badge sev-${f.severity}` }, f.severity),
        es.el('p', { class: 'finding-sentence' }, f.sentence),
        numbers(f.numbers),
        linkFor(f.link),
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
        render(await es.api(`/api/runs/${encodeURIComponent(run.id)}/findings`));
      } catch (e) {
        $('verdict').replaceChildren(es.el('span', { class: 'error' }, `Cannot compute findings: ${e.message}`));
      }
    },
  });
})();
