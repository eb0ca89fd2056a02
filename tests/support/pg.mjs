// A real PostgreSQL for tests (docs/team.md): Debian's binaries (/usr/lib/postgresql/<ver>/bin,
// or PG_BIN), a cluster made by initdb in a temp directory, started by pg_ctl on a free
// loopback port with its socket in that directory, trust authentication for one test role,
// stopped (immediate) and removed by stop(). Runs as the current user; as root (initdb
// refuses root) the binaries run as the `postgres` user the Debian package creates.
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// (not server.mjs's tempDir: importing server.mjs turns fetch's keep-alive off, and
// bench/load.mjs --compare-servers, which imports this file, measures with keep-alive)

// The directory holding initdb, pg_ctl and psql, or null when PostgreSQL is not installed.
export function pgBinDir() {
  if (process.env.PG_BIN) return existsSync(join(process.env.PG_BIN, 'initdb')) ? process.env.PG_BIN : null;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
  for (const v of versions) {
    const bin = join(root, v, 'bin');
    if (existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'pg_ctl'))) return bin;
  }
  return null;
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

function userIds(name) {
  const line = execFileSync('getent', ['passwd', name], { encoding: 'utf8' }).trim().split(':');
  return { uid: Number(line[2]), gid: Number(line[3]) };
}

export async function startPostgres() {
  const bin = pgBinDir();
  if (!bin) throw new Error('PostgreSQL binaries not found (install postgresql)');
  const dir = mkdtempSync(join(tmpdir(), 'etlscope-pg-'));
  const data = join(dir, 'data');
  const asRoot = process.getuid && process.getuid() === 0;
  if (asRoot) { // the cluster's files belong to postgres; the test reads nothing in them
    const { uid, gid } = userIds('postgres');
    chownSync(dir, uid, gid);
    chmodSync(dir, 0o700);
  }
  const pg = (tool, args, opts = {}) => {
    const cmd = join(bin, tool);
    return asRoot
      ? execFileSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { encoding: 'utf8', ...opts })
      : execFileSync(cmd, args, { encoding: 'utf8', ...opts });
  };
  pg('initdb', ['-D', data, '-U', 'etlscope', '--auth=trust', '-E', 'UTF8', '--no-sync', '--locale=C'], { stdio: 'pipe' });
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
  pg('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'log'), '-w', '-t', '60', 'start'], { stdio: 'pipe' });
  pg('createdb', ['-h', '127.0.0.1', '-p', String(port), '-U', 'etlscope', 'etlscope'], { stdio: 'pipe' });
  const url = `postgresql://etlscope@127.0.0.1:${port}/etlscope`;
  return {
    url, port, dir,
    // One SQL statement through psql; its rows as text (fields separated by '|').
    sql(q) {
      return pg('psql', ['-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-p', String(port), '-U', 'etlscope', '-d', 'etlscope', '-c', q], { stdio: ['ignore', 'pipe', 'pipe'] }).trim();
    },
    stop() {
      try { pg('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop'], { stdio: 'pipe' }); } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
