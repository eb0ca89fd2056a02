// stack_shape.mjs — the shape of a trace's sampled stacks, measured with the test oracle's
// independent ETL decoder (tests/support/etlscan.mjs, written from the format notes, not
// from the product's C code): how often sampled IPs and return addresses repeat, and what
// prefix tree the stacks make. Used to calibrate etlgen's hot_ips knob against the real
// PerfView sample (bench/README.md, "Stacks whose IPs repeat").
//   node bench/stack_shape.mjs FILE.etl [--json] [--no-idle]
// Counts every sample, the Idle process's included (the stack store keeps them too);
// --no-idle leaves them out.
// A frame is (module name, offset) — an unresolved one (no image) its raw address.
// leaf: the innermost frame of a sample's stack (the sampled IP when it has no stack).
// Prefix tree: one node per distinct root-first path prefix over all samples (as a
// call tree merged across threads); "end nodes" are nodes where at least one sample
// ends; "childless" nodes have no children.
import { scan } from '../tests/support/etlscan.mjs';

const file = process.argv[2];
if (!file) { console.error('usage: node bench/stack_shape.mjs FILE.etl [--json] [--no-idle]'); process.exit(2); }
const withIdle = !process.argv.includes('--no-idle');
const out = scan(file, { stacks: true, idleStacks: withIdle });
const key = (f) => (f.module === null ? `?|${f.offset}` : `${f.module.toLowerCase()}|${f.offset}`);
const modOf = (f) => (f.module === null ? '?' : f.module.toLowerCase());

const leafCount = new Map();           // leaf frame key → samples
const perModLeaf = new Map();          // module → Map(leaf key → samples)
const retAddrs = new Map();            // module → Set(return-address key)
const depth = new Map();               // depth → samples
let trieNodes = 0, endNodes = 0;
const root = new Map();                // child key → {kids: Map, n: samples ending here}
for (const s of out.stacks) {
  const fr = s.frames;                 // innermost first
  depth.set(fr.length, (depth.get(fr.length) || 0) + 1);
  const lk = key(fr[0]);
  leafCount.set(lk, (leafCount.get(lk) || 0) + 1);
  const m = modOf(fr[0]);
  if (!perModLeaf.has(m)) perModLeaf.set(m, new Map());
  const pm = perModLeaf.get(m);
  pm.set(lk, (pm.get(lk) || 0) + 1);
  for (let i = 1; i < fr.length; i++) {
    const rm = modOf(fr[i]);
    if (!retAddrs.has(rm)) retAddrs.set(rm, new Set());
    retAddrs.get(rm).add(key(fr[i]));
  }
  let level = root, node = null;
  for (let i = fr.length - 1; i >= 0; i--) {
    const k = key(fr[i]);
    node = level.get(k);
    if (!node) { node = { kids: new Map(), n: 0 }; level.set(k, node); trieNodes++; }
    level = node.kids;
  }
  if (node.n === 0) endNodes++;
  node.n++;
}
let childless = 0;
const walk = (level) => { for (const n of level.values()) { if (n.kids.size === 0) childless++; else walk(n.kids); } };
walk(root);

const samples = out.stacks.length;
const share = (counts, k) => counts.slice(0, k).reduce((a, b) => a + b, 0);
const mods = [...perModLeaf.entries()].map(([m, leaves]) => {
  const c = [...leaves.values()].sort((a, b) => b - a);
  const n = c.reduce((a, b) => a + b, 0);
  return { module: m, samples: n, distinct_leaves: c.length, samples_per_leaf: +(n / c.length).toFixed(2),
    top1: +(share(c, 1) / n).toFixed(3), top10: +(share(c, 10) / n).toFixed(3), top100: +(share(c, 100) / n).toFixed(3),
    return_addresses: retAddrs.has(m) ? retAddrs.get(m).size : 0 };
}).sort((a, b) => b.samples - a.samples);
const depths = [...depth.entries()].sort((a, b) => a[0] - b[0]);
const sorted = depths.flatMap(([d, n]) => [[d, n]]);
const pct = (p) => { let acc = 0; for (const [d, n] of sorted) { acc += n; if (acc >= p * samples) return d; } return 0; };
const allRet = [...retAddrs.values()].reduce((a, s) => a + s.size, 0);
const summary = {
  file, samples, idle_included: withIdle, samples_with_stack: out.samplesWithStack,
  distinct_leaves: leafCount.size, samples_per_distinct_leaf: +(samples / leafCount.size).toFixed(2),
  distinct_return_addresses: allRet,
  trie_nodes: trieNodes, end_nodes: endNodes, end_node_share: +(endNodes / trieNodes).toFixed(3),
  childless_nodes: childless, childless_share: +(childless / trieNodes).toFixed(3),
  samples_per_end_node: +(samples / endNodes).toFixed(2),
  depth_p10: pct(0.1), depth_median: pct(0.5), depth_p90: pct(0.9), depth_max: sorted.length ? sorted[sorted.length - 1][0] : 0,
};
if (process.argv.includes('--json')) {
  console.log(JSON.stringify({ summary, modules: mods }, null, 1));
} else {
  for (const [k, v] of Object.entries(summary)) console.log(`${k}: ${v}`);
  console.log('module | samples (leaf in it) | distinct leaf IPs | samples/leaf | top 1 | top 10 | top 100 | distinct return addresses');
  for (const m of mods.slice(0, 15))
    console.log(`${m.module} | ${m.samples} | ${m.distinct_leaves} | ${m.samples_per_leaf} | ${m.top1} | ${m.top10} | ${m.top100} | ${m.return_addresses}`);
}
