// panel_drivers.js — driver attribution for ETW runs: a sortable table of modules with
// vendor and category badges (DPC, ISR, exclusive and inclusive sampled CPU as shares of all
// and of non-idle samples), filters by category, vendor and text, rows of their own for
// Idle, unknown kernel addresses (possible hidden driver) and user code without an image,
// a chart of time by category (colours from categories.js), the vendor roll-up (Idle and
// unresolved code excluded), and the knowledge-base version. View keys: dq (text), dcat, dvendor,
// dsort, ddir, duser (1 = include user-mode images), plus from/to/cpus.
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);
  let data = null;
  let chart = null;

  // Headers carry the units (DPC ms, DPC avg µs), so cells are plain numbers (fmt).
  const pct = fmt.percent;
  const ms = (v) => (v ? fmt.number(v) : '—');
  const us = (v) => (v ? fmt.number(v) : '—');
  const cnt = (v) => (v ? fmt.count(v) : '—');
  // A CPU share cell: of all samples, with the share of busy (non-idle) samples beneath.
  const shareCell = (all, busy) => {
    const td = es.el('td', { class: 'num', 'data-csv': all === null || all === undefined ? '' : all }, pct(all));
    if (busy !== null && busy !== undefined && all) td.appendChild(es.el('div', { class: 'hint small busy-share' }, `${pct(busy)} of busy`));
    return td;
  };

  // [key, header, value for sorting, cell text, numeric]
  const columns = [
    ['name', 'Module', (r) => r.name.toLowerCase(), null, false],
    ['vendor', 'Vendor', (r) => (r.vendor || '').toLowerCase(), null, false],
    ['category', 'Category', (r) => categories.label(r.category), null, false],
    ['dpc_count', 'DPCs', (r) => r.dpc.count, (r) => cnt(r.dpc.count), true],
    ['dpc_ms', 'DPC ms', (r) => r.dpc.total_ms, (r) => ms(r.dpc.total_ms), true],
    ['dpc_avg', 'DPC avg µs', (r) => r.dpc.avg_us || 0, (r) => us(r.dpc.avg_us), true],
    ['dpc_max', 'DPC max µs', (r) => r.dpc.max_us, (r) => us(r.dpc.max_us), true],
    ['isr_count', 'ISRs', (r) => r.isr.count, (r) => cnt(r.isr.count), true],
    ['isr_ms', 'ISR ms', (r) => r.isr.total_ms, (r) => ms(r.isr.total_ms), true],
    ['isr_max', 'ISR max µs', (r) => r.isr.max_us, (r) => us(r.isr.max_us), true],
    ['excl', 'CPU excl.', (r) => r.cpu.exclusive_share, (r) => shareCell(r.cpu.exclusive_share, r.cpu.exclusive_share_non_idle), true],
    ['incl', 'CPU incl.', (r) => r.cpu.inclusive_share, (r) => shareCell(r.cpu.inclusive_share, r.cpu.inclusive_share_non_idle), true],
  ];

  // CSV headers of the columns (exports.js): the unit of the raw value each cell exports.
  const csvHead = {
    name: 'module', vendor: 'vendor', category: 'category', dpc_count: 'DPCs (count)', dpc_ms: 'DPC time (ms)',
    dpc_avg: 'DPC avg (µs)', dpc_max: 'DPC max (µs)', isr_count: 'ISRs (count)', isr_ms: 'ISR time (ms)',
    isr_max: 'ISR max (µs)', excl: 'CPU exclusive (fraction of samples)', incl: 'CPU inclusive (fraction of samples)',
  };
  const raw = (v) => (v === null || v === undefined ? '' : v);

  function query() {
    const q = view.windowQuery();
    if (view.get('cpus')) q.set('cpus', view.get('cpus'));
    return q.toString();
  }

  function filtered() {
    const text = (view.get('dq') || '').toLowerCase();
    const cat = view.get('dcat') || '';
    const vendor = view.get('dvendor') || '';
    const users = view.get('duser') === '1';
    return data.drivers.filter((r) =>
      r.module_id >= 0 && (users || r.kernel) &&
      (!cat || r.category === cat) &&
      (!vendor || (r.vendor || '') === vendor) &&
      (!text || [r.name, r.path, r.vendor || '', r.product, categories.label(r.category)].some((s) => s.toLowerCase().includes(text))));
  }

  function sorted(rows) {
    const key = view.get('dsort') || 'dpc_ms';
    const col = columns.find((c) => c[0] === key) || columns[4];
    const dir = view.get('ddir') === 'asc' ? 1 : -1;
    return rows.slice().sort((a, b) => {
      const x = col[2](a), y = col[2](b);
      if (x < y) return -dir;
      if (x > y) return dir;
      return a.module_id - b.module_id;
    });
  }

  function header() {
    const key = view.get('dsort') || 'dpc_ms';
    const asc = view.get('ddir') === 'asc';
    const tr = es.el('tr');
    for (const [k, label, , , num] of columns) {
      const mark = k === key ? (asc ? ' ▲' : ' ▼') : '';
      const b = es.el('button', { type: 'button', class: 'sort', 'data-col': k, 'aria-sort': k === key ? (asc ? 'ascending' : 'descending') : 'none' }, label + mark);
      b.addEventListener('click', () => view.set({ dsort: k, ddir: k === key && !asc ? 'asc' : null }));
      tr.appendChild(es.el('th', { class: num ? 'num' : null, 'data-csv': csvHead[k] }, b));
      if (k === 'vendor') tr.appendChild(es.el('th', { hidden: true }, 'product'));
    }
    return tr;
  }

  function cellsFor(r) {
    const name = es.el('td', { class: 'mod' }, [es.el('span', { class: 'mod-name', title: r.path }, r.name)]);
    if (r.note) name.appendChild(es.el('div', { class: 'hint small' }, r.note));
    if (window.stacksShowModule) { // the stacks panel's butterfly of this module (panel_stacks.js)
      const b = es.el('button', { type: 'button', class: 'link small stk-open', 'data-module': r.name }, 'callers/callees');
      b.addEventListener('click', () => window.stacksShowModule(r.name));
      name.appendChild(es.el('div', {}, b));
    }
    const vendor = es.el('td', {}, [r.vendor || (r.kernel ? 'unknown' : '—')]);
    if (r.product) vendor.appendChild(es.el('div', { class: 'hint small' }, r.product));
    name.dataset.csv = r.name;
    vendor.dataset.csv = r.vendor || '';
    const tds = [name, vendor, es.el('td', { hidden: true }, r.product || ''), es.el('td', {}, categories.badge(r.category))];
    for (const c of columns.slice(3)) {
      const v = c[3](r);
      tds.push(v instanceof Node ? v : es.el('td', { class: 'num', 'data-csv': raw(c[0] === 'dpc_avg' ? r.dpc.avg_us : c[2](r)) }, v));
    }
    return tds;
  }

  // "lo–hi (n)" for the address ranges of an unresolved class (whole trace).
  const rangesText = (part) => (part.trace_ranges || []).slice(0, 4)
    .map((r) => `${r.lo}–${r.hi} (${cnt(r.samples)})`).join(', ');

  // A row of its own (not a module): label, explanation, DPC/ISR of the unresolved row
  // (kernel only), and sample counts with shares of all and of busy samples.
  const specialBadge = { idle: 'not busy CPU', 'unknown-kernel': 'no module', 'user-code': 'no image' };
  function specialRow(kind, label, note, part, dpcisrFrom) {
    const name = es.el('td', { class: 'mod', colspan: 3 }, [es.el('span', { class: 'mod-name' }, label), es.el('span', { class: 'badge special' }, specialBadge[kind])]);
    name.appendChild(es.el('div', { class: 'hint small' }, note));
    const ranges = kind === 'idle' ? '' : rangesText(part);
    if (ranges) name.appendChild(es.el('div', { class: 'hint small mono ranges' }, `addresses: ${ranges}`));
    name.dataset.csv = label;
    const tds = [name, es.el('td', { hidden: true }, '')]; // the product column (CSV only)
    for (const c of columns.slice(3, 10)) tds.push(dpcisrFrom ? es.el('td', { class: 'num' }, c[3](dpcisrFrom)) : es.el('td', { class: 'num' }, '—'));
    tds.push(shareCell(part.share, kind === 'idle' ? null : part.share_non_idle));
    tds.push(es.el('td', { class: 'num' }, kind === 'idle' ? '' : pct(part.share)));
    tds[tds.length - 2].title = `${cnt(part.samples)} samples`;
    return es.el('tr', { class: `special-row ${kind}-row`, 'data-special': kind }, tds);
  }

  function renderSpecial() {
    const rows = [];
    const t = data.totals;
    if (t.samples) {
      rows.push(specialRow('idle', 'Idle', `the Idle process: ${cnt(data.idle.samples)} of ${cnt(t.samples)} samples; not CPU time of ntoskrnl.exe or hal.dll, and in no vendor or category roll-up`, data.idle, null));
    }
    const hidden = data.outside_modules;
    if (data.unknown_kernel.samples || (hidden && hidden.dpc.count + hidden.isr.count)) {
      rows.push(specialRow('unknown-kernel', 'unknown kernel addresses (possible hidden driver)', `${cnt(data.unknown_kernel.samples)} samples at kernel-space addresses outside every loaded module`, data.unknown_kernel, hidden));
    }
    if (data.user_code_without_image.samples) {
      rows.push(specialRow('user-code', 'user code without an image (JIT, unpacked code)', `${cnt(data.user_code_without_image.samples)} samples at user-space addresses outside every loaded image: application code, not a driver`, data.user_code_without_image, null));
    }
    $('drivers-special').replaceChildren(...rows);
  }

  function renderTable() {
    const rows = sorted(filtered());
    $('drivers-head').replaceChildren(header());
    $('drivers-body').replaceChildren(...rows.map((r) => es.el('tr', { 'data-module': r.module_id, class: r.module_id < 0 ? 'hidden-code' : null }, cellsFor(r))));
    $('drivers-count').textContent = `${rows.length} of ${data.drivers.filter((r) => r.module_id >= 0).length} modules`;
    renderSpecial();
  }

  function renderFilters() {
    // by label, case aside; not localeCompare: a page's first collation costs it ~40 ms
    const key = (c) => categories.label(c).toLowerCase();
    const cats = [...new Set(data.drivers.map((r) => r.category))].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
    const sel = $('drivers-cat');
    sel.replaceChildren(es.el('option', { value: '' }, 'all categories'), ...cats.map((c) => es.el('option', { value: c }, categories.label(c))));
    sel.value = view.get('dcat') || '';
    const vendors = [...new Set(data.drivers.map((r) => r.vendor).filter(Boolean))].sort();
    const vs = $('drivers-vendor');
    vs.replaceChildren(es.el('option', { value: '' }, 'all vendors'), ...vendors.map((v) => es.el('option', { value: v }, v)));
    vs.value = view.get('dvendor') || '';
    $('drivers-text').value = view.get('dq') || '';
    $('drivers-user').checked = view.get('duser') === '1';
  }

  function renderRollups() {
    const cats = data.categories.filter((c) => c.category !== 'user-mode');
    const labels = cats.map((c) => categories.label(c.category));
    const cfg = {
      type: 'bar',
      data: {
        labels,
        datasets: [
          { label: 'DPC + ISR ms', data: cats.map((c) => c.dpc_ms + c.isr_ms), backgroundColor: cats.map((c) => categories.color(c.category)), xAxisID: 'x' },
          { label: 'exclusive CPU %', data: cats.map((c) => c.exclusive_share * 100), backgroundColor: cats.map((c) => categories.color(c.category, 0.35)), borderColor: cats.map((c) => categories.color(c.category)), borderWidth: 1, xAxisID: 'x2' },
        ],
      },
      options: {
        indexAxis: 'y', animation: false, maintainAspectRatio: false,
        scales: {
          x: { position: 'bottom', title: { display: true, text: 'DPC + ISR time (ms)' }, beginAtZero: true },
          x2: { position: 'top', title: { display: true, text: 'exclusive sampled CPU (%)' }, beginAtZero: true, grid: { drawOnChartArea: false } },
        },
        plugins: { legend: { display: false } },
      },
    };
    if (chart) chart.destroy();
    chart = new Chart($('drivers-chart'), cfg);
    const vt = $('vendors-body');
    vt.replaceChildren(...data.vendors.map((v) => es.el('tr', {}, [
      es.el('td', {}, v.vendor), es.el('td', {}, categories.badge(v.category)),
      es.el('td', { class: 'num' }, String(v.modules)),
      es.el('td', { class: 'num', 'data-csv': raw(v.dpc_ms) }, ms(v.dpc_ms)), es.el('td', { class: 'num', 'data-csv': raw(v.isr_ms) }, ms(v.isr_ms)),
      shareCell(v.exclusive_share, v.exclusive_share_non_idle), es.el('td', { class: 'num', 'data-csv': raw(v.inclusive_max_share) }, pct(v.inclusive_max_share)),
    ])));
    $('drivers-kb').textContent = `Driver knowledge base: ${data.kb_version}. Inclusive CPU counts samples with the module anywhere on the stack; a vendor's inclusive figure is its largest module's (one sample can hold several).`;
    const hidden = data.outside_modules;
    const kernelHits = hidden ? hidden.dpc.count + hidden.isr.count + data.unknown_kernel.samples : 0;
    es.show($('drivers-hidden'), kernelHits > 0);
    if (kernelHits > 0) {
      const dpcisr = hidden.dpc.count + hidden.isr.count;
      $('drivers-hidden').textContent = `Kernel code ran outside any module in the loaded-module list: ${dpcisr ? `${cnt(dpcisr)} DPCs/ISRs and ` : ''}${pct(data.unknown_kernel.share_non_idle)} of busy CPU samples (a driver that hides itself, or a trace without the image rundown).`;
    }
  }

  const url = (run) => `/api/runs/${encodeURIComponent(run.id)}/drivers?${query()}`;

  async function load(run) {
    try {
      data = await view.take(url(run));
    } catch (e) {
      $('drivers-error').textContent = e.message;
      es.show($('drivers-error'), true);
      return;
    }
    es.show($('drivers-error'), false);
    // the chart first: Chart.js reads its box's size (a layout) before it draws, and a read
    // after the module table was written laid that table out with it (46–71 ms a visit in a
    // trace, bench/README.md h-pages7); written after, the table is laid out when its card
    // nears the viewport (run_fold.css)
    renderRollups();
    renderFilters();
    renderTable();
  }

  view.panels.push({
    section: 'drivers-panel',
    applies: (run) => run.format === 'etl',
    askAhead: (run) => view.askAhead(url(run)),
    init(run) {
      $('drivers-cat').addEventListener('change', (ev) => view.set({ dcat: ev.target.value }));
      $('drivers-vendor').addEventListener('change', (ev) => view.set({ dvendor: ev.target.value }));
      $('drivers-text').addEventListener('input', (ev) => view.set({ dq: ev.target.value }, false));
      $('drivers-user').addEventListener('change', (ev) => view.set({ duser: ev.target.checked ? '1' : null }));
      view.onChange((changed) => {
        if (!data) return;
        if (changed.has('*') || changed.has('from') || changed.has('to') || changed.has('cpus')) { load(run); return; }
        if (['dq', 'dcat', 'dvendor', 'dsort', 'ddir', 'duser'].some((k) => changed.has(k))) {
          if (changed.has('dq') && document.activeElement === $('drivers-text')) renderTable();
          else { renderFilters(); renderTable(); }
        }
      });
      return load(run);
    },
  });
})();
