// panel_symbols.js — which modules of an ETW run still lack symbols and why (GET
// /api/runs/{id}/modules, each module's symbols object), and a drop zone for their .pdb files
// (POST /api/runs/{id}/symbols?file=NAME.pdb with the run's edit token): once a PDB is
// accepted the run's DPC/ISR routines and stack frames show module!function and every panel
// reloads. "Look the symbols up again" (POST /api/runs/{id}/symbols/resolve) asks after the
// symbol path or the symbol server changed, and reloads once no module is pending.
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);
  const STATUS = { pending: 'not looked up yet', not_found: 'not found', guid_mismatch: 'GUID mismatch', no_identity: 'no debug identity in the trace' };
  const baseName = (p) => p.split(/[\\/]/).pop();

  const modulesUrl = () => `/api/runs/${encodeURIComponent(view.runId)}/modules`;

  async function refresh() {
    const doc = await view.take(modulesUrl());
    const mods = doc.modules.filter((m) => m.symbols);
    const missing = mods.filter((m) => m.symbols.pdb && m.symbols.status !== 'resolved');
    // resolved, but with more distinct stack frames than the job looks up (its why says
    // "only the first N by address were looked up": symbols/sym_run.c)
    const capped = mods.filter((m) => m.symbols.status === 'resolved' && /only the first \d+/.test(m.symbols.why));
    const resolved = mods.filter((m) => m.symbols.status === 'resolved').length;
    const noId = mods.filter((m) => !m.symbols.pdb).length;
    $('sym-note').textContent = `Symbols: ${resolved} module(s) resolved, ${missing.length} with a PDB identity still unresolved` +
      (noId ? `, ${noId} without any debug identity in the trace (record with xperf -merge or WPR to keep it).` : '.') +
      (capped.length ? ` ${capped.length} resolved module(s) have more distinct stack frames than are looked up: the rest show module+offset.` : '');
    const rows = missing.concat(capped).map((m) => es.el('tr', { 'data-module': m.id }, [
      es.el('td', { class: 'mono' }, m.name),
      es.el('td', { class: 'mono' }, baseName(m.symbols.pdb)),
      es.el('td', { class: 'mono' }, `${m.symbols.guid}${m.symbols.age.toString(16).toUpperCase()}`),
      es.el('td', {}, m.symbols.status === 'resolved' ? 'resolved, frames capped' : STATUS[m.symbols.status] || m.symbols.status),
      es.el('td', { class: 'hint' }, m.symbols.why),
    ]));
    const head = es.el('tr', {}, ['module', 'PDB', 'GUID + age', 'status', 'why'].map((h) => es.el('th', {}, h)));
    $('sym-missing').replaceChildren(es.el('thead', {}, head), es.el('tbody', {}, rows));
    es.show($('sym-missing-wrap'), rows.length > 0);
    es.show($('sym-block'), mods.length > 0);
    $('sym-block').dataset.ready = '1';
  }

  async function send(files) {
    const said = $('sym-drop-said');
    const token = editToken();
    const out = [];
    for (const f of files) {
      if (!/\.pdb$/i.test(f.name)) { out.push(`${f.name}: not a .pdb file`); continue; }
      try {
        const r = await es.api(`/api/runs/${encodeURIComponent(view.runId)}/symbols?file=${encodeURIComponent(f.name)}`, {
          method: 'POST', body: f,
          headers: Object.assign({ 'Content-Type': 'application/octet-stream', 'X-Edit-Token': token }, es.accessHeaders()),
        });
        out.push(`${f.name}: ${r.modules.map((m) => `${m.status}, ${m.names} name(s)`).join('; ')}`);
      } catch (err) {
        out.push(`${f.name}: ${err.message}`);
      }
    }
    // said once the table shows the new state (a reader, or a test, acts on the words)
    try { await refresh(); } finally { said.textContent = out.join(' · '); }
    view.notify(new Set(['*']));
  }

  const editToken = () => ($('edit-token') && $('edit-token').value.trim()) || es.loadToken(view.runId);

  async function pendingCount() {
    const doc = await es.api(modulesUrl());
    return doc.modules.filter((m) => m.symbols && m.symbols.status === 'pending').length;
  }

  async function again() {
    const said = $('sym-again-said'), btn = $('sym-again');
    btn.disabled = true;
    try {
      const r = await es.api(`/api/runs/${encodeURIComponent(view.runId)}/symbols/resolve`, {
        method: 'POST', headers: Object.assign({ 'X-Edit-Token': editToken() }, es.accessHeaders()),
      });
      if (r.state === 'queued') {
        said.textContent = 'Queued for the symbol job…';
        // the job downloads in the background: ask every 2 s, for at most 5 minutes
        for (let i = 0; i < 150 && await pendingCount() > 0; i++) {
          await new Promise((ok) => setTimeout(ok, 2000));
        }
      }
      await refresh();
      said.textContent = 'Looked up again.'; // only now does the table show the answer
      view.notify(new Set(['*']));
    } catch (err) {
      said.textContent = err.message;
    } finally {
      btn.disabled = false;
    }
  }

  function dropZone() {
    const zone = $('sym-drop'), input = $('sym-file');
    zone.addEventListener('dragover', (e) => { e.preventDefault(); zone.classList.add('over'); });
    zone.addEventListener('dragleave', () => zone.classList.remove('over'));
    zone.addEventListener('drop', (e) => { e.preventDefault(); zone.classList.remove('over'); send([...e.dataTransfer.files]); });
    input.addEventListener('change', () => { send([...input.files]); input.value = ''; });
  }

  view.panels.push({
    section: 'dpc-panel',
    applies: (r) => r.format === 'etl' && !!r.summary,
    askAhead: () => view.askAhead(modulesUrl()),
    init() {
      dropZone();
      $('sym-again').addEventListener('click', again);
      return refresh().catch((err) => { $('sym-note').textContent = `Cannot load the modules' symbols: ${err.message}`; es.show($('sym-block'), true); });
    },
  });
})();
