// story.mjs — test helper: the demo's field story (field-before and field-after-removal,
// 15 MB traces each) uploaded once per suite, not once per test file. The first file that
// asks writes the traces with etlgen, uploads them over HTTP to its own server (the binary
// under test, so the sanitizer suites ingest them under ASan), stops it cleanly and leaves
// the server's directory in ETLSCOPE_FIXTURES (a directory scripts/test.sh makes for each
// suite); every file then starts its own server on a private copy of it (startServer's
// `from`), so its writes touch no other file's. Without ETLSCOPE_FIXTURES (one file run by
// hand) each file makes its own.
// Invariants: the directory appears whole (renamed from .tmp) with runs.json last written
// inside; a failed build leaves field-story.failed with the reason, so waiters stop at once.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, tempDir, uploadAndWait, waitFor } from './server.mjs';
import { etlgen } from './etlgen.mjs';

// The run names the uploads carry (the browser tests look for them on the page).
export const STORY_NAMES = { 'field-before': 'FS01 before', 'field-after-removal': 'FS01 after removing teaming' };

async function build(dir) {
  mkdirSync(dir, { recursive: true });
  const srv = await startServer([], { dir });
  const runs = {};
  try {
    for (const [s, name] of Object.entries(STORY_NAMES)) {
      const g = etlgen(dir, `demo/scenarios/${s}.json`, s);
      const up = await uploadAndWait(srv.url, g.bytes, `${s}.etl`, name);
      assert.equal(up.body.state, 'done', JSON.stringify(up.body));
      runs[s] = { id: up.body.run.id, expected: g.expected };
      for (const f of [`${s}.etl`, `${s}.expected.json`]) rmSync(join(dir, f));
    }
  } finally {
    await srv.stop();
  }
  writeFileSync(join(dir, 'runs.json'), JSON.stringify(runs));
  return { dir, runs };
}

let made;
// {dir, runs: {[scenario]: {id, expected}}}: dir holds etlscope.db and data/ with both runs
// (never to be written: pass it as startServer's `from`).
export function fieldStory() {
  made ||= (async () => {
    const root = process.env.ETLSCOPE_FIXTURES;
    if (!root) {
      const own = tempDir();
      process.on('exit', () => rmSync(own, { recursive: true, force: true }));
      return build(own);
    }
    const dir = join(root, 'field-story'), failed = join(root, 'field-story.failed');
    try {
      mkdirSync(join(root, 'field-story.lock'));
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      // Another file is uploading it: a sanitizer build on a loaded machine takes minutes.
      // A guard against a hung build, not a timing check: the builder's two uploads each
      // give up after 300 s (uploadAndWait), and it writes field-story.failed then.
      await waitFor(() => existsSync(join(dir, 'runs.json')) || existsSync(failed),
        { timeout: 900000, every: 100, what: 'the field story fixture' });
      if (existsSync(failed)) throw new Error(`field story fixture: ${readFileSync(failed, 'utf8')}`);
      return { dir, runs: JSON.parse(readFileSync(join(dir, 'runs.json'), 'utf8')) };
    }
    const tmp = join(root, 'field-story.tmp');
    try {
      await build(tmp);
      renameSync(tmp, dir);
    } catch (e) {
      writeFileSync(failed, String(e.stack || e));
      throw e;
    }
    return { dir, runs: JSON.parse(readFileSync(join(dir, 'runs.json'), 'utf8')) };
  })();
  return made;
}

// A server of its own on a copy of the field story; returns {srv, runs}.
export async function startStoryServer(extraArgs = []) {
  const story = await fieldStory();
  return { srv: await startServer(extraArgs, { from: story.dir }), runs: story.runs };
}
