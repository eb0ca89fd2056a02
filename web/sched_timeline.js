// sched_timeline.js — the scheduling panel's per-CPU timeline, drawn on a canvas: one lane
// per CPU over the page's window (else the whole trace); in each of the server's slices
// (/scheduling?timeline=1, decimated there to about one slice per 2 px) the colour is the
// thread that ran most (one hue per thread id), its strength how busy the CPU was; the
// lane's lower band is the CPU's DPC+ISR share of the same time (/dpcisr/timeline), red.
// Hovering a lane says, for that slice, which threads ran and how much DPC/ISR time the
// CPU had — the per-slice tie between "ready" threads and DPC-pegged CPUs. Text through
// textContent only.
'use strict';

const schedTimeline = (() => {
  const LANE = 22, BAND = 7, LEFT = 56;
  const hue = (tid) => (Math.imul(tid, 2654435761) >>> 0) % 360;

  // The x range in seconds since the trace start: the page's window, else the trace.
  function range(run) {
    const start = run.summary.start_utc_us / 1000, w = view.window();
    const from = w.from !== null ? (w.from - start) / 1000 : 0;
    const to = w.to !== null ? (w.to - start) / 1000 : (run.summary.duration_us || 0) / 1e6;
    return { from: Math.max(0, from), to: Math.max(from + 1e-6, to), start };
  }

  function lanes(tl, dpc) {
    const cpus = new Set(tl.map((s) => s.cpu));
    if (dpc) for (const c of dpc.cpus) if (c.dpc.some((v) => v) || c.isr.some((v) => v)) cpus.add(c.cpu);
    return [...cpus].sort((a, b) => a - b);
  }

  // The slice of cpu at time t (s), and the DPC index there.
  function at(state, cpu, t) {
    const s = state.tl.find((x) => x.cpu === cpu && t >= x.t_s && t < x.t_s + x.slice_s) || null;
    let d = null;
    if (state.dpc) {
      const c = state.dpc.cpus.find((x) => x.cpu === cpu);
      const i = Math.floor(((t * 1000 + state.r.start) - state.dpc.t[0]) / state.dpc.slice_ms);
      if (c && i >= 0 && i < c.dpc.length) d = { dpc: c.dpc[i], isr: c.isr[i] };
    }
    return { s, d };
  }

  function describe(cpu, t, { s, d }) {
    const parts = [`CPU ${cpu} at ${fmt.ms(t * 1000)}:`];
    if (s) {
      const ns = (v) => fmt.us(v / 1000);
      parts.push(s.top.length ? s.top.map((x) => `thread ${x.tid}${x.pid === null ? '' : ` (pid ${x.pid})`} ran ${ns(x.ns)}`).join(', ') : 'no thread ran');
      parts.push(`other threads ${ns(s.other_ns)}, idle ${ns(s.idle_ns)} in ${fmt.ms(s.slice_s * 1000)}`);
    } else {
      parts.push('no context switch recorded here');
    }
    parts.push(d ? `DPC ${fmt.percent(d.dpc)}, ISR ${fmt.percent(d.isr)} of the CPU` : 'DPC/ISR not recorded');
    return parts.join(' ');
  }

  function draw(canvas, state) {
    const { tl, dpc, r, cpus } = state;
    const w = canvas.clientWidth || 600, h = Math.max(1, cpus.length) * LANE + 18;
    const dpr = window.devicePixelRatio || 1;
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
    canvas.style.height = `${h}px`;
    const g = canvas.getContext('2d');
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, h);
    const x = (t) => LEFT + ((t - r.from) / (r.to - r.from)) * (w - LEFT);
    g.font = '11px sans-serif';
    g.fillStyle = '#444';
    cpus.forEach((cpu, k) => {
      const y = k * LANE;
      g.fillStyle = '#444';
      g.fillText(`CPU ${cpu}`, 4, y + 14);
      g.fillStyle = 'rgba(0,0,0,0.04)';
      g.fillRect(LEFT, y, w - LEFT, LANE - 2);
      for (const s of tl) {
        if (s.cpu !== cpu) continue;
        const busy = (s.top.reduce((a, t) => a + t.ns, 0) + s.other_ns) / (s.slice_s * 1e9);
        if (busy <= 0) continue;
        g.fillStyle = s.top.length ? `hsla(${hue(s.top[0].tid)}, 65%, 45%, ${Math.min(1, 0.25 + busy)})` : `rgba(120,120,120,${Math.min(1, 0.25 + busy)})`;
        const x0 = Math.max(LEFT, x(s.t_s)), x1 = Math.min(w, x(s.t_s + s.slice_s));
        if (x1 > x0) g.fillRect(x0, y, Math.max(1, x1 - x0), LANE - 2 - BAND);
      }
      const c = dpc && dpc.cpus.find((e) => e.cpu === cpu);
      if (c) {
        g.fillStyle = 'rgb(220, 38, 38)';
        c.dpc.forEach((v, i) => {
          const share = Math.min(1, v + c.isr[i]);
          if (!(share > 0)) return;
          const t0 = (dpc.t[i] - r.start) / 1000, t1 = t0 + dpc.slice_ms / 1000;
          const x0 = Math.max(LEFT, x(t0)), x1 = Math.min(w, x(t1));
          const bh = Math.max(1, share * BAND);
          if (x1 > x0) g.fillRect(x0, y + LANE - 2 - bh, Math.max(1, x1 - x0), bh);
        });
      }
    });
    g.fillStyle = '#444';
    const yAxis = cpus.length * LANE + 12;
    for (let i = 0; i <= 4; i++) {
      const t = r.from + ((r.to - r.from) * i) / 4;
      g.fillText(`${fmt.ms(t * 1000)}`, Math.min(w - 50, x(t)), yAxis);
    }
  }

  // Draw the timeline of run into box (a div with a canvas, a hover line and a note).
  async function show(run, box, query) {
    const canvas = box.querySelector('canvas'), hover = box.querySelector('.tl-hover'), note = box.querySelector('.tl-note');
    const base = `/api/runs/${encodeURIComponent(run.id)}`;
    const points = Math.max(50, Math.min(2000, Math.floor((canvas.clientWidth || 600) / 2)));
    const q = `${query}${query ? '&' : ''}points=${points}`;
    const [th, dpc] = await Promise.all([
      es.api(`${base}/scheduling?timeline=1&limit=1&${q}`),
      es.api(`${base}/dpcisr/timeline?${q}`).catch(() => null),
    ]);
    const state = { tl: th.timeline || [], dpc: dpc && dpc.t && dpc.t.length ? dpc : null, r: range(run) };
    state.cpus = lanes(state.tl, state.dpc);
    es.show(box, state.cpus.length > 0);
    note.textContent = `${state.tl.length ? `Slices of ${fmt.ms(state.tl[0].slice_s * 1000)}` : 'No context-switch intervals here'}; colour: the thread that ran most (stronger = busier CPU); red band: DPC + ISR share of the CPU${state.dpc ? '' : ' (not recorded in this trace)'}. Hover a lane for the slice.`;
    draw(canvas, state);
    canvas.onmousemove = (ev) => {
      const rect = canvas.getBoundingClientRect();
      const k = Math.floor((ev.clientY - rect.top) / LANE), px = ev.clientX - rect.left;
      if (k < 0 || k >= state.cpus.length || px < LEFT) return;
      const t = state.r.from + ((px - LEFT) / (rect.width - LEFT)) * (state.r.to - state.r.from);
      hover.textContent = describe(state.cpus[k], t, at(state, state.cpus[k], t));
    };
    box.dataset.drawn = query; // tests wait on it
    return state;
  }

  return { show, LANE, LEFT };
})();
