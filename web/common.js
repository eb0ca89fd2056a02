// common.js — helpers every page uses: API calls, safe DOM building (text is always set
// with textContent, never parsed as HTML), and number/time formatting.
'use strict';

// fmt — the one formatter for every number on the pages, by the rules the findings'
// sentences follow in C (findings/find_core.c; docs/findings.md): durations in the largest
// unit ≥ 1 with one decimal below 10 ("1.0 s", "2.5 ms", "220 µs"), percentages with one
// decimal ("92.0 %", "0.05 %" below 0.1), counts with thousands separators ("163,217").
// Missing values (null, undefined, NaN) are "—".
const fmt = {
  missing: (v) => v === null || v === undefined || Number.isNaN(v) || (typeof v === 'number' && !Number.isFinite(v)),

  // A plain number: thousands separators; 2 decimals below 10, 1 below 100, else none.
  number(v, digits) {
    if (fmt.missing(v)) return '—';
    const a = Math.abs(v);
    const d = digits !== undefined ? digits : Number.isInteger(v) ? 0 : a < 10 ? 2 : a < 100 ? 1 : 0;
    return fmt.fixed(v, d);
  },

  // v with d decimals and en-US thousands separators ("-1,234.50"), without Intl: a page's
  // first Intl use (toLocaleString, Intl.NumberFormat) costs it 30–70 ms of main thread,
  // before the verdict when the run's facts were its first numbers (bench/README.md).
  fixed(v, d) {
    if (Math.abs(v) >= 1e21) return v.toLocaleString('en-US', { maximumFractionDigits: d }); // toFixed turns exponential
    const s = Math.abs(v).toFixed(d), dot = s.indexOf('.');
    const whole = (dot < 0 ? s : s.slice(0, dot)).replace(/\B(?=(\d{3})+$)/g, ',');
    return `${v < 0 && /[1-9]/.test(s) ? '-' : ''}${whole}${dot < 0 ? '' : s.slice(dot)}`;
  },

  count(v) {
    if (fmt.missing(v)) return '—';
    return Number.isInteger(v) ? fmt.fixed(v, 0) : fmt.number(v);
  },

  // A duration in µs → "220 µs" | "2.5 ms" | "1.0 s"; long ones as "2 min 5 s", "1 h 3 min".
  us(v) {
    if (fmt.missing(v)) return '—';
    if (v === 0) return '0 µs';
    const a = Math.abs(v);
    if (a >= 120e6) {
      const t = Math.round(v / 1e6), m = Math.floor(t / 60), h = Math.floor(m / 60);
      return h ? `${h} h ${m % 60} min` : `${m} min ${t % 60} s`;
    }
    let x = v, unit = 'µs';
    if (a >= 1e6) { x = v / 1e6; unit = 's'; } else if (a >= 1e3) { x = v / 1e3; unit = 'ms'; }
    if (Math.abs(x) >= 999.5 && unit !== 's') { x /= 1e3; unit = unit === 'ms' ? 's' : 'ms'; }
    return `${Math.abs(x) < 9.95 ? x.toFixed(1) : fmt.fixed(Math.round(x), 0)} ${unit}`;
  },
  // Zero keeps the unit asked for: "0 ms", "0 s".
  ms(v) { return fmt.missing(v) ? '—' : v === 0 ? '0 ms' : fmt.us(v * 1e3); },
  seconds(v) { return fmt.missing(v) ? '—' : v === 0 ? '0 s' : fmt.us(v * 1e6); },

  // A percentage given as 0–100 → "92.0 %"; percent(f) takes a fraction 0–1.
  pct(v) {
    if (fmt.missing(v)) return '—';
    const a = Math.abs(v);
    return `${a === 0 ? '0' : a < 0.095 ? v.toFixed(2) : a >= 1000 ? fmt.number(Math.round(v)) : v.toFixed(1)} %`;
  },
  percent(f) { return fmt.missing(f) ? '—' : fmt.pct(f * 100); },

  bytes(n) {
    if (fmt.missing(n)) return '—';
    const u = ['B', 'KB', 'MB', 'GB', 'TB']; let i = 0; let v = n;
    while (v >= 1024 && i < u.length - 1) { v /= 1024; i++; }
    return `${v < 10 && i ? v.toFixed(1) : Math.round(v)} ${u[i]}`;
  },

  // A change with its sign: signed(+1.5, fmt.ms) → "+1.5 ms".
  signed(v, f) {
    if (fmt.missing(v)) return '—';
    const s = (f || fmt.number)(Math.abs(v));
    return v > 0 ? `+${s}` : v < 0 ? `−${s}` : s;
  },
};

const es = {
  // A read (GET) is sent again once when the connection fails before an answer (a kept
  // connection the server closed as the request left, a reset) or when the server asks to
  // wait (429/503 with Retry-After, at most 2 s): a panel then draws instead of saying
  // "Failed to fetch" for a hiccup. Writes are never repeated.
  async api(path, opts) {
    const init = Object.assign({ headers: { Accept: 'application/json' } }, opts);
    const read = !init.method || init.method === 'GET';
    let res;
    try { res = await fetch(path, init); } catch (e) {
      if (!read) throw e;
      res = await fetch(path, init);
    }
    const after = res.headers.get('Retry-After');
    const wait = after === null ? NaN : Number(after);
    if (read && (res.status === 429 || res.status === 503) && wait >= 0 && wait <= 2) {
      await new Promise((r) => setTimeout(r, wait * 1000));
      res = await fetch(path, init);
    }
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

  // Older names, kept for callers: they are fmt's.
  fmtBytes(n) { return fmt.bytes(n); },
  fmtDuration(s) { return fmt.seconds(s); },

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

  fmtNum(v) { return fmt.number(v); },
};
