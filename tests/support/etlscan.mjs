// etlscan.mjs — an independent, deliberately slow ETL decoder used as the test oracle for
// CPU attribution (per-module exclusive/inclusive samples, Idle, processes, threads).
// Written from ../shared/research/etl-format.md and [MS-XCA] 2.3/2.4, not from the
// product's C code. It reads the whole file, walks every buffer in file order, expands
// XPRESS plain-LZ77 buffers, and answers with whole-trace two-pass matching.
//
// Documented semantics (the product implements the same; see docs/api.md "CPU samples"):
//  1. A sample is a SampledProfile event (15/46); its CPU is the buffer's, its thread the
//     payload ThreadId, its time the header timestamp (raw clock ticks).
//  2. Its process: the ProcessId of the latest Thread event (group 5, types 1-4) of that
//     thread at or before the sample's time, else of the thread's first Thread event in the
//     file; thread 0 is the Idle process (pid 0); a thread never described has an unknown
//     process.
//  3. Its stack: every Stack (24/32), KeyKernel (24/37) and KeyUser (24/38) event on ANY
//     CPU whose EventTimeStamp equals the sample's timestamp and whose StackThread equals the
//     sample's thread (several samples of one thread at one timestamp — only in written
//     traces — take such events in file order: each goes to the first of them without an
//     event of its kind, else to the first). A key reference at header time t uses the
//     definition (KeyCreate 24/34,
//     KeyDelete 24/35, KeyRundown 24/36) of that key with the smallest timestamp >= t, else
//     the latest one before t.
//  4. Modules: Image DCStart/DCEnd/Unload (20/3,4,2) and Load (3/10) events. An image whose
//     base is a kernel-space address (>= 0xFFFF8000_00000000 with 8-byte pointers,
//     >= 0x80000000 with 4) is global; every other image belongs to its ProcessId alone
//     (System's user-space images included). One module per (space, base, normalised path),
//     where the path is normalised by dropping a leading \Device\HarddiskVolumeN, \??\X: or
//     X: and mapping \SystemRoot to \Windows, case-insensitively. A module is loaded from
//     its Load (or the start, if it has a DCStart or no Load) to its Unload (or the end, if
//     it has a DCEnd or no Unload).
//  5. An address resolves, at the sample's time, in kernel space if it is a kernel-space
//     address, else in the sample's process only: among the modules of that space that
//     contain it, the one loaded at that time with the highest base, else (none loaded then)
//     the containing one with the highest base. Unresolved kernel-space addresses are
//     "unknown kernel", unresolved user-space ones "user code without an image".
//  6. Idle samples (process 0, and neither flagged ExecutingDPC/ISR nor inside a DPC/ISR's
//     [InitialTime, end) on its CPU: a DPC that interrupts the idle loop is busy time) count
//     only as Idle. Every other sample counts exclusive for
//     the module of its IP (or its unknown class) and inclusive once for each distinct
//     module (or unknown class of the IP) among the IP and all its stack's frames; an
//     unresolved frame adds nothing.
//  With opts.idleStacks, opts.stacks also lists the Idle samples' stacks;
//  they still count only as Idle.
//  7. Implausible image events are not modules: empty path, size 0, base + size overflowing
//     the pointer width, or a ProcessId above 0x7FFFFFFF.
import { readFileSync } from 'node:fs';

const KERNEL64 = 0xFFFF800000000000n;
const KERNEL32 = 0x80000000n;

// [MS-XCA] 2.4 plain LZ77 decompression, straight from the pseudo-code.
export function xpressLz77(inp, outLen) {
  const out = Buffer.alloc(outLen);
  let ip = 0, op = 0, flags = 0, nflags = 0, half = -1;
  for (;;) {
    if (nflags === 0) {
      if (ip + 4 > inp.length) break;
      flags = inp.readUInt32LE(ip); ip += 4; nflags = 32;
    }
    nflags--;
    if (((flags >>> nflags) & 1) === 0) {
      if (ip >= inp.length || op >= outLen) break;
      out[op++] = inp[ip++];
      continue;
    }
    if (ip + 2 > inp.length) break;
    const m = inp.readUInt16LE(ip); ip += 2;
    const dist = (m >>> 3) + 1;
    let len = m & 7;
    if (len === 7) {
      if (half < 0) { len = inp[ip] & 15; half = ip; ip++; } else { len = inp[half] >>> 4; half = -1; }
      if (len === 15) {
        len = inp[ip++];
        if (len === 255) {
          len = inp.readUInt16LE(ip); ip += 2;
          if (len === 0) { len = inp.readUInt32LE(ip); ip += 4; }
          if (len < 22) throw new Error('lz77: bad length');
          len -= 22;
        }
        len += 15;
      }
      len += 7;
    }
    len += 3;
    if (dist > op) throw new Error('lz77: distance before start');
    for (let i = 0; i < len && op < outLen; i++, op++) out[op] = out[op - dist];
  }
  if (op !== outLen) throw new Error(`lz77: expanded to ${op}, expected ${outLen}`);
  return out;
}

// Every event of the file, in file order: {group, type, version, ts, cpu, psize, p (payload Buffer)}.
// Only kernel headers (SYSTEM, COMPACT, PERFINFO) are decoded; other headers are skipped by size.
export function* events(file) {
  for (let off = 0; off + 0x48 <= file.length;) {
    const size = file.readUInt32LE(off);
    if (size < 0x48 || off + size > file.length) break;
    const flag = file.readUInt16LE(off + 0x34);
    const cpu = flag & 0x20 ? file.readUInt16LE(off + 0x28) & 0x7ff : file[off + 0x28];
    let used = file.readUInt32LE(off + 0x30) || file.readUInt32LE(off + 4);
    let data;
    if (flag & 0x40) {
      data = xpressLz77(file.subarray(off + 0x48, off + size), used - 0x48);
    } else {
      used = Math.min(used, size);
      data = file.subarray(off + 0x48, off + used);
    }
    off += size;
    for (let pos = 0; pos + 8 <= data.length;) {
      const marker = data.readUInt32LE(pos);
      if (marker === 0xFFFFFFFF) break;
      const b2 = data[pos + 2], b3 = data[pos + 3];
      let evsize, hdr = 0;
      const kernel = (b3 & 0xC0) === 0xC0 && [1, 2, 3, 4, 0x10, 0x11].includes(b2);
      if (kernel) {
        evsize = data.readUInt16LE(pos + 4);
        hdr = b2 <= 2 ? 32 : b2 <= 4 ? 24 : 16;
        const ver = data.readUInt16LE(pos);
        hdr += (ver & 0x8000 ? 8 : 0) + ((ver >> 8) & 7) * 8;
        if (evsize >= hdr && pos + evsize <= data.length) {
          yield {
            group: data[pos + 7], type: data[pos + 6], version: ver & 0xFF, cpu,
            ts: data.readBigUInt64LE(pos + (b2 >= 0x10 ? 8 : 16)),
            psize: b2 === 1 || b2 === 3 || b2 === 0x10 ? 4 : 8,
            p: data.subarray(pos + hdr, pos + evsize),
          };
        }
      } else if ((b3 & 0x80) !== 0) {
        evsize = data.readUInt16LE(pos);
      } else {
        break;
      }
      if (!evsize) break;
      pos += (evsize + 7) & ~7;
    }
  }
}

const ptr = (b, off, psize) => (psize === 8 ? b.readBigUInt64LE(off) : BigInt(b.readUInt32LE(off)));

export function normalisePath(path) {
  let p = path.replace(/\//g, '\\');
  p = p.replace(/^\\Device\\HarddiskVolume\d+(?=\\)/i, '');
  p = p.replace(/^\\\?\?\\[A-Za-z]:(?=\\)/, '');
  p = p.replace(/^[A-Za-z]:(?=\\)/, '');
  p = p.replace(/^\\SystemRoot(?=\\)/i, '\\Windows');
  return p.toLowerCase();
}

function utf16z(b, off) {
  let end = off;
  while (end + 1 < b.length && (b[end] | b[end + 1])) end += 2;
  return b.subarray(off, end).toString('utf16le');
}

// Thread → process at a time (semantics 2): threadEvents maps tid → [{ts, pid}] in file
// order; returns pidOf(tid, ts), null for a thread never described.
function threadPids(threadEvents) {
  const firstPid = new Map([...threadEvents].map(([tid, list]) => [tid, list[0].pid]));
  for (const list of threadEvents.values()) list.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
  return (tid, ts) => {
    if (tid === 0) return 0;
    const list = threadEvents.get(tid);
    if (!list) return null;
    let pid = firstPid.get(tid);
    for (const e of list) if (e.ts <= ts) pid = e.pid; else break;
    return pid;
  };
}

function threadEvent(e, threadEvents) {
  const p = e.p;
  const pid = e.version === 0 ? p.readUInt32LE(4) : p.readUInt32LE(0);
  const tid = e.version === 0 ? p.readUInt32LE(0) : p.readUInt32LE(4);
  if (!threadEvents.has(tid)) threadEvents.set(tid, []);
  threadEvents.get(tid).push({ ts: e.ts, pid });
}

// Disk and file I/O (issue 15), from Microsoft's MOF classes DiskIo_TypeGroup1/3: events
// per "group/type" of DiskIo (1) and FileIo (4); disk I/O completions (1/10 read, 1/11
// write, 1/14 flush) per op and per process of the issuing thread (IssuingThreadId, the u32
// after the fixed part: read/write 24 + 2P + 8 bytes, flush 16 + P), by semantics 2; no
// IssuingThreadId (or a thread never described) = process null. busyByDisk(qpcHz): per disk
// the time its I/Os were outstanding, [completion − HighResResponseTime, completion]
// clipped at the trace start (the header event, 0/0), in ns.
export function ioScan(path) {
  const file = readFileSync(path);
  const types = new Map(), threadEvents = new Map(), ios = [];
  let t0 = null;
  for (const e of events(file)) {
    const g = e.group, t = e.type, p = e.p, P = e.psize;
    if (t0 === null && g === 0 && t === 0) t0 = e.ts;
    if (g === 5 && t >= 1 && t <= 4 && p.length >= 8) threadEvent(e, threadEvents);
    if (g !== 1 && g !== 4) continue;
    types.set(`${g}/${t}`, (types.get(`${g}/${t}`) || 0) + 1);
    if (g !== 1 || (t !== 10 && t !== 11 && t !== 14)) continue;
    const fixed = t === 14 ? 16 + P : 24 + 2 * P + 8;
    if (p.length < fixed) continue;
    ios.push({ ts: e.ts, op: t, size: t === 14 ? 0 : p.readUInt32LE(8), disk: p.readUInt32LE(0),
      ticks: p.readBigUInt64LE(t === 14 ? 8 : 24 + 2 * P),
      tid: p.length >= fixed + 4 ? p.readUInt32LE(fixed) : null });
  }
  const pidOf = threadPids(threadEvents);
  const byProcess = new Map(), byOp = new Map();
  for (const io of ios) {
    const pid = io.tid === null ? null : pidOf(io.tid, io.ts);
    for (const [m, k] of [[byProcess, pid], [byOp, io.op]]) {
      const r = m.get(k) || { count: 0, bytes: 0 };
      r.count++;
      r.bytes += io.size;
      m.set(k, r);
    }
  }
  const busyByDisk = (qpcHz) => {
    const ns = (ticks) => Number(ticks) * 1e9 / qpcHz;
    const m = new Map();
    for (const io of ios) {
      const end = ns(io.ts - t0);
      m.set(io.disk, (m.get(io.disk) || 0) + end - Math.max(0, end - ns(io.ticks)));
    }
    return m;
  };
  return { types, byProcess, byOp, busyByDisk };
}

// The whole analysis. Returns plain objects/maps; see the semantics above.
// opts.stacks: also out.stacks, one entry per non-Idle sample: { frames, cpu, pid, tid,
// ticks } — frames leaf first, each { module, offset } (module null outside every module,
// offset then the address), the sample's stack events' frames in file order (a stackless
// sample: its IP alone); ticks the sample's time in clock ticks since the header event (0/0).
export function scan(path, opts = {}) {
  const file = readFileSync(path);
  const samples = [], stackRefs = [], keyDefs = new Map(), images = [], threadEvents = new Map();
  const dpcisr = new Map(); // cpu → [[InitialTime, end)] of its DPCs and ISRs
  let psize = 8, implausibleImages = 0, t0 = null;
  for (const e of events(file)) {
    const g = e.group, t = e.type, p = e.p, P = e.psize;
    if (t0 === null && g === 0 && t === 0) t0 = e.ts;
    if (g === 15 && t === 46 && p.length >= P + 4) {
      samples.push({ ts: e.ts, cpu: e.cpu, ip: ptr(p, 0, P), tid: p.readUInt32LE(P), psize: P,
        dpcisrFlag: p.length >= P + 8 && (p[P + 6] & 3) !== 0 });
      psize = P;
    } else if (g === 15 && [50, 66, 67, 68, 69].includes(t) && p.length >= 8) {
      // DPC/ISR (PerfInfo 15/66..69, ISR-MSI 15/50): InitialTime first, logged at its end
      if (!dpcisr.has(e.cpu)) dpcisr.set(e.cpu, []);
      dpcisr.get(e.cpu).push([p.readBigUInt64LE(0), e.ts]);
    } else if (g === 24 && (t === 32 || t === 37 || t === 38) && p.length >= 16) {
      const r = { kind: t, ets: p.readBigUInt64LE(0), tid: p.readUInt32LE(12), ts: e.ts, P };
      if (t === 32) {
        r.frames = [];
        for (let o = 16; o + P <= p.length; o += P) r.frames.push(ptr(p, o, P));
      } else if (p.length >= 16 + P) {
        r.key = ptr(p, 16, P);
      } else continue;
      stackRefs.push(r);
    } else if (g === 24 && (t === 34 || t === 35 || t === 36) && p.length >= P) {
      const key = ptr(p, 0, P), frames = [];
      for (let o = P; o + P <= p.length; o += P) frames.push(ptr(p, o, P));
      if (!keyDefs.has(key)) keyDefs.set(key, []);
      keyDefs.get(key).push({ ts: e.ts, frames });
    } else if ((g === 20 && (t === 2 || t === 3 || t === 4)) || (g === 3 && t === 10)) {
      const nameOff = e.version >= 2 ? (P === 8 ? 56 : 44) : e.version === 1 ? 2 * P + 4 : 2 * P;
      if (p.length < nameOff) continue;
      const im = {
        base: ptr(p, 0, P), size: ptr(p, P, P), pid: e.version >= 1 ? p.readUInt32LE(2 * P) : 0,
        path: utf16z(p, nameOff), kind: g === 3 ? 'load' : t === 2 ? 'unload' : t === 3 ? 'dcstart' : 'dcend',
        ts: e.ts, P,
      };
      const limit = P === 8 ? 1n << 64n : 1n << 32n;
      if (!im.path || im.size === 0n || im.base + im.size > limit || im.pid > 0x7FFFFFFF) { implausibleImages++; continue; }
      images.push(im);
    } else if (g === 5 && t >= 1 && t <= 4 && p.length >= 8) {
      threadEvent(e, threadEvents);
    }
  }
  const kernelAt = (a, P) => a >= (P === 8 ? KERNEL64 : KERNEL32);

  // Modules: one per (space, base, normalised path).
  const mods = new Map();
  for (const im of images) {
    const space = kernelAt(im.base, im.P) ? 'k' : `u${im.pid}`;
    const key = `${space}|${im.base}|${normalisePath(im.path)}`;
    let m = mods.get(key);
    if (!m) {
      m = { space, base: im.base, size: im.size, path: im.path, name: im.path.split(/[\\/]/).pop(),
        load: null, unload: null, dcstart: false, dcend: false, excl: 0, incl: 0 };
      mods.set(key, m);
    }
    if (im.size > m.size) m.size = im.size;
    if (im.kind === 'load' && (m.load === null || im.ts < m.load)) m.load = im.ts;
    if (im.kind === 'unload' && (m.unload === null || im.ts > m.unload)) m.unload = im.ts;
    if (im.kind === 'dcstart') m.dcstart = true;
    if (im.kind === 'dcend') m.dcend = true;
  }
  const bySpace = new Map();
  for (const m of mods.values()) {
    m.from = m.dcstart || m.load === null ? -1n : m.load;
    m.to = m.dcend || m.unload === null ? 1n << 64n : m.unload;
    if (!bySpace.has(m.space)) bySpace.set(m.space, []);
    bySpace.get(m.space).push(m);
  }
  const resolve = (addr, pid, ts, P) => {
    const kernel = kernelAt(addr, P);
    const list = bySpace.get(kernel ? 'k' : `u${pid}`) || [];
    let best = null, bestAny = null;
    for (const m of list) {
      if (addr < m.base || addr - m.base >= m.size) continue;
      if (ts >= m.from && ts <= m.to && (!best || m.base > best.base)) best = m;
      if (!bestAny || m.base > bestAny.base) bestAny = m;
    }
    return best || bestAny || (kernel ? 'unknown-kernel' : 'unknown-user');
  };

  const pidOf = threadPids(threadEvents);

  // Key definitions sorted by time; stack references grouped by (EventTimeStamp, thread).
  for (const defs of keyDefs.values()) defs.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
  const defOf = (key, ts) => {
    const defs = keyDefs.get(key);
    if (!defs) return null;
    for (const d of defs) if (d.ts >= ts) return d;
    return defs[defs.length - 1];
  };
  const samplesBy = new Map();
  for (const s of samples) {
    s.refs = [];
    const k = `${s.ts}|${s.tid}`;
    if (!samplesBy.has(k)) samplesBy.set(k, []);
    samplesBy.get(k).push(s);
  }
  let matched = 0;
  for (const r of stackRefs) {
    const group = samplesBy.get(`${r.ets}|${r.tid}`);
    if (!group) continue;
    const s = group.find((x) => !x.refs.some((y) => y.kind === r.kind)) || group[0];
    s.refs.push(r);
    matched++;
  }

  const out = {
    psize, samples: samples.length, idle: 0, samplesWithStack: 0, stackEventsMatched: 0,
    stackEventsUnmatched: 0, keysUndefined: 0, implausibleImages,
    unknownKernel: { excl: 0, incl: 0, lo: null, hi: null }, unknownUser: { excl: 0, incl: 0, lo: null, hi: null },
    unknownProcess: 0, processes: new Map(), modules: [...mods.values()],
    stacks: opts.stacks ? [] : undefined,
  };
  for (const s of samples) {
    const pid = pidOf(s.tid, s.ts);
    const pkey = pid === null ? 'unknown' : pid;
    if (!out.processes.has(pkey)) out.processes.set(pkey, { samples: 0, threads: new Set() });
    const pr = out.processes.get(pkey);
    pr.samples++;
    pr.threads.add(s.tid);
    if (pid === null) out.unknownProcess++;
    const refs = s.refs;
    if (refs.length) out.samplesWithStack++;
    const inDpcIsr = s.dpcisrFlag || (dpcisr.get(s.cpu) || []).some(([a, b]) => s.ts >= a && s.ts < b);
    const idle = pid === 0 && !inDpcIsr;
    if (idle && !opts.idleStacks) { out.idle++; continue; }
    const at = (a) => resolve(a, pid, s.ts, s.psize);
    const ipMod = at(s.ip);
    const seen = new Set([ipMod]);
    const chain = [];
    const frameOf = (a) => {
      const m = at(a);
      return typeof m === 'string' ? { module: null, offset: a } : { module: m.name, offset: a - m.base };
    };
    for (const r of refs) {
      let frames = r.frames;
      if (!frames) {
        const d = defOf(r.key, r.ts);
        if (!d) { out.keysUndefined++; continue; }
        frames = d.frames;
      }
      for (const f of frames) {
        const m = at(f);
        if (typeof m !== 'string') seen.add(m);
        if (opts.stacks) chain.push(frameOf(f));
      }
    }
    if (opts.stacks) {
      out.stacks.push({ frames: chain.length ? chain : [frameOf(s.ip)], cpu: s.cpu, pid, tid: s.tid,
        ticks: s.ts - (t0 ?? s.ts) });
    }
    if (idle) { out.idle++; continue; }
    const bump = (m, field) => {
      if (m === 'unknown-kernel') out.unknownKernel[field]++;
      else if (m === 'unknown-user') out.unknownUser[field]++;
      else m[field]++;
    };
    bump(ipMod, 'excl');
    if (typeof ipMod === 'string') {
      const u = ipMod === 'unknown-kernel' ? out.unknownKernel : out.unknownUser;
      if (u.lo === null || s.ip < u.lo) u.lo = s.ip;
      if (u.hi === null || s.ip > u.hi) u.hi = s.ip;
    }
    for (const m of seen) bump(m, 'incl');
  }
  out.stackEventsMatched = matched;
  out.stackEventsUnmatched = stackRefs.length - matched;
  return out;
}

// Exclusive/inclusive sums by lower-cased module name (the same image in several
// processes is one name).
export function byName(modules) {
  const m = new Map();
  for (const x of modules) {
    if (!x.excl && !x.incl) continue;
    const k = x.name.toLowerCase();
    const v = m.get(k) || { excl: 0, incl: 0 };
    v.excl += x.excl;
    v.incl += x.incl;
    m.set(k, v);
  }
  return m;
}
