// symbols.mjs — test helper for the symbols tests: builds the test PDB with
// tests/symbols/gen_pdb.sh (clang-cl + lld-link; a skip reason without them), reads the
// expectations gen_pdb.sh writes from llvm-pdbutil (GUID key, procedure names and RVAs), and
// serves a SymStore directory on loopback with node:http.
import http from 'node:http';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repo, getJson, waitFor } from './server.mjs';

// Builds DIR/gen; returns {gen, skip, key, procs, pdbBytes} (gen null and skip a reason when
// the tools are missing; key '' and procs [] then).
export function buildPdb(dir) {
  let gen = null;
  try {
    execFileSync(join(repo, 'tests', 'symbols', 'gen_pdb.sh'), [join(dir, 'gen')], { stdio: 'pipe' });
    gen = join(dir, 'gen');
  } catch (e) {
    if (e.status !== 77) throw e;
  }
  const expect = gen ? readFileSync(join(gen, 'expect.txt'), 'utf8').trim().split('\n').map((l) => l.split(' ')) : [];
  return {
    gen,
    skip: gen ? false : 'clang-cl / lld-link / llvm-pdbutil not installed',
    key: expect.find((r) => r[0] === 'guid')?.[1] ?? '',
    procs: expect.filter((r) => r[0] === 'proc').map(([, name, rva]) => ({ name, rva: Number(rva) })),
    pdbBytes: gen ? readFileSync(join(gen, 'etlfix.pdb')) : null,
  };
}

// The GUID part of a SymStore key (32 hex digits + age) in braces, as a trace carries it.
export const bracedGuid = (k) => `{${k.slice(0, 8)}-${k.slice(8, 12)}-${k.slice(12, 16)}-${k.slice(16, 20)}-${k.slice(20, 32)}}`;

// A symbol server on loopback: GET /AREA/NAME/KEY/FILE answers 200 with what
// serve({area, name, key, file}) returns (a Buffer), 404 when it returns nothing; area 'slow'
// never answers. Returns {url, hits (every URL asked), held, stop()}.
export async function startSymStore(serve) {
  const hits = [];
  const held = [];
  const server = http.createServer((req, res) => {
    hits.push(req.url);
    const [, area, name, key, file] = req.url.split('/');
    if (area === 'slow') { held.push(res); return; } // never answers
    const body = serve({ area, name, key, file });
    if (body) {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(body);
      return;
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    hits,
    held, // the responses of area slow, never answered
    stop() {
      for (const r of held) r.destroy();
      server.closeAllConnections();
      server.close();
    },
  };
}

// The modules of a run (GET /modules).
export const modulesOf = async (srv, run) => (await getJson(`${srv.url}/api/runs/${run}/modules`)).body.modules;

// The module named name once its symbols are no longer pending (the symbol job runs after
// the ingest job is done: this polls, never sleeps).
export async function settled(srv, run, name) {
  return waitFor(async () => {
    const m = (await modulesOf(srv, run)).find((x) => x.name === name);
    return m.symbols.status !== 'pending' && m;
  }, { what: `${name} symbols` });
}
