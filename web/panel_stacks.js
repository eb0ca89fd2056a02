// panel_stacks.js — "CPU by process and stacks" for ETW runs with sampled stacks: the
// process table (samples, share of the machine, CPUs used, threads, busiest threads, a
// sparkline of CPU over time), the thread table of the chosen process, a flame graph, the
// call tree (top-down or inverted) as an expandable table, callers and callees of a module
// (butterfly), export links, and the samples by stack tag (our default tags, or a .stacktags
// file the user picks: posted with each request, kept in this page only). Everything
// follows the time window and the CPU selection.
// View keys: pid, tid (the chosen process and thread; a finding's link to panel "stacks"
// carries pid), sinv (1 = inverted tree), sgrp
// (module = group frames by module, function = merge a named function's frames), smod (the
// module — or module!function — whose callers/callees are shown), stag (a default stack tag,
// or "(untagged)": only its samples in the tree, flame graph and butterfly).
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);
  const SVG = 'http://www.w3.org/2000/svg';
  const RECORD = 'xperf -on PROC_THREAD+LOADER+PROFILE -stackwalk Profile';
  let procs = null;
  let tree = null;
  let tagFile = null; // {name, text} of a picked .stacktags file; null = the default tags
  const expanded = new Set();
  // A panel's first view needs the processes, the tree and the tags: asked for together
  // (askAhead, view.askAhead), not one after the other, and before the page's charts take
  // the main thread; ask(url) takes an answer asked for ahead, or asks afresh.
  const ask = view.take;
  let askedAhead = []; // dropped when the first view stops early (an error, no samples)

  const base = () => `/api/runs/${encodeURIComponent(view.runId)}`;
  // What a click on a frame opens in the butterfly: its function in the function view (when
  // symbols name it: module!function), else its module.
  const bflyTarget = (n) => (group() === 'function' && n.name.includes('!') ? n.name : n.module);
  // frame (default), function (module!function, a function's frames merged) or module
  const group = () => (['module', 'function'].includes(view.get('sgrp')) ? view.get('sgrp') : 'frame');

  // The shared filter: window, CPUs, the chosen process and thread, and the chosen stack
  // tag of the default set (stag: a tag path, or "(untagged)").
  function filter({ withProcess = true } = {}) {
    const q = view.windowQuery();
    if (view.get('cpus')) q.set('cpus', view.get('cpus'));
    if (withProcess && view.get('pid')) q.set('pid', view.get('pid'));
    if (withProcess && view.get('tid')) q.set('tid', view.get('tid'));
    if (withProcess && view.get('stag')) q.set('tag', view.get('stag'));
    return q;
  }

  function notRecorded(text) {
    $('stk-empty').textContent = text;
    es.show($('stk-empty'), true);
    es.show($('stk-body'), false);
  }

  // A sparkline of samples per slice, drawn with DOM APIs (no inline markup).
  function spark(values) {
    const w = 100, h = 20;
    const svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('viewBox', `0 0 ${w} ${h}`);
    svg.setAttribute('class', 'spark');
    svg.setAttribute('aria-hidden', 'true');
    const max = Math.max(1, ...values);
    const n = Math.max(1, values.length - 1);
    const line = document.createElementNS(SVG, 'polyline');
    line.setAttribute('points', values.map((v, i) => `${((i * w) / n).toFixed(1)},${(h - (v * (h - 2)) / max - 1).toFixed(1)}`).join(' '));
    svg.appendChild(line);
    return svg;
  }

  function renderProcesses() {
    const sel = view.get('pid');
    const rows = procs.processes.map((p) => {
      // Samples of threads never described have pid null: shown, but not a filter.
      const label = p.name || `pid ${p.pid}`;
      const name = p.pid === null ? es.el('span', {}, label) : es.el('button', { type: 'button', class: 'link', 'data-pid': p.pid, title: p.command_line || null }, label);
      if (p.pid !== null) name.addEventListener('click', () => view.set({ pid: String(p.pid) === sel ? null : p.pid, tid: null }));
      const busiest = (p.busiest_threads || []).map((t) => `${t.name || t.tid}: ${fmt.count(t.samples)}`).join(', ');
      return es.el('tr', { class: String(p.pid) === sel ? 'selected' : null, 'data-pid': p.pid }, [
        es.el('td', {}, name), es.el('td', { class: 'num' }, p.pid === null ? '—' : String(p.pid)),
        es.el('td', { class: 'num' }, fmt.count(p.samples)), es.el('td', { class: 'num' }, fmt.percent(p.share_of_machine)),
        es.el('td', { class: 'num' }, fmt.number(p.cpus_used)), es.el('td', { class: 'num' }, fmt.count(p.threads)),
        es.el('td', { class: 'small' }, busiest), es.el('td', {}, spark(p.spark || [])),
      ]);
    });
    $('stk-procs-body').replaceChildren(...rows);
    const slice = procs.slice_ms ? `; each sparkline point is ${fmt.ms(procs.slice_ms)}` : '';
    $('stk-procs-note').textContent = `${fmt.count(procs.total)} samples on ${fmt.count(procs.cpus)} CPUs, Idle included${slice}. Click a process to see its threads and its stacks.`;
  }

  async function loadThreads() {
    const pid = view.get('pid');
    es.show($('stk-threads-wrap'), !!pid);
    if (!pid) return;
    const p = procs && procs.processes.find((x) => String(x.pid) === pid);
    $('stk-threads-title').textContent = `Threads of ${p ? p.name : `pid ${pid}`} (pid ${pid})`;
    let d;
    try { d = await ask(threadsUrl()); } catch (e) { $('stk-threads-body').replaceChildren(es.el('tr', {}, es.el('td', { colspan: 4, class: 'error' }, e.message))); return; }
    const sel = view.get('tid');
    const rows = d.threads.map((t) => {
      const b = es.el('button', { type: 'button', class: 'link', 'data-tid': t.tid }, String(t.tid));
      b.addEventListener('click', () => view.set({ tid: String(t.tid) === sel ? null : t.tid }));
      return es.el('tr', { class: String(t.tid) === sel ? 'selected' : null }, [
        es.el('td', { class: 'num' }, b), es.el('td', {}, t.name || '—'),
        es.el('td', { class: 'num' }, fmt.count(t.samples)), es.el('td', { class: 'num' }, fmt.percent(t.share)),
      ]);
    });
    $('stk-threads-body').replaceChildren(...rows);
  }

  // One row of the call tree and, when expanded, its children beneath it.
  function treeRows(node, depth, path, out) {
    const key = `${path}/${node.name}`;
    const kids = node.children || [];
    const open = expanded.has(key);
    const toggle = es.el('button', { type: 'button', class: 'tree-toggle', 'aria-expanded': kids.length ? String(open) : null, disabled: !kids.length }, kids.length ? (open ? '▾' : '▸') : '·');
    toggle.addEventListener('click', () => { if (open) expanded.delete(key); else expanded.add(key); renderTree(); });
    const name = node.module
      ? es.el('button', { type: 'button', class: 'link frame-name', 'data-module': node.module, title: `callers and callees of ${bflyTarget(node)}` }, node.name)
      : es.el('span', { class: 'frame-name' }, node.name);
    if (node.module) name.addEventListener('click', () => view.set({ smod: bflyTarget(node) }));
    const cell = es.el('td', { class: 'tree-name' }, [toggle, name]);
    cell.style.paddingLeft = `${0.3 + depth * 0.9}rem`;
    const total = tree.total || 1;
    out.push(es.el('tr', { 'data-depth': depth }, [cell,
      es.el('td', { class: 'num' }, fmt.count(node.value)), es.el('td', { class: 'num' }, fmt.percent(node.value / total)),
      es.el('td', { class: 'num' }, fmt.count(node.self)), es.el('td', { class: 'num' }, fmt.percent(node.self / total))]));
    if (open) for (const c of kids) treeRows(c, depth + 1, key, out);
  }

  function renderTree() {
    const out = [];
    for (const c of tree.root.children || []) treeRows(c, 0, '', out);
    $('stk-tree-body').replaceChildren(...out);
  }

  function describeSelection() {
    const parts = [];
    const pid = view.get('pid'), tid = view.get('tid');
    const p = pid && procs && procs.processes.find((x) => String(x.pid) === pid);
    parts.push(pid ? `${p ? p.name : 'process'} (pid ${pid})` : 'all processes except Idle');
    if (tid) parts.push(`thread ${tid}`);
    if (view.get('cpus')) parts.push(`CPUs ${view.get('cpus')}`);
    return parts.join(', ');
  }

  async function loadTree() {
    try { tree = await ask(treeUrl()); } catch (e) {
      $('stk-tree-error').textContent = e.message; es.show($('stk-tree-error'), true); return;
    }
    es.show($('stk-tree-error'), false);
    $('stk-selection').textContent = describeSelection();
    const pruned = tree.pruned && tree.pruned.nodes
      ? ` Frames under 0.1 % are folded into "(rest)": ${fmt.count(tree.pruned.nodes)} frames, ${fmt.count(tree.pruned.samples)} samples.` : '';
    $('stk-tree-note').textContent = `${fmt.count(tree.total)} samples, ${tree.inverted ? 'inverted (leaf first)' : 'top-down (caller first)'}, by ${tree.group}.${pruned}${tree.group === 'function' ? ' Click a function to see its callers and callees.' : ' Click a frame to see the callers and callees of its module.'}`;
    flame.draw($('stk-flame'), tree.root.value ? tree.root : null, {
      details: $('stk-flame-details'),
      onClick: (d) => { if (d.module) view.set({ smod: bflyTarget(d) }); },
    });
    es.show($('stk-flame-empty'), !tree.root.value);
    renderTree();
    renderExports();
    $('stacks-panel').dataset.ready = '1';
  }

  // Downloads of the selection as shown (same filter and grouping).
  function renderExports() {
    const links = [['folded', 'Folded stacks'], ['speedscope', 'speedscope JSON'], ['pprof', 'pprof']].map(([f, label]) => {
      const q = filter();
      q.set('format', f);
      if (group() !== 'frame') q.set('group', group());
      return es.el('a', { class: 'button', href: `${base()}/stacks/export?${q}`, download: '', 'data-format': f }, label);
    });
    $('stk-exports').replaceChildren(...links);
  }

  // The rows of the callers or callees table: module, samples, share of the module's samples.
  function sideRows(rows, total) {
    return rows.length ? rows.map((r) => {
      const b = r.name === null ? es.el('span', { class: 'hint' }, '(unresolved address)') : es.el('button', { type: 'button', class: 'link', 'data-module': r.name }, r.name);
      if (r.name !== null) b.addEventListener('click', () => view.set({ smod: r.name }));
      return es.el('tr', {}, [es.el('td', {}, b), es.el('td', { class: 'num' }, fmt.count(r.value)), es.el('td', { class: 'num' }, fmt.percent(total ? r.value / total : null))]);
    }) : [es.el('tr', {}, es.el('td', { colspan: 3, class: 'hint' }, 'none'))];
  }

  async function loadButterfly() {
    const mod = view.get('smod');
    es.show($('stk-bfly'), !!mod);
    if (!mod) return;
    $('stk-bfly-module').textContent = mod;
    let d;
    try { d = await ask(bflyUrl()); } catch (e) {
      $('stk-bfly-note').textContent = e.message; return;
    }
    $('stk-bfly-note').textContent = `${mod} is on ${fmt.percent(d.total ? d.inclusive / d.total : null)} of the samples (${fmt.count(d.inclusive)} of ${fmt.count(d.total)}), the running code in ${fmt.percent(d.total ? d.exclusive / d.total : null)} (${fmt.count(d.exclusive)}).`;
    $('stk-callers-body').replaceChildren(...sideRows(d.callers || [], d.inclusive));
    $('stk-callees-body').replaceChildren(...sideRows(d.callees || [], d.inclusive));
    $('stk-bfly').dataset.ready = mod;
  }

  // The selection by stack tag: one row per tag (untagged last) with its busiest processes.
  async function loadTags() {
    let d;
    try {
      d = await (tagFile ? es.api(tagsUrl(), { method: 'POST', body: tagFile.text }) : ask(tagsUrl()));
    } catch (e) {
      $('stk-tags-error').textContent = `${tagFile ? tagFile.name : 'default tags'}: ${e.message}`;
      es.show($('stk-tags-error'), true);
      $('stk-tags-body').replaceChildren();
      return;
    }
    es.show($('stk-tags-error'), false);
    const names = (ps) => ps.map((p) => `${p.name || `pid ${p.pid}`} (${fmt.count(p.samples)})`).join(', ');
    // a default tag's name selects its samples in the tree, flame graph and butterfly
    const tagCell = (t) => {
      const label = t.tag === null ? '(untagged)' : t.tag;
      if (tagFile) return es.el('td', { class: t.tag === null ? 'hint' : null }, label);
      const b = es.el('button', { type: 'button', class: 'link', title: `only the samples tagged ${label}` }, label);
      b.addEventListener('click', () => { expanded.clear(); view.set({ stag: label }); });
      return es.el('td', null, b);
    };
    $('stk-tags-body').replaceChildren(...d.tags.map((t) => es.el('tr', { 'data-tag': t.tag === null ? '' : t.tag }, [
      tagCell(t),
      es.el('td', { class: 'num' }, fmt.count(t.samples)), es.el('td', { class: 'num' }, fmt.percent(t.share)),
      es.el('td', { class: 'small' }, names(t.processes || []))])));
    const fn = d.rules_needing_functions ? ` ${fmt.count(d.rules_needing_functions)} of its ${fmt.count(d.rules)} rules name functions and match only frames with symbols.` : '';
    $('stk-tags-note').textContent = `${fmt.count(d.total)} samples by ${tagFile ? `the tags of ${tagFile.name}` : 'the default tags'}: each stack gets the tag of its highest-priority matching frame, the one nearest the leaf among equals.${fn}`;
    $('stk-tag-filter').textContent = view.get('stag') ? `Only the samples tagged ${view.get('stag')}.` : '';
    es.show($('stk-tag-clear'), !!view.get('stag'));
    $('stk-tags').dataset.ready = tagFile ? tagFile.name : 'default';
  }

  async function loadProcesses() {
    try { procs = await ask(processesUrl()); } catch (e) {
      view.dropAhead(askedAhead);
      $('stk-error').textContent = e.message; es.show($('stk-error'), true); return false;
    }
    es.show($('stk-error'), false);
    if (!procs.processes || !procs.total) {
      view.dropAhead(askedAhead);
      notRecorded(`Not recorded: this trace has no sampled CPU stacks. Record them with \`${RECORD}\` (the PROFILE samples, the process/thread and image rundowns, and a stack on each sample).`);
      return false;
    }
    es.show($('stk-empty'), false);
    es.show($('stk-body'), true);
    renderProcesses();
    return true;
  }

  function renderSwitches() {
    const mark = (b, on) => { b.classList.toggle('on', on); b.setAttribute('aria-pressed', String(on)); };
    for (const b of $('stk-group').querySelectorAll('button')) mark(b, (view.get('sgrp') || 'frame') === b.dataset.group);
    for (const b of $('stk-order').querySelectorAll('button')) mark(b, (view.get('sinv') === '1' ? 'inverted' : 'top') === b.dataset.order);
  }

  // The URLs of the panel's answers under the current view.
  const processesUrl = () => `${base()}/processes?${filter({ withProcess: false })}`;
  function threadsUrl() {
    const q = filter({ withProcess: false });
    q.set('pid', view.get('pid'));
    return `${base()}/threads?${q}`;
  }
  function treeUrl() {
    const q = filter();
    q.set('invert', view.get('sinv') === '1' ? '1' : '0');
    q.set('group', group());
    q.set('min_share', '0.001');
    return `${base()}/stacks/tree?${q}`;
  }
  function bflyUrl() {
    const mod = view.get('smod');
    const q = filter();
    q.set('module', mod);
    if (mod.includes('!')) q.set('group', 'function'); // a function's callers and callees
    return `${base()}/stacks/butterfly?${q}`;
  }
  function tagsUrl() {
    const q = filter();
    q.delete('tag'); // every tag stays listed (and clickable) under a tag filter
    return `${base()}/stacks/tags?${q}`;
  }

  // Ask now for every answer loadAll will draw, when the run has CPU samples (the process
  // table tells whether they have stacks; without samples it alone is asked for).
  function askAhead(run) {
    const urls = [processesUrl()];
    if (run && run.summary && run.summary.cpu_samples > 0) {
      urls.push(treeUrl());
      if (view.get('pid')) urls.push(threadsUrl());
      if (view.get('smod')) urls.push(bflyUrl());
      if (!tagFile) urls.push(tagsUrl());
    }
    for (const u of urls) view.askAhead(u);
    askedAhead = urls;
  }

  async function loadAll() {
    renderSwitches();
    askAhead(view.run);
    if (!(await loadProcesses())) return;
    await Promise.all([loadThreads(), loadTree(), loadButterfly(), loadTags()]);
  }

  // Opens the butterfly of a module from another panel (drivers table, verdict).
  window.stacksShowModule = (mod) => {
    view.set({ smod: mod });
    $('stacks-panel').scrollIntoView({ block: 'start' });
  };

  view.panels.push({
    section: 'stacks-panel',
    applies: (run) => run.format === 'etl',
    askAhead, // run.js: once the verdict is drawn, before Chart.js runs
    init() {
      for (const b of $('stk-group').querySelectorAll('button')) b.addEventListener('click', () => { expanded.clear(); view.set({ sgrp: b.dataset.group === 'frame' ? null : b.dataset.group }); });
      for (const b of $('stk-order').querySelectorAll('button')) b.addEventListener('click', () => { expanded.clear(); view.set({ sinv: b.dataset.order === 'inverted' ? '1' : null }); });
      $('stk-all').addEventListener('click', () => view.set({ pid: null, tid: null }));
      $('stk-tag-clear').addEventListener('click', () => { expanded.clear(); view.set({ stag: null }); });
      $('stk-bfly-close').addEventListener('click', () => view.set({ smod: null }));
      $('stk-tags-file').addEventListener('change', async (ev) => {
        const f = ev.target.files && ev.target.files[0];
        if (!f) return;
        tagFile = { name: f.name, text: await f.text() };
        loadTags();
      });
      $('stk-tags-default').addEventListener('click', () => { tagFile = null; $('stk-tags-file').value = ''; loadTags(); });
      view.onChange(async (changed) => {
        const has = (...k) => changed.has('*') || k.some((x) => changed.has(x));
        if (has('from', 'to', 'cpus')) { expanded.clear(); loadAll(); return; }
        if (!procs || !procs.total) return;
        renderSwitches();
        if (has('pid', 'tid')) { expanded.clear(); renderProcesses(); loadThreads(); }
        if (has('pid', 'tid', 'sinv', 'sgrp', 'stag')) loadTree();
        if (has('pid', 'tid', 'smod', 'stag')) loadButterfly();
        if (has('pid', 'tid', 'stag')) loadTags();
      });
      return loadAll(); // drawn once processes, threads, tree, butterfly and tags are
    },
  });
})();
