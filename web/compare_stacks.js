// compare_stacks.js — the compare page's stacks section: a differential flame graph of the
// baseline run against another run (each frame sized by the other run, coloured by its
// change; per second when the runs' lengths differ) and the per-process CPU deltas (CPUs
// used, from each run's /processes). Shown when both runs have sampled stacks. The diff is
// merged by the server (/api/compare/stacks): each node's value is the other run's samples
// and delta the change, per second when the runs' lengths differ.
// URL keys: runs, base (shared with compare.js), sgrp (frame or function; module by default).
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);
  const q = () => new URLSearchParams(location.search);

  function pair() {
    const ids = (q().get('runs') || '').split(',').filter(Boolean);
    const base = q().get('base') || ids[0];
    return { base, other: ids.find((x) => x !== base), ids };
  }

  function processDeltas(a, b) {
    // Processes are matched by image name: pids differ between runs.
    const byName = (d) => {
      const m = new Map();
      for (const p of d.processes || []) m.set(p.name, (m.get(p.name) || 0) + (p.cpus_used || 0));
      return m;
    };
    const ma = byName(a), mb = byName(b);
    const names = [...new Set([...ma.keys(), ...mb.keys()])];
    const rows = names.map((n) => ({ name: n, base: ma.get(n) || 0, other: mb.get(n) || 0 }))
      .map((r) => Object.assign(r, { delta: r.other - r.base }))
      .sort((x, y) => Math.abs(y.delta) - Math.abs(x.delta) || x.name.localeCompare(y.name))
      .slice(0, 20);
    const body = rows.map((r) => es.el('tr', { 'data-process': r.name }, [
      es.el('td', {}, r.name), es.el('td', { class: 'num' }, fmt.number(r.base)), es.el('td', { class: 'num' }, fmt.number(r.other)),
      es.el('td', { class: `num ${r.delta > 0 ? 'worse' : r.delta < 0 ? 'better' : ''}` }, fmt.signed(r.delta)),
    ]));
    $('cmp-procs-body').replaceChildren(...body);
  }

  // Marks the section settled (shown or not) for tests and screenshots: data-done.
  async function load() {
    await draw();
    $('cmp-stacks-panel').dataset.done = '1';
  }

  async function draw() {
    const { base, other } = pair();
    if (!base || !other) return;
    // functions (module!function once symbols name them) match across driver builds, where
    // frame offsets do not
    const group = ['frame', 'function'].includes(q().get('sgrp')) ? q().get('sgrp') : 'module';
    let tree, a, b;
    try {
      [a, b] = await Promise.all([base, other].map((id) => es.api(`/api/runs/${encodeURIComponent(id)}/processes`)));
      // Only runs with sampled CPU (ETW runs with PROFILE samples) have stacks to compare.
      const sampled = (d) => Array.isArray(d.processes) && d.total > 0;
      if (!sampled(a) || !sampled(b)) { es.show($('cmp-stacks-panel'), false); return; }
      const runs = [base, other].map(encodeURIComponent).join(',');
      tree = await es.api(`/api/compare/stacks?runs=${runs}&base=${encodeURIComponent(base)}&group=${group}&min_share=0.001`);
    } catch (e) { es.show($('cmp-stacks-panel'), false); return; }
    if (!tree.root || !tree.root.value) { es.show($('cmp-stacks-panel'), false); return; }
    es.show($('cmp-stacks-panel'), true);
    const per = tree.normalised === 'per_second' ? 'samples per second (the runs differ in length)' : 'samples';
    $('cmp-stacks-note').textContent = `Frames sized by the other run, in ${per}; red grew against the baseline, blue shrank. Grouped by ${group}.`;
    for (const btn of $('cmp-stacks-group').querySelectorAll('button')) btn.classList.toggle('on', btn.dataset.group === group);
    flame.draw($('cmp-flame'), tree.root, { diff: true, details: $('cmp-flame-details') });
    processDeltas(a, b);
    $('cmp-stacks-panel').dataset.ready = `${base},${other},${group}`;
  }

  function setGroup(g) {
    const p = q();
    if (g === 'module') p.delete('sgrp'); else p.set('sgrp', g);
    history.replaceState(null, '', `${location.pathname}?${p}`);
    load();
  }

  document.addEventListener('DOMContentLoaded', () => {
    for (const btn of $('cmp-stacks-group').querySelectorAll('button')) btn.addEventListener('click', () => setGroup(btn.dataset.group));
    // compare.js records a new baseline in the URL when its radio button changes.
    document.addEventListener('change', (ev) => { if (ev.target && ev.target.name === 'cmp-base') load(); });
    load();
  });
})();
