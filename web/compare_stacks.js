// compare_stacks.js — the compare page's stacks section: a differential flame graph of the
// baseline run against another run (each frame sized by the other run, coloured by its
// change; per second when the runs' lengths differ) and the per-process CPU deltas (CPUs
// used, from each run's /processes). Shown when both runs have sampled stacks. The diff is
// merged here from the two runs' /stacks/tree (the server's /api/compare/stacks of the
// issue 13 contract is not written yet; it would answer the same tree).
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

  // The other run's tree with each node's change against the baseline, matched by the
  // path of names from the root; per second when the runs' lengths differ. Frames only in
  // the baseline have value 0 (the graph draws the other run) and a negative delta.
  function diffTree(ta, tb, msA, msB) {
    const perSecond = msA && msB && Math.abs(msA - msB) > 1;
    const ka = perSecond ? 1000 / msA : 1, kb = perSecond ? 1000 / msB : 1;
    const merge = (na, nb) => {
      const x = nb || na;
      const va = na ? na.value * ka : 0, vb = nb ? nb.value * kb : 0;
      const kids = new Map();
      for (const c of (na && na.children) || []) kids.set(c.name, [c, null]);
      for (const c of (nb && nb.children) || []) kids.set(c.name, [(kids.get(c.name) || [null])[0], c]);
      return { name: x.name, module: x.module, kernel: x.kernel, value: vb, delta: vb - va,
        children: [...kids.values()].map(([ca, cb]) => merge(ca, cb)) };
    };
    return { group: tb.group, normalised: perSecond ? 'per_second' : 'none', root: merge(ta.root, tb.root) };
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
      const [ta, tb] = await Promise.all([base, other].map((id) => es.api(`/api/runs/${encodeURIComponent(id)}/stacks/tree?group=${group}&min_share=0.001`)));
      tree = diffTree(ta, tb, a.duration_ms, b.duration_ms);
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
