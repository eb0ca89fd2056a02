// runs.js — the start page: the list of runs, and uploading a file by drag-and-drop or
// file picker (one file or several, each with its own transfer progress bar and ingest
// state), and the edit link of each stored run.
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);
  let maxUpload = 0; // bytes, from /api/health (0 = not known)
  let health = null; // the promise of loadHealth()
  let busy = false;  // uploads in progress

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

  function fail(msg) {
    const e = $('upload-error');
    e.textContent = msg;
    es.show(e, true);
  }

  // One row per file in #uploads: its name, its own progress bar and state, and when the
  // run is stored a link to it and its edit link (shown here once; see es.editLink).
  function uploadRow(file) {
    const text = es.el('span', { class: 'upload-state' }, 'waiting for the files before it');
    const bar = es.el('progress', { max: '100', value: '0' });
    const result = es.el('div', { class: 'upload-result', hidden: true });
    const li = es.el('li', { class: 'upload' }, [es.el('div', { class: 'progress-label' }, [es.el('strong', {}, file.name), ' — ', text]), bar, result]);
    $('uploads').appendChild(li);
    es.show($('uploads'), true);
    return {
      li,
      set(msg, pct) { text.textContent = msg; if (pct === null) bar.removeAttribute('value'); else bar.value = pct; },
      fail(msg) { li.classList.add('failed'); text.textContent = msg; text.className = 'upload-state error'; bar.hidden = true; },
      done(run) {
        const link = es.el('a', { href: `/runs/${encodeURIComponent(run.id)}` }, 'Open the run');
        const copy = es.el('button', { type: 'button', class: 'copy-edit' }, 'Copy edit link');
        const said = es.el('span', { class: 'hint', role: 'status' });
        const fallback = es.el('input', { type: 'text', readonly: true, hidden: true, 'aria-label': 'Edit link' });
        copy.addEventListener('click', async () => {
          said.textContent = (await es.copy(es.editLink(run.id, run.edit_token), fallback)) ? 'Edit link copied' : 'Copy the edit link below';
        });
        result.replaceChildren(link, copy, said, fallback,
          es.el('p', { class: 'hint small' }, 'The edit link lets whoever has it rename or delete this run; this browser keeps it. It is shown only now.'));
        es.show(result, true);
      },
    };
  }

  // Polls an ingest job until it ends; returns the stored run, or null (row says why).
  async function pollJob(job, row) {
    for (;;) {
      let st;
      try { st = await es.api(`/api/jobs/${encodeURIComponent(job)}`); } catch (e) { row.fail(e.message); return null; }
      if (st.state === 'done') {
        row.set(`stored as ${st.run.format}${st.run.partial ? ' (partial: the file was damaged or cut short)' : ''}`, 100);
        es.saveToken(st.run.id, st.run.edit_token);
        return st.run;
      }
      if (st.state === 'failed') { row.fail(st.error); return null; }
      row.set(st.state === 'queued' ? 'waiting for the ingest worker…' : 'analysing…', null);
      await new Promise((r) => setTimeout(r, 400));
    }
  }

  // Sends one file; resolves with the job id, or null once the row says why it failed.
  function send(file, name, row) {
    return new Promise((resolve) => {
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
          row.set(`uploading: ${es.fmtBytes(ev.loaded)} of ${es.fmtBytes(ev.total)} (${pct} %)`, pct);
        }
      };
      xhr.onerror = () => { row.fail('the upload failed (connection lost)'); resolve(null); };
      xhr.onload = () => {
        let body = null;
        try { body = JSON.parse(xhr.responseText); } catch (e) { /* not JSON */ }
        if (xhr.status !== 202 || !body) { row.fail((body && body.error) || `HTTP ${xhr.status}`); resolve(null); return; }
        resolve(body.job);
      };
      row.set('uploading…', 0);
      xhr.send(file);
    });
  }

  // Why a file cannot be uploaded, or '' when it can.
  function refusal(f) {
    if (f.isFolder) return 'a folder: drop the files inside it instead';
    if (!f.size) return 'the file is empty';
    if (maxUpload && f.size > maxUpload) return `larger than this server's upload limit (${es.fmtBytes(maxUpload)})`;
    return '';
  }

  // Every file is uploaded, one after the other (the server limits uploads per client), each
  // with its own row; ingest jobs are followed in parallel; a file that cannot be sent says
  // why in its row. One file: open its run, where the edit link is offered once (flag in
  // sessionStorage; the token stays in localStorage, never in this browser's URLs). Several:
  // the rows stay here, each with its run's link and edit link.
  async function uploadAll(files) {
    if (busy) { fail('Wait until the files being uploaded are stored, then drop more.'); return; }
    busy = true;
    await health;
    es.show($('upload-error'), false);
    $('uploads').replaceChildren();
    const name = $('run-name').value.trim();
    const rows = files.map(uploadRow);
    const runs = [];
    for (let i = 0; i < files.length; i++) {
      const why = refusal(files[i]);
      if (why) { rows[i].fail(`not uploaded: ${why}`); continue; }
      const runName = name && files.length > 1 ? `${name} — ${files[i].name}` : name;
      const job = await send(files[i], runName, rows[i]);
      if (job) runs.push(pollJob(job, rows[i]).then((run) => ({ run, row: rows[i] })));
    }
    const done = await Promise.all(runs);
    busy = false;
    await loadRuns();
    if (files.length === 1 && done.length === 1 && done[0].run) {
      try { sessionStorage.setItem(`etlscope:fresh:${done[0].run.id}`, '1'); } catch (e) { /* storage off */ }
      location.assign(`/runs/${encodeURIComponent(done[0].run.id)}`);
      return;
    }
    for (const d of done) if (d.run) d.row.done(d.run);
  }

  function wireDrop() {
    const drop = $('drop'), input = $('file');
    drop.addEventListener('click', () => input.click());
    drop.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); input.click(); } });
    input.addEventListener('change', () => { if (input.files.length) uploadAll([...input.files]); input.value = ''; });
    for (const ev of ['dragenter', 'dragover']) drop.addEventListener(ev, (e) => { e.preventDefault(); drop.classList.add('over'); });
    for (const ev of ['dragleave', 'drop']) drop.addEventListener(ev, () => drop.classList.remove('over'));
    drop.addEventListener('drop', (e) => {
      e.preventDefault();
      // Folders arrive as File objects too; their entries say what they are.
      const items = [...(e.dataTransfer.items || [])].filter((it) => it.kind === 'file');
      const files = [...e.dataTransfer.files];
      files.forEach((f, i) => {
        const entry = items[i] && items[i].webkitGetAsEntry ? items[i].webkitGetAsEntry() : null;
        if (entry && entry.isDirectory) f.isFolder = true;
      });
      if (files.length) uploadAll(files);
      else fail('Nothing to upload: drop files (folders and links are not read).');
    });
  }

  async function loadHealth() {
    try {
      const h = await es.api('/api/health');
      maxUpload = h.max_upload || 0;
      if (h.read_only) { $('upload').hidden = true; return; }
      if (h.auth_required) { $('access-token').value = es.loadAccess(); es.show($('access-row'), true); }
    } catch (e) { /* the runs list reports errors */ }
  }

  document.addEventListener('DOMContentLoaded', () => {
    wireDrop();
    health = loadHealth();
    loadRuns();
    $('compare-btn').addEventListener('click', () => { location.assign(`/compare?runs=${picked().map(encodeURIComponent).join(',')}`); });
  });
})();
