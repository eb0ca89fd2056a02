// etlgen.mjs — test helper: write an .etl with the etlgen CLI from a scenario (object or
// file), with its exact expected aggregates and, on request, every DPC/ISR record it wrote;
// and compute expected DPC/ISR figures from those records for any window, CPU set, module
// set and kinds.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { binary, repo } from './server.mjs';

export const etlgenBin = process.env.ETLGEN_BIN || join(dirname(binary), '..', 'tools', 'etlgen', 'etlgen');
export const DPC_KINDS = [0, 1, 2];
export const ISR_KINDS = [3, 4];
export const KIND_NAMES = ['normal_dpc', 'threaded_dpc', 'timer_dpc', 'line_isr', 'msi_isr'];
export const isIsr = (k) => k >= 3;
export const guidelineNs = (k) => (isIsr(k) ? 25000 : 100000);

// Writes DIR/NAME.etl; returns {path, expected, records} (records only when withRecords).
export function generate(dir, name, scenario, withRecords = true) {
  const scen = join(dir, `${name}.json`), etl = join(dir, `${name}.etl`);
  const exp = join(dir, `${name}.expected.json`), csv = join(dir, `${name}.records.csv`);
  writeFileSync(scen, typeof scenario === 'string' ? scenario : JSON.stringify(scenario));
  execFileSync(etlgenBin, withRecords ? [scen, etl, exp, csv] : [scen, etl, exp]);
  const out = { path: etl, expected: JSON.parse(readFileSync(exp, 'utf8')) };
  if (withRecords) {
    const lines = readFileSync(csv, 'utf8').trim().split('\n').slice(1);
    out.records = lines.map((l) => {
      const f = l.split(',');
      return { t: Number(f[0]), d: Number(f[1]), cpu: Number(f[2]), kind: Number(f[3]), module: f[4] };
    });
  }
  return out;
}

// Bucket of a duration (ns) on the API's edges (µs): (lo, hi], under- and overflow.
export function bucketOf(edgesUs, d) {
  for (let i = 0; i < edgesUs.length; i++) if (d <= Math.round(edgesUs[i] * 1000)) return i;
  return edgesUs.length;
}

// Filter: {fromMs, toMs (ms since trace start, whole), cpus: Set, modules: Set(names), kinds: Set}
export function select(records, f = {}) {
  return records.filter((r) => {
    const ms = Math.floor(Math.max(r.t, 0) / 1e6);
    if (f.fromMs !== undefined && ms < f.fromMs) return false;
    if (f.toMs !== undefined && ms >= f.toMs) return false;
    if (f.cpus && !f.cpus.has(r.cpu)) return false;
    if (f.modules && !f.modules.has(r.module)) return false;
    if (f.kinds && !f.kinds.has(r.kind)) return false;
    return true;
  });
}

// Exact figures of a record list (as the API's Stats block, plus bucket counts and CPUs).
export function stats(records, edgesUs) {
  const s = { count: 0, total_ns: 0, max_ns: 0, above_count: 0, above_total_ns: 0, counts: new Array(edgesUs ? edgesUs.length + 1 : 0).fill(0), cpus: new Set() };
  for (const r of records) {
    s.count++; s.total_ns += r.d;
    if (r.d > s.max_ns) s.max_ns = r.d;
    if (r.d > guidelineNs(r.kind)) { s.above_count++; s.above_total_ns += r.d; }
    if (edgesUs) s.counts[bucketOf(edgesUs, r.d)]++;
    s.cpus.add(r.cpu);
  }
  s.cpus = [...s.cpus].sort((a, b) => a - b);
  return s;
}

// Writes DIR/NAME.etl from a scenario object, an absolute path or a repo-relative path;
// returns the trace bytes and the writer's expected aggregates.
export function etlgen(dir, scenario, name = 'trace') {
  let path = scenario;
  if (typeof scenario !== 'string') {
    path = join(dir, `${name}.json`);
    writeFileSync(path, JSON.stringify(scenario));
  } else if (!scenario.startsWith('/')) {
    path = join(repo, scenario);
  }
  const etl = join(dir, `${name}.etl`), exp = join(dir, `${name}.expected.json`);
  execFileSync(etlgenBin, [path, etl, exp], { stdio: ['ignore', 'ignore', 'pipe'] });
  return { bytes: readFileSync(etl), expected: JSON.parse(readFileSync(exp, 'utf8')) };
}
