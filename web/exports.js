// exports.js — every table on a page can be saved as CSV and every chart as PNG: a small
// CSV/PNG button is added next to each table and chart as panels draw them (the panels need
// not know). File names say the run (from the page title) and the table or chart (its
// data-export-name, else the nearest heading above it).
//
// CSV holds data, not screen text. A cell's data-csv attribute, when present, is its CSV
// value (a panel puts the raw number there: 36.04 s on screen, 36040.5 in a "… (ms)" column);
// a header cell's data-csv is its CSV header (with the unit). Without it the cell's text is
// used, with the text of block children (a product under a vendor, a note under a name) set
// apart by " / " and sort marks dropped. Hidden rows are left out; hidden cells are CSV-only
// columns (a panel may add one, with a hidden header, for a value the screen folds into
// another cell); a row with data-csv-skip (a group header) is left out; colspans are padded.
// PNGs are drawn on white, so they read the same in any viewer.
'use strict';

(function () {
  const slug = (s) => s.trim().toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '-').replace(/^-|-$/g, '').slice(0, 60);

  // The heading that names node: its own data-export-name, else the closest h1–h3 before it
  // in document order within its section.
  function titleOf(node) {
    if (node.dataset.exportName) return node.dataset.exportName;
    const sec = node.closest('section') || document.body;
    let best = null;
    for (const h of sec.querySelectorAll('h1, h2, h3')) {
      if (h.compareDocumentPosition(node) & Node.DOCUMENT_POSITION_FOLLOWING) best = h;
    }
    return best ? best.textContent : '';
  }

  function fileName(node, ext) {
    const run = document.title.replace(/^etlscope\s*—\s*/, '');
    const parts = [slug(run), slug(titleOf(node))].filter(Boolean);
    return `etlscope-${parts.join('_') || 'export'}.${ext}`;
  }

  function download(href, name) {
    const a = es.el('a', { href, download: name });
    document.body.appendChild(a); a.click(); a.remove();
  }

  // Screen text of a cell: text nodes as they are, block children set apart.
  function cellText(node) {
    let out = '';
    for (const c of node.childNodes) {
      if (c.nodeType === Node.TEXT_NODE) out += c.textContent;
      else if (c.nodeType === Node.ELEMENT_NODE) {
        const t = cellText(c).trim();
        if (!t) continue;
        out += /^(DIV|P|UL|OL|LI|BR)$/.test(c.tagName) && out.trim() ? ` / ${t}` : t;
      }
    }
    return out;
  }

  function cellValue(c) {
    if (c.dataset.csv !== undefined) return c.dataset.csv;
    const t = cellText(c).replace(/\s+/g, ' ').trim();
    return c.tagName === 'TH' ? t.replace(/\s*[▲▼]$/, '') : t;
  }

  function tableCsv(table) {
    const esc = (s) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
    const rows = [...table.querySelectorAll('tr')].filter((tr) => !tr.hidden && tr.dataset.csvSkip === undefined).map((tr) => {
      const out = [];
      for (const c of tr.children) {
        out.push(esc(cellValue(c)));
        for (let k = 1; k < (Number(c.getAttribute('colspan')) || 1); k++) out.push('');
      }
      return out.join(',');
    });
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
      const at = t.parentNode.classList.contains('table-wrap') || t.parentNode.classList.contains('table-scroll') ? t.parentNode : t;
      at.parentNode.insertBefore(es.el('div', { class: 'export-bar' }, b), at);
    }
    for (const cv of root.querySelectorAll('canvas')) {
      if (cv.dataset.export || !window.Chart || !window.Chart.getChart(cv)) continue;
      cv.dataset.export = '1';
      const b = es.el('button', { type: 'button', class: 'export export-chart', title: 'Save this chart as PNG' }, 'PNG');
      b.addEventListener('click', () => {
        const c = window.Chart.getChart(cv);
        if (c) download(es.chartPng(c), fileName(cv, 'png'));
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
