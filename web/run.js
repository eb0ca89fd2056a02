// run.js — the run page's frame: loads the run, shows its facts, warnings, notes and the
// selected time window, the copy-link and edit/delete controls, then starts every panel
// that applies to this run (view.panels; each panel lives in its own panel_*.js).
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);
  const runId = view.runId;

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
    // ETW traces have no perfmon samples or counters; their facts are in the trace panel.
    const perfmonOnly = new Set(['Time zone', 'Samples', 'Counters']);
    const shown = run.format === 'etl' ? facts.filter(([k]) => !perfmonOnly.has(k)) : facts;
    const dl = $('facts');
    dl.replaceChildren();
    for (const [k, v] of shown) { dl.appendChild(es.el('dt', {}, k)); dl.appendChild(es.el('dd', {}, v)); }
    if (run.warnings && run.warnings.length) {
      const n = run.warnings.reduce((a, w) => a + w.count, 0);
      $('warnings-title').textContent = `${n} warning${n === 1 ? '' : 's'} while reading the file`;
      $('warnings-list').replaceChildren(...run.warnings.map((w) =>
        es.el('li', {}, `${w.message}${w.count > 1 ? ` (×${w.count})` : ''}`)));
      es.show($('warnings'), true);
    }
  }

  function wireLink() {
    $('copy-link').addEventListener('click', async () => {
      const ok = await es.copy(location.href, $('copy-fallback'));
      $('copy-done').textContent = ok ? 'Link copied' : 'Copy the link below';
      setTimeout(() => { $('copy-done').textContent = ''; }, 3000);
    });
  }

  // An edit link (/runs/ID#edit=TOKEN, made at upload) hands this browser the run's edit
  // token: take it out of the address bar and history at once (takeEditHash, no storage),
  // keep it, and offer the link for copying this one time. Right after this browser uploaded
  // the run (the start page leaves a flag in sessionStorage) the link is offered once too.
  // Storage is opened only in takeEditLink, once the panels' first requests are out: the first storage
  // access of a browser profile costs tens of ms of the main thread (63 ms in h-pages4's
  // profile), which the verdict and the panels' first requests must not wait for.
  function takeEditHash() {
    const m = location.hash.match(/^#edit=([^&]+)$/);
    if (!m) return null;
    history.replaceState(history.state, '', location.pathname + location.search);
    try { return decodeURIComponent(m[1]); } catch (e) { return ''; }
  }

  // Returns the token to offer (hashToken: takeEditHash's answer), or ''.
  function takeEditLink(hashToken) {
    if (hashToken !== null) {
      if (hashToken) es.saveToken(runId, hashToken);
      return hashToken;
    }
    const flag = `etlscope:fresh:${runId}`;
    try {
      if (!sessionStorage.getItem(flag)) return '';
      sessionStorage.removeItem(flag);
    } catch (e) { return ''; }
    return es.loadToken(runId);
  }

  function showEditLink(token) {
    es.show($('edit-link-note'), true);
    $('copy-edit-link').addEventListener('click', async () => {
      const ok = await es.copy(es.editLink(runId, token), $('copy-edit-fallback'));
      $('copy-edit-done').textContent = ok ? 'Edit link copied' : 'Copy the edit link below';
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
      // Ask only when the delete can succeed: an empty PATCH changes nothing but answers 403
      // for a wrong token (the same check, rate limit and same-origin rule as the delete).
      if (!$('edit-token').value.trim()) { status('Deleting needs this run\'s edit token (or open its edit link).', true); return; }
      try {
        await es.api(`/api/runs/${encodeURIComponent(runId)}`, { method: 'PATCH', headers: headers(), body: '{}' });
      } catch (e) { status(`Not deleted: ${e.message}`, true); return; }
      if (!window.confirm(`Delete the run "${run.name}" and everything stored for it?`)) return;
      try {
        await es.api(`/api/runs/${encodeURIComponent(runId)}`, { method: 'DELETE', headers: headers() });
        es.forgetToken(runId);
        location.assign('/');
      } catch (e) { status(e.message, true); }
    });
  }

  async function wireCompare() {
    const sel = $('compare-with');
    let runs = [];
    try { runs = (await es.api('/api/runs')).runs; } catch (e) { return; }
    for (const r of runs) if (r.id !== runId) sel.appendChild(es.el('option', { value: r.id }, `${r.name} (${r.format})`));
    sel.addEventListener('change', () => {
      if (sel.value) location.assign(`/compare?runs=${encodeURIComponent(runId)},${encodeURIComponent(sel.value)}`);
    });
  }

  function showWindow() {
    const w = view.window();
    const zoomed = w.from !== null || w.to !== null;
    $('window-text').textContent = zoomed ? `${es.fmtTime(w.from, true)} → ${es.fmtTime(w.to, true)}` : 'whole run';
    es.show($('zoom-reset'), zoomed);
  }

  // A link with a #section (a shared finding link, a bookmark) must land on that section,
  // but the sections above it grow as their data arrives: keep the target at the top
  // while the page settles, until the reader scrolls or clicks.
  function keepHashInView() {
    const target = location.hash.length > 1 && document.getElementById(location.hash.slice(1));
    if (!target) return;
    let moved = false;
    const stop = () => { moved = true; ro.disconnect(); };
    const ro = new ResizeObserver(() => { if (!moved) target.scrollIntoView({ block: 'start' }); });
    for (const ev of ['wheel', 'touchstart', 'keydown', 'mousedown']) window.addEventListener(ev, stop, { once: true, passive: true });
    ro.observe(document.body);
    setTimeout(stop, 5000);
  }

  // Chart.js and d3 (the flame graph), named by the page (meta etlscope:late-script), are
  // asked for once the first frame is out (askLateScripts: a preload, compiled on a
  // background thread while the verdict's answer is in flight, not while the first frame is
  // rastered) and run in order once the verdict is drawn (runLateScripts, which resolves
  // when all have run or failed to load: the panels then say what failed, as they do for a
  // failed request).
  const lateUrls = () => [...document.querySelectorAll('meta[name="etlscope:late-script"]')].map((m) => m.content);
  let lateAsked = false;
  function askLateScripts() {
    if (lateAsked) return;
    lateAsked = true;
    for (const url of lateUrls()) document.head.append(es.el('link', { rel: 'preload', as: 'script', href: url }));
  }
  // after the next frame is produced: a frame callback runs before its paint, a task
  // queued from it after
  function afterNextFrame(fn) { requestAnimationFrame(() => setTimeout(fn, 0)); }
  function runLateScripts() {
    lateAsked = true; // a preload asked for after the script would fetch it twice
    return Promise.allSettled(lateUrls().map((url) => new Promise((resolve, reject) => {
      const s = document.createElement('script');
      s.src = url;
      s.async = false; // in the page's order: the flame graph needs d3-selection
      s.onload = resolve;
      s.onerror = () => reject(new Error(`cannot load ${url}`));
      document.head.append(s);
    })));
  }

  // This script ends run_first.js (web/CMakeLists.txt), before run_panels.js with the other
  // panels: the verdict is drawn without waiting for them; they have all run (and put
  // their panels in view.panels) at DOMContentLoaded.
  const scriptsRun = new Promise((resolve) => document.addEventListener('DOMContentLoaded', resolve));

  // Starts every panel that applies; resolves once each has drawn its first view (a panel's
  // init answers, or resolves, then). The verdict comes first: the other panels start when
  // the findings are on screen, so their charts do not hold the main thread before it; a
  // panel with an askAhead(run) asks for its first answers then, before Chart.js runs.
  // Marks for bench/pages.mjs: etlscope:verdict here, etlscope:drawn by the caller.
  // wireLater runs once the panels' first requests are out, before Chart.js runs: what
  // needs no panel and opens storage (the edit token) waits until then.
  async function startPanels(run, wireLater) {
    // etlscope:panel:SECTION when a panel's first view is drawn (bench/pages.mjs names the last)
    const started = (p) => Promise.resolve(p.init(run)).finally(() => performance.mark(`etlscope:panel:${p.section}`));
    const verdict = view.panels.find((p) => p.section === 'findings-panel' && p.applies(run));
    if (verdict) {
      es.show($(verdict.section), true);
      await Promise.allSettled([started(verdict)]);
    }
    performance.mark('etlscope:verdict');
    await scriptsRun;
    const on = view.panels.filter((p) => p.applies(run));
    // panels whose answers cost the server most ask for them now, while Chart.js runs;
    // before the panels are shown, so a size an askAhead reads lays out only what is on
    // screen already (panel_dpcisr.js, heatWidth), not the whole page
    for (const p of on) if (p.askAhead) p.askAhead(run);
    for (const p of view.panels) es.show($(p.section), on.includes(p));
    wireLater();
    await runLateScripts();
    if (window.Chart) view.plainTicks(window.Chart);
    await Promise.allSettled(on.filter((p) => p !== verdict).map(started));
  }

  async function main() {
    const asked = view.ask(''); // asked for by view.js, before storage is opened
    afterNextFrame(askLateScripts);
    const hashToken = takeEditHash();
    let run;
    try { run = await asked; } catch (e) {
      $('load-error').textContent = `Cannot open this run: ${e.message}`;
      es.show($('load-error'), true);
      for (const s of document.querySelectorAll('main > section')) es.show(s, false);
      return;
    }
    view.run = run;
    renderFacts(run);
    showWindow();
    wireLink();
    // storage (the edit token) only once the panels' first requests are out: takeEditHash says why
    const drawn = startPanels(run, () => {
      const linkToken = takeEditLink(hashToken);
      wireEdit(run);
      if (linkToken) { $('edit-token').value = linkToken; showEditLink(linkToken); }
    });
    wireCompare();
    $('zoom-reset').addEventListener('click', () => view.set({ from: null, to: null }));
    view.onChange((changed) => { if (changed.has('from') || changed.has('to')) showWindow(); });
    window.addEventListener('popstate', () => {
      view.state = new URLSearchParams(location.search);
      showWindow();
      view.notify(new Set(['*']));
    });
    drawn.then(() => requestAnimationFrame(() => performance.mark('etlscope:drawn')));
    keepHashInView();
  }

  main(); // deferred: the document is parsed
})();
