// exports.js — every table on a page can be saved as CSV and every chart as PNG: a small
// CSV/PNG button is added next to each table and chart as panels draw them (the panels need
// not know). CSV is built from the cells' text; PNG from the chart's canvas.
'use strict';

(function () {
  function fileName(node, ext) {
    const sec = node.closest('section');
    const h = sec && sec.querySelector('h1, h2');
    const base = (h ? h.textContent : document.title).trim().toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
    return `etlscope-${base || 'export'}.${ext}`;
  }

  function download(href, name) {
    const a = es.el('a', { href, download: name });
    document.body.appendChild(a); a.click(); a.remove();
  }

  function tableCsv(table) {
    const esc = (s) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
    const rows = [...table.querySelectorAll('tr')].filter((tr) => !tr.hidden).map((tr) =>
      [...tr.children].map((c) => esc(c.textContent.replace(/\s+/g, ' ').trim())).join(','));
    return rows.join('\r\n') + '\r\n';
  }

  function decorate(root) {
    for (const t of root.querySelectorAll('table')) {
      if (t.dataset.export || !t.querySelector('tr')) continue;
      t.dataset.export = '1';
      const b = es.el('button', { type: 'button', class: 'export', title: 'Save this table as CSV' }, 'CSV');
      b.addEventListener('click', () => {
        const url = URL.createObjectURL(new Blob([tableCsv(t)], { type: 'text/csv' }));
        download(url, fileName(t, 'csv'));
        setTimeout(() => URL.revokeObjectURL(url), 1000);
      });
      t.parentNode.insertBefore(es.el('div', { class: 'export-bar' }, b), t);
    }
    for (const cv of root.querySelectorAll('canvas')) {
      if (cv.dataset.export || !window.Chart || !window.Chart.getChart(cv)) continue;
      cv.dataset.export = '1';
      const b = es.el('button', { type: 'button', class: 'export export-chart', title: 'Save this chart as PNG' }, 'PNG');
      b.addEventListener('click', () => {
        const c = window.Chart.getChart(cv);
        if (c) download(c.toBase64Image('image/png', 1), fileName(cv, 'png'));
      });
      cv.parentNode.appendChild(b);
    }
  }

  document.addEventListener('DOMContentLoaded', () => {
    const main = document.querySelector('main');
    let pending = false;
    new MutationObserver(() => {
      if (pending) return;
      pending = true;
      setTimeout(() => { pending = false; decorate(main); }, 200);
    }).observe(main, { childList: true, subtree: true });
    decorate(main);
  });
})();
