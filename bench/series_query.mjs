// series_query.mjs — the perfmon run page's series reads over HTTP on stored runs, as
// Markdown table rows: /series (64 counters, whole run and a 10 % window; one counter),
// /cpu (whole run and a 10 % window) and /processes, N different URLs each (points varies:
// the server keeps recent answers per URL), p50/p95 wall and the server's CPU per request
// (utime + stime from /proc/PID/stat: steadier than wall time on a shared machine).
// With --dump DIR it instead writes each endpoint's JSON for a fixed set of URLs to DIR
// (one file per run and URL), to compare answers byte for byte between two binaries.
//   node bench/series_query.mjs URL N SERVER_PID        (called by bench/series_bench.sh)
//   node bench/series_query.mjs URL --dump DIR
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
const [base, nArg, pidArg] = process.argv.slice(2);
const cpuMs = () => {
  const f = readFileSync(`/proc/${pidArg}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
};
const get = async (u) => {
  const res = await fetch(base + u);
  const body = Buffer.from(await res.arrayBuffer());
  if (res.status !== 200) throw new Error(`${u}: ${res.status} ${body}`);
  return body;
};
const runs = JSON.parse(await get('/api/runs')).runs;

// the URLs of one run: name → (i) → path
async function kinds(r) {
  const ru = `/api/runs/${r.id}`;
  const info = JSON.parse(await get(ru));
  const counters = JSON.parse(await get(`${ru}/counters`)).counters;
  const s = info.summary, t0 = Math.floor(s.first_utc_us / 1000), t1 = Math.ceil(s.last_utc_us / 1000);
  const span = t1 - t0, w = Math.max(1, Math.floor(span / 10));
  const cs = counters.slice(0, 64).map((c) => `c=${c.idx}`).join('&');
  const cpuName = (info.cpu_counters || [])[0]?.counter;
  const k = {
    [`/series ${Math.min(64, counters.length)} counters, whole run`]: (i) => `${ru}/series?${cs}&points=${600 + i}`,
    [`/series ${Math.min(64, counters.length)} counters, 10 % window`]: (i) => `${ru}/series?${cs}&from=${t0 + ((i * 7919) % 9) * w}&to=${t0 + ((i * 7919) % 9 + 1) * w}&points=${600 + i}`,
    '/series one counter, whole run': (i) => `${ru}/series?c=${counters[i % counters.length].idx}&points=${600 + i}`,
  };
  if (cpuName) {
    const cn = encodeURIComponent(cpuName);
    k[`/cpu ${cpuName}, whole run`] = (i) => `${ru}/cpu?counter=${cn}&points=${600 + i}`;
    k[`/cpu ${cpuName}, 10 % window`] = (i) => `${ru}/cpu?counter=${cn}&from=${t0 + (i % 9) * w}&to=${t0 + (i % 9 + 1) * w}&points=${600 + i}`;
  }
  k['/processes, whole run'] = (i) => `${ru}/processes?points=${600 + i}`;
  k['/findings'] = () => `${ru}/findings`;
  k['/counters'] = () => `${ru}/counters`;
  return k;
}

const pct = (xs, p) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
if (nArg === '--dump') {
  const dir = pidArg;
  mkdirSync(dir, { recursive: true });
  for (const r of runs) {
    const k = await kinds(r);
    let j = 0;
    for (const [name, q] of Object.entries(k))
      for (const i of [0, 1, 5]) {
        const u = q(i);
        writeFileSync(`${dir}/${r.name.replace(/[^A-Za-z0-9.-]/g, '_')}-${j++}.json`, `${u.replace(/^\/api\/runs\/[0-9a-f]+/, '')}\n${await get(u)}\n`);
      }
  }
} else {
  const N = Number(nArg || 30);
  for (const r of runs) {
    for (const [name, q] of Object.entries(await kinds(r))) {
      if (name === '/findings' || name === '/counters') continue;
      const ms = [];
      let bytes = 0;
      const cpu0 = cpuMs();
      for (let i = 0; i < N; i++) {
        const t = performance.now();
        bytes = (await get(q(i))).length;
        ms.push(performance.now() - t);
      }
      const cpu = (cpuMs() - cpu0) / N;
      ms.sort((a, b) => a - b);
      console.log(`| ${r.name}: \`${name}\` (${N} URLs, ${(bytes / 1024).toFixed(1)} KB) | p50 / p95: ${pct(ms, 50).toFixed(1)} / ${pct(ms, 95).toFixed(1)} ms | server CPU ${cpu.toFixed(2)} ms/request |`);
    }
  }
}
