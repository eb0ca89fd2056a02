// runs.js — the start page: the list of runs, and uploading a file by drag-and-drop or
// file picker with a real transfer progress bar, then the ingest job's state.
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);

  function machineOf(r) {
    return Array.isArray(r.machines) && r.machines.length ? r.machines.join(', ') : '—';
  }

  async function loadRuns() {
    const tbody = $('runs').querySelector('tbody');
    let data;
    try { data = await es.api('/api/runs'); } catch (e) {
      $('runs-empty').textContent = `Cannot load runs: ${e.message}`;
      es.show($('runs-empty'), true);
      return;
    }
    tbody.replaceChildren();
    for (const r of data.runs) {
      const link = es.el('a', { href: `/runs/${encodeURIComponent(r.id)}` }, r.name);
      const pick = es.el('input', { type: 'checkbox', 'aria-label': `compare ${r.name}`, 'data-compare': r.id });
      pick.addEventListener('change', updateCompare);
      tbody.appendChild(es.el('tr', { 'data-run': r.id }, [
        es.el('td', {}, pick),
        es.el('td', {}, [link, es.el('div', { class: 'hint' }, `${r.file_name} · ${es.fmtBytes(r.file_size)}`)]),
        es.el('td', {}, r.format),
        es.el('td', {}, machineOf(r)),
        es.el('td', { class: 'num' }, r.cpus === undefined ? '—' : r.cpus),
        es.el('td', {}, es.fmtTime(r.start)),
        es.el('td', {}, es.fmtDuration(r.duration_s)),
        es.el('td', {}, es.el('span', { class: `badge ${r.status}` }, r.status)),
      ]));
    }
    es.show($('runs'), data.runs.length > 0);
    es.show($('runs-empty'), data.runs.length === 0);
  }

  function picked() {
    return [...document.querySelectorAll('input[data-compare]:checked')].map((b) => b.dataset.compare);
  }

  function updateCompare() {
    const n = picked().length;
    $('compare-btn').disabled = n < 2 || n > 4;
  }

  function setProgress(text, pct) {
    es.show($('progress'), true);
    $('progress-text').textContent = text;
    const bar = $('progress-bar');
    if (pct === null) bar.removeAttribute('value'); else bar.value = pct;
  }

  function fail(msg) {
    const e = $('upload-error');
    e.textContent = msg;
    es.show(e, true);
  }

  async function pollJob(job, fileName) {
    for (;;) {
      let st;
      try { st = await es.api(`/api/jobs/${encodeURIComponent(job)}`); } catch (e) { fail(e.message); return; }
      if (st.state === 'done') {
        setProgress(`${fileName}: stored as ${st.run.format}${st.run.partial ? ' (partial: the file was damaged or cut short)' : ''}`, 100);
        es.saveToken(st.run.id, st.run.edit_token);
        await loadRuns();
        location.assign(`/runs/${encodeURIComponent(st.run.id)}`);
        return;
      }
      if (st.state === 'failed') { es.show($('progress'), false); fail(`${fileName}: ${st.error}`); await loadRuns(); return; }
      setProgress(`${fileName}: ${st.state === 'queued' ? 'waiting for the ingest worker' : 'analysing'}…`, null);
      await new Promise((r) => setTimeout(r, 400));
    }
  }

  function upload(file) {
    es.show($('upload-error'), false);
    const name = $('run-name').value.trim();
    const q = new URLSearchParams({ file: file.name });
    if (name) q.set('name', name);
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/api/uploads?${q}`);
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    const access = $('access-token').value.trim();
    if (access) { xhr.setRequestHeader('X-Auth-Token', access); es.saveAccess(access); }
    xhr.upload.onprogress = (ev) => {
      if (ev.lengthComputable) {
        const pct = Math.round((ev.loaded / ev.total) * 100);
        setProgress(`Uploading ${file.name}: ${es.fmtBytes(ev.loaded)} of ${es.fmtBytes(ev.total)} (${pct} %)`, pct);
      }
    };
    xhr.onerror = () => fail(`${file.name}: the upload failed (connection lost)`);
    xhr.onload = () => {
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch (e) { /* not JSON */ }
      if (xhr.status !== 202 || !body) { es.show($('progress'), false); fail(`${file.name}: ${(body && body.error) || `HTTP ${xhr.status}`}`); return; }
      pollJob(body.job, file.name);
    };
    setProgress(`Uploading ${file.name}…`, 0);
    xhr.send(file);
  }

  function wireDrop() {
    const drop = $('drop'), input = $('file');
    drop.addEventListener('click', () => input.click());
    drop.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); input.click(); } });
    input.addEventListener('change', () => { if (input.files.length) upload(input.files[0]); input.value = ''; });
    for (const ev of ['dragenter', 'dragover']) drop.addEventListener(ev, (e) => { e.preventDefault(); drop.classList.add('over'); });
    for (const ev of ['dragleave', 'drop']) drop.addEventListener(ev, () => drop.classList.remove('over'));
    drop.addEventListener('drop', (e) => {
      e.preventDefault();
      if (e.dataTransfer.files.length) upload(e.dataTransfer.files[0]);
    });
  }

  async function loadHealth() {
    try {
      const h = await es.api('/api/health');
      if (h.read_only) { $('upload').hidden = true; return; }
      if (h.auth_required) { $('access-token').value = es.loadAccess(); es.show($('access-row'), true); }
    } catch (e) { /* the runs list reports errors */ }
  }

  document.addEventListener('DOMContentLoaded', () => {
    wireDrop();
    loadHealth();
    loadRuns();
    $('compare-btn').addEventListener('click', () => { location.assign(`/compare?runs=${picked().map(encodeURIComponent).join(',')}`); });
  });
})();
