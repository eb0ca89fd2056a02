// common.js — helpers every page uses: API calls, safe DOM building (text is always set
// with textContent, never parsed as HTML), and number/time formatting.
'use strict';

const es = {
  async api(path, opts) {
    const res = await fetch(path, Object.assign({ headers: { Accept: 'application/json' } }, opts));
    let body = null;
    try { body = await res.json(); } catch (e) { /* not JSON */ }
    if (!res.ok) throw new Error((body && body.error) || `HTTP ${res.status}`);
    return body;
  },

  // el('td', {class: 'num'}, 'text' | Node | [children])
  el(tag, attrs, content) {
    const n = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') n.className = v; else n.setAttribute(k, v === true ? '' : String(v));
    }
    const add = (c) => {
      if (c === undefined || c === null) return;
      if (Array.isArray(c)) c.forEach(add);
      else n.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
    };
    add(content);
    return n;
  },

  show(node, on) { node.hidden = !on; },

  // Edit tokens are returned once, at upload; this browser keeps them to edit its runs.
  saveToken(runId, token) {
    try { localStorage.setItem(`etlscope:edit:${runId}`, token); } catch (e) { /* storage off */ }
  },
  loadToken(runId) {
    try { return localStorage.getItem(`etlscope:edit:${runId}`) || ''; } catch (e) { return ''; }
  },
  // The server's access token (only when it runs with --auth-token), kept per browser.
  saveAccess(token) {
    try { localStorage.setItem('etlscope:access', token); } catch (e) { /* storage off */ }
  },
  loadAccess() {
    try { return localStorage.getItem('etlscope:access') || ''; } catch (e) { return ''; }
  },
  accessHeaders() {
    const t = es.loadAccess();
    return t ? { 'X-Auth-Token': t } : {};
  },

  // A run's edit link: the token rides in the fragment, which browsers never send to the
  // server (so it reaches no log); the run page moves it into localStorage (run.js).
  editLink(runId, token) {
    return `${location.origin}/runs/${encodeURIComponent(runId)}#edit=${encodeURIComponent(token)}`;
  },

  forgetToken(runId) {
    try { localStorage.removeItem(`etlscope:edit:${runId}`); } catch (e) { /* storage off */ }
  },

  // Copy text to the clipboard; falls back to selecting it in a prompt-free input.
  async copy(text, input) {
    try { await navigator.clipboard.writeText(text); return true; } catch (e) {
      if (input) { input.value = text; input.hidden = false; input.select(); }
      return false;
    }
  },

  // A Chart.js chart as a PNG data URL drawn on white (the canvas itself is transparent,
  // which viewers show as black or checkered).
  chartPng(chart) {
    const src = chart.canvas;
    const cv = document.createElement('canvas');
    cv.width = src.width; cv.height = src.height;
    const ctx = cv.getContext('2d');
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, cv.width, cv.height);
    ctx.drawImage(src, 0, 0);
    return cv.toDataURL('image/png');
  },

  fmtBytes(n) {
    if (n === undefined || n === null) return '—';
    const u = ['B', 'KB', 'MB', 'GB', 'TB']; let i = 0; let v = n;
    while (v >= 1024 && i < u.length - 1) { v /= 1024; i++; }
    return `${v < 10 && i ? v.toFixed(1) : Math.round(v)} ${u[i]}`;
  },

  fmtDuration(s) {
    if (s === undefined || s === null) return '—';
    if (s < 1) return `${(s * 1000).toFixed(0)} ms`;
    if (s < 120) return `${s.toFixed(s < 10 ? 2 : 0)} s`;
    const t = Math.round(s), m = Math.floor(t / 60), h = Math.floor(m / 60);
    return h ? `${h} h ${m % 60} min` : `${m} min ${t % 60} s`;
  },

  // UTC wall-clock text for a ms timestamp: "2016-11-26 21:46:30.874"
  fmtTime(ms, withMs) {
    if (ms === undefined || ms === null) return '—';
    const iso = new Date(ms).toISOString();
    return iso.slice(0, 10) + ' ' + iso.slice(11, withMs ? 23 : 19);
  },

  fmtClock(ms, spanMs) {
    const iso = new Date(ms).toISOString();
    if (spanMs !== undefined && spanMs < 120000) return iso.slice(11, 23);
    return iso.slice(11, 19);
  },

  fmtNum(v) {
    if (v === null || v === undefined || Number.isNaN(v)) return '—';
    const a = Math.abs(v);
    if (Number.isInteger(v) && a < 1e9) return String(v);
    if (a >= 1e6) return v.toExponential(3);
    if (a >= 100) return v.toFixed(0);
    if (a >= 1) return v.toFixed(2);
    return v.toPrecision(3);
  },
};
