// io_query.mjs — latency of /syscalls, /scheduling, /diskio and /fileio on one stored run,
// as Markdown table rows: for each endpoint and each filter kind (whole trace, a 10 s
// window on whole seconds, a 10 s window that starts and ends inside a second, one CPU, one
// process) N requests one after another over one keep-alive connection, every URL a
// different one (the server keeps recent answers per URL: asking the same URL again would
// time its memory cache, not the query), p50/p95/max against the 50 ms p95 target, and the
// server's CPU time per request (from /proc/PID/stat: steadier than wall time on a shared
// machine).
//   node bench/io_query.mjs URL RUN_ID N SERVER_PID      (called by bench/io_bench.sh)
import { readFileSync } from 'node:fs';
const [base, run, nArg, pidArg] = process.argv.slice(2);
// utime + stime of the server in ms (fields 14 and 15 of /proc/PID/stat, in clock ticks)
const cpuMs = () => {
  const f = readFileSync(`/proc/${pidArg}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
};
const N = Number(nArg || 50);
const runUrl = `${base}/api/runs/${run}`;
const r = await (await fetch(runUrl)).json();
const start = r.start, seconds = Math.floor(r.duration_s);
const cpus = r.cpus || 1;
const win = Math.min(10, Math.floor(seconds / 2)); // s: 10 on the 60 s trace
const slots = seconds - win - 1;

const pids = new Set();
for (const t of (await (await fetch(`${runUrl}/scheduling?limit=5000`)).json()).selection.rows) pids.add(t.pid);
const pidList = [...pids].filter((p) => p !== null && p !== 0);

// the i-th query of each kind (limit varies where the filter alone repeats)
const kinds = {
  'whole trace': (i) => `limit=${1000 + i}`,
  [`${win} s window, whole seconds`]: (i) => `from=${start + 1000 * (i % slots)}&to=${start + 1000 * (i % slots + win)}&limit=${1000 + Math.floor(i / slots)}`,
  [`${win} s window, mid-second ends`]: (i) => `from=${start + 1000 * (i % slots) + 450}&to=${start + 1000 * (i % slots + win) + 450}&limit=${1000 + Math.floor(i / slots)}`,
  'one CPU': (i) => `cpus=${i % cpus}&limit=${1000 + Math.floor(i / cpus)}`,
  'one process': (i) => `pid=${pidList[i % pidList.length]}&limit=${1000 + Math.floor(i / pidList.length)}`,
};

const pct = (xs, p) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
for (const ep of ['syscalls', 'scheduling', 'diskio', 'fileio']) {
  for (const [kind, q] of Object.entries(kinds)) {
    const ms = [];
    let bytes = 0;
    const cpu0 = cpuMs();
    for (let i = 0; i < N; i++) {
      const t0 = performance.now();
      const res = await fetch(`${runUrl}/${ep}?${q(i)}`);
      const body = await res.arrayBuffer();
      ms.push(performance.now() - t0);
      bytes = body.byteLength;
      if (res.status !== 200) throw new Error(`${ep}?${q(i)}: ${res.status} ${Buffer.from(body).toString()}`);
    }
    const cpu = (cpuMs() - cpu0) / N;
    ms.sort((a, b) => a - b);
    const p95 = pct(ms, 95);
    console.log(`| \`/${ep}\` ${kind} (${N} different URLs, ${(bytes / 1024).toFixed(1)} KB JSON) | p50 / p95 / max: ${pct(ms, 50).toFixed(1)} / ${p95.toFixed(1)} / ${ms[ms.length - 1].toFixed(1)} ms, server CPU ${cpu.toFixed(1)} ms per request | ${p95 < 50 ? 'meets' : 'MISSES'} p95 < 50 ms | — |`);
  }
}
