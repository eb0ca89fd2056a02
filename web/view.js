// view.js — the run page's shared view: the run document, the view state kept in the URL
// (time window and each panel's filters), change notification, and chart helpers every
// panel uses (colours, time axis, drag-to-zoom). Panels register in view.panels.
'use strict';

const view = {
  runId: decodeURIComponent(location.pathname.split('/').pop()),
  run: null,
  panels: [],
  listeners: [],
  state: new URLSearchParams(location.search),

  get(name) { return this.state.get(name); },

  // Numeric view parameter (ms times, indexes); null when absent or malformed.
  num(name) {
    if (!this.state.has(name)) return null;
    const v = Number(this.state.get(name));
    return Number.isFinite(v) ? v : null;
  },

  // Change view parameters (null/'' removes one), record them in the URL, tell panels.
  set(changes, push = true) {
    const changed = new Set();
    for (const [k, v] of Object.entries(changes)) {
      const s = v === null || v === undefined || v === '' ? null : String(v);
      if (s === this.state.get(k) || (s === null && !this.state.has(k))) continue;
      if (s === null) this.state.delete(k); else this.state.set(k, s);
      changed.add(k);
    }
    if (!changed.size) return;
    const q = this.state.toString();
    const url = `${location.pathname}${q ? `?${q}` : ''}`;
    if (push) history.pushState(null, '', url); else history.replaceState(null, '', url);
    this.notify(changed);
  },

  notify(changed) { for (const fn of this.listeners) fn(changed); },
  onChange(fn) { this.listeners.push(fn); },

  // The selected time window in ms since the epoch (either end may be null).
  window() { return { from: this.num('from'), to: this.num('to') }; },
  windowQuery() {
    const q = new URLSearchParams();
    const w = this.window();
    if (w.from !== null) q.set('from', String(w.from));
    if (w.to !== null) q.set('to', String(w.to));
    return q;
  },

  // Evenly spaced hues: series i of n keeps its colour across charts.
  color(i, n, alpha) {
    const h = Math.round((360 * i) / Math.max(n, 1));
    return `hsla(${h}, 70%, 45%, ${alpha === undefined ? 1 : alpha})`;
  },

  ramp: [[247, 251, 255], [253, 230, 138], [245, 158, 11], [220, 38, 38], [127, 29, 29]],
  // Writes the colour of fraction f on the ramp as r, g, b, a (0–255 each) into out at o
  // (an image's pixel bytes: no array made per cell) and returns out; no value: a faint
  // grey (black at 4 % opacity).
  heatRgba(f, out = [0, 0, 0, 0], o = 0) {
    if (f === null || f === undefined || Number.isNaN(f)) {
      out[o] = 0; out[o + 1] = 0; out[o + 2] = 0; out[o + 3] = 10;
      return out;
    }
    const r = view.ramp;
    f = Math.min(1, Math.max(0, f)) * (r.length - 1);
    const i = Math.min(r.length - 2, Math.floor(f)), k = f - i;
    const a = r[i], b = r[i + 1];
    for (let j = 0; j < 3; j++) out[o + j] = Math.round(a[j] + (b[j] - a[j]) * k);
    out[o + 3] = 255;
    return out;
  },
  // heatRgba as a CSS colour.
  heatColor(f) {
    const c = view.heatRgba(f);
    return c[3] === 255 ? `rgb(${c[0]}, ${c[1]}, ${c[2]})` : 'rgba(0,0,0,0.04)';
  },
  // Legend of a heatmap coloured on the fixed scale 0..max: the ramp, its ends formatted by
  // f, and an optional mark {at, text} (a guideline or threshold) drawn on the ramp.
  heatLegend(node, { max, f, label, mark }) {
    const grad = es.el('span', { class: 'ramp' });
    grad.style.background = `linear-gradient(to right, ${[0, 0.25, 0.5, 0.75, 1].map(view.heatColor).join(', ')})`;
    const parts = [es.el('span', {}, f(0)), grad, es.el('span', {}, `${f(max)}${label ? ` ${label}` : ''}`)];
    if (mark && mark.at > 0 && mark.at < max) {
      const m = es.el('span', { class: 'ramp-mark', title: mark.text });
      m.style.left = `${(100 * mark.at) / max}%`;
      grad.appendChild(m);
      parts.push(es.el('span', { class: 'ramp-mark-text' }, `· mark │ at ${f(mark.at)}: ${mark.text}`));
    }
    node.replaceChildren(...parts);
  },

  // A CPU × time heatmap: one row per label, one cell per slice of width step ms; cells are
  // {x: slice middle, y: row label, v, cpu, …}, coloured v / max.
  // With its box, the box grows (up to 640 px) so that every CPU gets a label; past that
  // every k-th CPU is labelled and the axis title says so. yWidth fixes the y axis width
  // (so that charts stacked under it share the x axis pixel for pixel).
  // Callers pass a fixed max (100 % of a CPU for shares), not the largest value shown, so
  // a healthy trace stays pale instead of its busiest slice turning red.
  // The chart's one dataset is of the 'heatGrid' type (heatGridRegister): it keeps the cells
  // in dataset.cells and holds no data points, so Chart.js builds no element per cell; the
  // heatCells plugin paints the cells as an image of one pixel per cell (view.heatImage, made
  // once per chart), scaled onto each row without smoothing: one drawImage per row instead
  // of a fillStyle (a CSS colour parsed) and a fillRect per cell, which cost 10–20 ms per
  // paint of the 24 × 398 demo grid and more on a cold visit (bench/README.md, pagesdraw);
  // the 'heatCell' interaction mode finds the cell under the pointer for the tooltip.
  // Cells are placed by their slice (x − step/2 − t[0]) / step, t evenly spaced by step.
  // chartjs-chart-matrix built, updated and kept one element per CPU × slice cell only for
  // the tooltip's hit test: most of the DPC/ISR panel's drawing time (bench/README.md).
  // tooltipLabel(cell) gives the tooltip's lines for a cell.
  heatmap({ label, t, step, labels, data, max, tooltipLabel, tickFont, box, yWidth }) {
    view.heatGridRegister(window.Chart);
    const every = box ? view.fitRows(box, labels.length, ((tickFont && tickFont.size) || 12) + 2) : 1;
    const colorOf = (i) => view.heatColor(data[i].v !== null ? data[i].v / max : null);
    const heatCells = {
      id: 'heatCells',
      beforeDatasetsDraw(chart) {
        const a = chart.chartArea, ctx = chart.ctx, g = view.heatGeometry(chart);
        if (!g || !t.length) return;
        if (!g.ds.image) g.ds.image = view.heatImage(g.ds.cells, g.ds.rowOf, g.ds.labels.length, t, step, max);
        const left = g.p0 + g.kx * (t[0] - g.v0), width = g.kx * step * t.length;
        ctx.save();
        ctx.beginPath();
        ctx.rect(a.left, a.top, a.right - a.left, a.bottom - a.top);
        ctx.clip();
        ctx.imageSmoothingEnabled = false;
        for (let r = 0; r < g.ds.labels.length; r++) ctx.drawImage(g.ds.image, 0, r, t.length, 1, left, g.top[r], width, g.h + 0.5);
        ctx.restore();
      },
    };
    return {
      type: 'heatGrid',
      plugins: [heatCells],
      data: { datasets: [{ type: 'heatGrid', label, data: [], cells: data, labels, step }] },
      options: {
        animation: false, maintainAspectRatio: false,
        scales: {
          x: Object.assign(view.timeAxis(t, step), { offset: false }),
          y: Object.assign({ type: 'category', labels, offset: true, grid: { display: false },
            ticks: { autoSkip: false, font: tickFont, callback: (v, i) => (i % every === 0 ? labels[i] : '') },
            title: { display: every > 1, text: `every ${every === 2 ? '2nd' : every === 3 ? '3rd' : `${every}th`} CPU labelled` } }, view.fixedWidth(yWidth)),
        },
        interaction: { mode: 'heatCell', intersect: true },
        plugins: {
          legend: { display: false },
          tooltip: { callbacks: {
            title: (it) => (it.length ? `CPU ${data[it[0].dataIndex].cpu} · ${es.fmtTime(data[it[0].dataIndex].x - step / 2, true)}` : ''),
            label: (it) => tooltipLabel(data[it.dataIndex]),
            labelColor: (it) => ({ borderColor: '#6b7280', backgroundColor: colorOf(it.dataIndex) }),
          } },
        },
      },
    };
  },

  // A heatmap's cells as a canvas of one pixel per cell: column k the slice starting at
  // t[k] (a cell's x is its slice's middle), row rowOf[i]; each pixel cell.v / max on the
  // ramp (view.heatRgba); a slice with no cell stays transparent, as it was never painted.
  heatImage(cells, rowOf, rows, t, step, max) {
    const n = t.length, px = new Uint8ClampedArray(n * rows * 4);
    for (let i = 0; i < cells.length; i++) {
      const k = Math.round((cells[i].x - step / 2 - t[0]) / step);
      if (!(k >= 0 && k < n)) continue;
      const v = cells[i].v;
      view.heatRgba(v !== null ? v / max : null, px, 4 * (rowOf[i] * n + k));
    }
    const img = document.createElement('canvas');
    img.width = n; img.height = rows;
    img.getContext('2d').putImageData(new ImageData(px, n, rows), 0, 0);
    return img;
  },

  // Where a heatGrid chart's cells are, from its scales (linear in x, one row per label):
  // the pixel of value v is p0 + kx × (v − v0), v0 the axis's start (getPixelForValue
  // clamps far values to ±32768 px, so the line is fixed by the axis's ends, not by 0 and
  // 1 ms since 1970); a cell of row r spans kx × step wide from its
  // start (its middle − half) and h tall from top[r] (the row's middle on the y axis − h/2).
  // Null when there is nothing to draw.
  heatGeometry(chart) {
    const meta = chart.getDatasetMeta(0), ds = chart.data.datasets[0], a = chart.chartArea;
    if (!meta || meta.type !== 'heatGrid' || !ds.labels.length || !a) return null;
    const x = chart.scales.x, v0 = x.min, p0 = x.getPixelForValue(v0);
    const kx = x.max > v0 ? (x.getPixelForValue(x.max) - p0) / (x.max - v0) : 0;
    if (!ds.rowOf) {
      const row = new Map(ds.labels.map((l, i) => [l, i]));
      ds.rowOf = Int32Array.from(ds.cells, (c) => row.get(c.y));
    }
    const h = (a.bottom - a.top) / ds.labels.length;
    const top = Float64Array.from(ds.labels, (l, r) => chart.scales.y.getPixelForValue(r) - h / 2);
    return { ds, v0, p0, kx, half: ds.step / 2, h, top };
  },

  // Registers, once per Chart.js, what heatmap needs: the 'heatGrid' chart and dataset type
  // (its cells stay in dataset.cells; Chart.js asks it for data limits and a cell's value)
  // and the 'heatCell' interaction mode (the cell under the pointer, if any).
  heatGridRegister(Chart) {
    if (Chart.registry.controllers.get('heatGrid')) return;
    class HeatGrid extends Chart.DatasetController {
      static id = 'heatGrid';
      static defaults = { datasetElementType: false, dataElementType: 'bar' };
      static overrides = {};
      update() {}
      getParsed(i) {
        const c = this.getDataset().cells[i];
        return c ? { x: c.x, y: c.v } : undefined;
      }
      getLabelAndValue(i) {
        const c = this.getDataset().cells[i];
        return { label: c ? c.y : '', value: c ? String(c.v) : '' };
      }
      // x: the cells' span; y: the rows (the category scale takes its labels)
      getMinMax(scale) {
        const d = this.getDataset(), n = d.cells.length;
        if (!n) return { min: Number.POSITIVE_INFINITY, max: Number.NEGATIVE_INFINITY };
        if (scale.axis === 'y') return { min: 0, max: d.labels.length - 1 };
        let min = Number.POSITIVE_INFINITY, max = Number.NEGATIVE_INFINITY;
        for (const c of d.cells) { min = Math.min(min, c.x - d.step / 2); max = Math.max(max, c.x + d.step / 2); }
        return { min, max };
      }
    }
    Chart.register(HeatGrid);
    // The cell whose row and slice hold the pointer: its row from the pointer's height, then
    // the cell of that row whose span holds the pointer's time (the row's cells in time
    // order, as the callers give them; binary search).
    Chart.Interaction.modes.heatCell = (chart, e) => {
      const p = Chart.helpers.getRelativePosition(e, chart), a = chart.chartArea, g = view.heatGeometry(chart);
      if (!g || p.x < a.left || p.x > a.right || p.y < a.top || p.y > a.bottom) return [];
      const { cells, rowOf } = g.ds;
      if (!g.ds.byRow) {
        g.ds.byRow = g.ds.labels.map(() => []);
        for (let i = 0; i < cells.length; i++) g.ds.byRow[rowOf[i]].push(i);
      }
      const r = Math.min(g.ds.labels.length - 1, Math.max(0, Math.round(chart.scales.y.getValueForPixel(p.y))));
      const v = g.v0 + (p.x - g.p0) / g.kx, row = g.ds.byRow[r];
      let lo = 0, hi = row.length - 1;
      while (lo <= hi) {
        const m = (lo + hi) >> 1, c = cells[row[m]];
        if (v < c.x - g.half) hi = m - 1;
        else if (v >= c.x + g.half) lo = m + 1;
        else {
          const x = g.p0 + g.kx * (c.x - g.v0), y = g.top[r] + g.h / 2;
          return [{ datasetIndex: 0, index: row[m], element: { x, y, hasValue: () => true, tooltipPosition: () => ({ x, y }) } }];
        }
      }
      return [];
    };
  },

  // Stacked bars over time slices, painted in one plugin pass (sliceBarsPaint): series
  // [{label, values (one per slice of t, step ms wide), color}] stacked bottom-up in order.
  // Chart.js keeps the axes, the legend (a click hides a series; the y axis rescales to
  // what is shown) and an index-mode tooltip (every shown series at the hovered slice), but
  // each series is a dataset of the 'sliceStack' type, which holds no data points and so
  // no elements: Chart.js's bar controller built, updated and drew one element per slice
  // and series (9 × 398 on the demo traces), most of the DPC/ISR panel's drawing time
  // (bench/README.md). Each segment is filled from its top down to the axis, lower series
  // over it, so no seam shows between stacked segments.
  sliceBars({ t, step, series, yTitle, yWidth, valueLabel }) {
    view.sliceStackRegister(window.Chart);
    const n = t.length;
    const paint = {
      id: 'sliceBarsPaint',
      beforeDatasetsDraw(chart) {
        const a = chart.chartArea, ctx = chart.ctx, x = chart.scales.x, y = chart.scales.y;
        const shown = chart.getSortedVisibleDatasetMetas().filter((m) => m.type === 'sliceStack').map((m) => chart.data.datasets[m.index]);
        const base = y.getPixelForValue(0);
        ctx.save();
        ctx.beginPath();
        ctx.rect(a.left, a.top, a.right - a.left, a.bottom - a.top);
        ctx.clip();
        const tops = new Float64Array(shown.length);
        for (let i = 0; i < n; i++) {
          const l = x.getPixelForValue(t[i]), w = x.getPixelForValue(t[i] + step) - l + 0.5;
          let sum = 0;
          for (let k = 0; k < shown.length; k++) { sum += shown[k].values[i] || 0; tops[k] = sum; }
          for (let k = shown.length - 1; k >= 0; k--) {
            if (!(shown[k].values[i] > 0)) continue;
            const top = y.getPixelForValue(tops[k]);
            ctx.fillStyle = shown[k].backgroundColor;
            ctx.fillRect(l, top, w, base - top);
          }
        }
        ctx.restore();
      },
    };
    return {
      type: 'bar',
      plugins: [paint],
      data: { datasets: series.map((s) => ({
        type: 'sliceStack', label: s.label, data: [], values: s.values, t, step,
        backgroundColor: s.color, borderWidth: 0,
      })) },
      options: {
        animation: false, maintainAspectRatio: false,
        scales: {
          x: Object.assign(view.timeAxis(t, step), { offset: false }),
          y: Object.assign({ type: 'linear', beginAtZero: true, title: { display: true, text: yTitle } }, view.fixedWidth(yWidth)),
        },
        interaction: { mode: 'slice', intersect: false },
        plugins: {
          legend: { position: 'bottom', labels: { boxWidth: 12 } },
          tooltip: { position: 'slice', callbacks: {
            title: (it) => (it.length ? es.fmtTime(t[it[0].dataIndex], true) : ''),
            label: (it) => `${it.dataset.label}: ${valueLabel(it.parsed.y)}`,
            labelColor: (it) => ({ borderColor: it.dataset.backgroundColor, backgroundColor: it.dataset.backgroundColor }),
          } },
        },
      },
    };
  },

  // Registers, once per Chart.js, what sliceBars needs: the 'sliceStack' dataset type (its
  // values stay in dataset.values; Chart.js asks it for data limits, a slice's value and
  // legend styles), the 'slice' interaction mode (every shown sliceStack series at the
  // slice under the pointer) and the 'slice' tooltip position (the pointer).
  sliceStackRegister(Chart) {
    if (Chart.registry.controllers.get('sliceStack')) return;
    // The value of series ds at slice i stacked on the shown series below it.
    const stackTop = (chart, index, i) => {
      let sum = 0;
      for (const m of chart.getSortedVisibleDatasetMetas()) {
        if (m.type !== 'sliceStack') continue;
        sum += chart.data.datasets[m.index].values[i] || 0;
        if (m.index === index) break;
      }
      return sum;
    };
    class SliceStack extends Chart.DatasetController {
      static id = 'sliceStack';
      static defaults = { datasetElementType: false, dataElementType: 'bar' };
      static overrides = {};
      update() {}
      getParsed(i) {
        const d = this.getDataset();
        return i >= 0 && i < d.values.length ? { x: d.t[i] + d.step / 2, y: d.values[i] } : undefined;
      }
      getLabelAndValue(i) {
        const p = this.getParsed(i);
        return { label: '', value: p ? String(p.y) : '' };
      }
      // x: the slices' span; y: 0 up to this series' highest stacked top (the scale takes the
      // largest over the shown series, so hiding one rescales the axis)
      getMinMax(scale) {
        const d = this.getDataset(), n = d.values.length;
        if (!n) return { min: Number.POSITIVE_INFINITY, max: Number.NEGATIVE_INFINITY };
        if (scale.axis === 'x') return { min: d.t[0], max: d.t[n - 1] + d.step };
        let max = 0;
        for (let i = 0; i < n; i++) max = Math.max(max, stackTop(this.chart, this.index, i));
        return { min: 0, max };
      }
    }
    Chart.register(SliceStack);
    Chart.Interaction.modes.slice = (chart, e) => {
      const p = Chart.helpers.getRelativePosition(e, chart), a = chart.chartArea;
      if (p.x < a.left || p.x > a.right || p.y < a.top || p.y > a.bottom) return [];
      const v = chart.scales.x.getValueForPixel(p.x), items = [];
      for (const m of chart.getSortedVisibleDatasetMetas()) {
        if (m.type !== 'sliceStack') continue;
        const d = chart.data.datasets[m.index];
        const i = Math.floor((v - d.t[0]) / d.step);
        if (!(i >= 0 && i < d.values.length)) continue;
        const x = chart.scales.x.getPixelForValue(d.t[i] + d.step / 2), y = chart.scales.y.getPixelForValue(stackTop(chart, m.index, i));
        items.push({ datasetIndex: m.index, index: i, element: { x, y, hasValue: () => true, tooltipPosition: () => ({ x, y }) } });
      }
      return items;
    };
    Chart.Tooltip.positioners.slice = (items, at) => {
      if (!items.length) return false;
      if (at) return { x: at.x, y: at.y };
      const el = items[items.length - 1].element;
      return el ? el.tooltipPosition() : false;
    };
  },

  // Grows box (a .chart-box) so that rows of rowPx fit, up to 640 px; returns k, the step of
  // the labelled rows (1 = every row labelled).
  fitRows(box, rows, rowPx) {
    const chrome = 70; // x axis, ticks and padding
    if (!box.dataset.baseHeight) box.dataset.baseHeight = String(box.clientHeight);
    const base = Number(box.dataset.baseHeight);
    const h = Math.min(640, Math.max(base, rows * rowPx + chrome));
    box.style.height = h > base ? `${h}px` : '';
    return Math.max(1, Math.ceil((rows * rowPx) / (h - chrome)));
  },

  // Linear axes' default tick labels by fmt.fixed instead of Intl (fmt.fixed says why): the
  // decimals Chart.js 4's own formatter (Ticks.formatters.numeric) picks, en-US separators;
  // scientific notation and an axis's ticks.format are still Chart.js's. Run once Chart.js
  // has loaded, before the first chart.
  plainTicks(Chart) {
    const numeric = Chart.Ticks.formatters.numeric;
    Chart.defaults.scales.linear.ticks.callback = function (value, index, ticks) {
      if (value === 0) return '0';
      if (this.options.ticks.format) return numeric.call(this, value, index, ticks);
      let delta = value;
      if (ticks.length > 1) {
        const maxTick = Math.max(Math.abs(ticks[0].value), Math.abs(ticks[ticks.length - 1].value));
        if (maxTick < 1e-4 || maxTick > 1e15) return numeric.call(this, value, index, ticks);
        delta = ticks.length > 3 ? ticks[2].value - ticks[1].value : ticks[1].value - ticks[0].value;
        if (Math.abs(delta) >= 1 && value !== Math.floor(value)) delta = value - Math.floor(value);
      }
      const log = Math.log10(Math.abs(delta));
      return fmt.fixed(value, Number.isNaN(log) ? 1 : Math.max(Math.min(-Math.floor(log), 20), 0));
    };
  },

  // Scale options that pin an axis to px wide (none when px is not given).
  fixedWidth(px) {
    return px ? { afterFit: (scale) => { scale.width = px; } } : {};
  },

  // A linear x axis of ms timestamps: the selected window, else from the first time to the
  // last one plus step (the width of the last slice for slice charts): it ends at the data.
  timeAxis(t, step = 0) {
    const w = view.window();
    const span = t.length > 1 ? t[t.length - 1] - t[0] : 0;
    return {
      type: 'linear',
      min: w.from !== null ? w.from : t.length ? t[0] : undefined,
      max: w.to !== null ? w.to : t.length ? t[t.length - 1] + step : undefined,
      ticks: { maxTicksLimit: 10, callback: (v) => es.fmtClock(v, span) },
      title: { display: true, text: 'time (UTC)' },
    };
  },

  // Drag across a chart with a time x axis (in box) to select a window.
  attachZoom(box, getChart) {
    const sel = es.el('div', { class: 'zoom-sel', hidden: true });
    box.appendChild(sel);
    let x0 = null;
    const xOf = (ev) => ev.clientX - box.getBoundingClientRect().left;
    box.addEventListener('mousedown', (ev) => {
      const c = getChart();
      if (!c || ev.button !== 0) return;
      const x = xOf(ev);
      if (x < c.chartArea.left || x > c.chartArea.right) return;
      x0 = x;
      sel.style.left = `${x}px`; sel.style.width = '0px';
      es.show(sel, true);
    });
    window.addEventListener('mousemove', (ev) => {
      if (x0 === null) return;
      const c = getChart();
      const x = Math.min(Math.max(xOf(ev), c.chartArea.left), c.chartArea.right);
      sel.style.left = `${Math.min(x0, x)}px`; sel.style.width = `${Math.abs(x - x0)}px`;
    });
    window.addEventListener('mouseup', (ev) => {
      if (x0 === null) return;
      const c = getChart();
      const x1 = Math.min(Math.max(xOf(ev), c.chartArea.left), c.chartArea.right);
      const a = Math.min(x0, x1), b = Math.max(x0, x1);
      x0 = null;
      es.show(sel, false);
      if (b - a < 4) return;
      view.set({ from: Math.round(c.scales.x.getValueForPixel(a)), to: Math.round(c.scales.x.getValueForPixel(b)) });
    });
  },
};

// Answers asked for ahead of their panel's init, by URL: view.take(URL) hands each out once,
// any other or later request asks afresh. Two kinds:
// - the two answers the verdict waits for, the run and its findings, asked for as soon as
//   this script runs, not after every other script has loaded (DOMContentLoaded, where run.js
//   starts): on the loaded 2-core machine that was 0.4–0.6 s of waiting before the first
//   request went out (bench/pages.mjs). view.ask(WHAT) takes them (run.js: '',
//   panel_findings.js: '/findings');
// - a panel's first answers (its askAhead, called by run.js as soon as the verdict is
//   drawn, before Chart.js runs): the server computes and sends them while the browser runs
//   Chart.js, instead of after it.
view.ahead = new Map();
view.askAhead = (url) => {
  if (view.ahead.has(url)) return;
  const p = es.api(url);
  p.catch(() => {}); // shown by whoever takes the answer
  view.ahead.set(url, p);
};
view.take = (url) => {
  const p = view.ahead.get(url);
  view.ahead.delete(url);
  return p || es.api(url);
};
// Forgets answers asked for ahead that will not be taken (a panel that stopped early).
view.dropAhead = (urls) => { for (const u of urls) view.ahead.delete(u); };
view.runUrl = (what) => `/api/runs/${encodeURIComponent(view.runId)}${what}`;
view.ask = (what) => view.take(view.runUrl(what));
for (const what of ['', '/findings']) view.askAhead(view.runUrl(what));
