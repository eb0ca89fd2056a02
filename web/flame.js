// flame.js — draws a call tree (the /stacks/tree and /compare/stacks JSON) as a flame graph
// with d3-flame-graph (npm, pinned, embedded). Labels and the hover line are set as text:
// the library writes names with .text() and we keep its default <title> tooltip (no HTML
// tooltip module). Differential trees colour each frame by its delta: red grew, blue shrank.
'use strict';

const flame = {
  // Draws root into box (emptied first); opts: {onClick(node data), diff: bool,
  // details: element for the hover line}. Returns the chart (or null when empty).
  draw(box, root, opts = {}) {
    box.replaceChildren();
    if (!root || !root.value) return null;
    const width = Math.max(200, box.clientWidth || 600);
    const chart = window.flamegraph()
      .width(width)
      .cellHeight(18)
      .transitionDuration(0)
      .minFrameSize(2)
      .sort(true)
      .getName((d) => d.data.name)
      .getLibtype((d) => (d.data.kernel ? 'kernel' : ''))
      .setLabelHandler((d) => flame.label(d, opts.diff));
    if (opts.details) chart.setDetailsElement(opts.details);
    if (opts.diff) {
      let max = 0;
      const walk = (n) => { max = Math.max(max, Math.abs(n.delta || 0)); (n.children || []).forEach(walk); };
      walk(root);
      chart.setColorMapper((d) => flame.diffColor(d.data.delta || 0, max));
    }
    if (opts.onClick) chart.onClick((d) => opts.onClick(d.data));
    window.d3.select(box).datum(root).call(chart);
    return chart;
  },

  // The hover text of a frame: "name — 1,234 samples (12.0 %)" (+ delta in diff mode).
  label(d, diff) {
    const share = fmt.percent(d.x1 - d.x0);
    const base = `${d.data.name} — ${fmt.count(d.value)} samples (${share})`;
    return diff ? `${base}, change ${fmt.signed(d.data.delta || 0, fmt.count)}` : base;
  },

  // Red for growth, blue for shrinkage, white for none; saturation by |delta| / max.
  diffColor(delta, max) {
    const f = max ? Math.min(1, Math.abs(delta) / max) : 0;
    const c = Math.round(255 - 175 * f);
    return delta > 0 ? `rgb(255, ${c}, ${c})` : delta < 0 ? `rgb(${c}, ${c}, 255)` : 'rgb(240, 240, 240)';
  },
};
