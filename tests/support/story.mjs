// story.mjs — test helper: the demo's field story (field-before and field-after-removal,
// 15 MB traces each) uploaded once per suite, not once per test file. The first file that
// asks writes the traces with etlgen, uploads them over HTTP to its own server (the binary
// under test, so the sanitizer suites ingest them under ASan), stops it cleanly and leaves
// the server's directory in ETLSCOPE_FIXTURES (a directory scripts/test.sh makes for each
// binary under test, shared by its integration and browser suites); every file then starts
// its own server on a private copy of it (startServer's
// `from`), so its writes touch no other file's. Without ETLSCOPE_FIXTURES (one file run by
// hand) each file makes its own. fieldStoryWithUpdate() is the same two runs plus
// field-after-update (the compare and dpcisr integration files need all three): made once
// per suite too, on a copy of the first, so the two runs are not ingested again.
// Invariants: the directory appears whole (renamed from .tmp) with runs.json last written
// inside; a failed build leaves field-story.failed with the reason, so waiters stop at once.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repo, startServer, tempDir, uploadAndWait, waitFor } from './server.mjs';
import { etlgen } from './etlgen.mjs';

// The run names the uploads carry (the browser tests look for them on the page).
export const STORY_NAMES = { 'field-before': 'FS01 before', 'field-after-removal': 'FS01 after removing teaming' };

// Scenario s of demo/scenarios generated into dir, uploaded to srv as run `name`, its files
// removed again; {id, expected} (the run's id, etlgen's exact numbers).
async function uploadScenario(srv, dir, s, name) {
  const g = etlgen(dir, `demo/scenarios/${s}.json`, s);
  const up = await uploadAndWait(srv.url, g.bytes, `${s}.etl`, name);
  assert.equal(up.body.state, 'done', JSON.stringify(up.body));
  for (const f of [`${s}.etl`, `${s}.expected.json`]) rmSync(join(dir, f));
  return { id: up.body.run.id, expected: g.expected };
}

async function build(dir) {
  mkdirSync(dir, { recursive: true });
  const srv = await startServer([], { dir });
  const runs = {};
  try {
    for (const [s, name] of Object.entries(STORY_NAMES)) runs[s] = await uploadScenario(srv, dir, s, name);
  } finally {
    await srv.stop();
  }
  writeFileSync(join(dir, 'runs.json'), JSON.stringify(runs));
}

// The fixture directory NAME under ETLSCOPE_FIXTURES, made once by make(tmpDir) (which
// leaves runs.json in it last); {dir, runs}. Without ETLSCOPE_FIXTURES, a temp dir of this
// process.
async function once(name, make) {
  const root = process.env.ETLSCOPE_FIXTURES;
  if (!root) {
    const own = tempDir();
    process.on('exit', () => rmSync(own, { recursive: true, force: true }));
    await make(own);
    return { dir: own, runs: JSON.parse(readFileSync(join(own, 'runs.json'), 'utf8')) };
  }
  const dir = join(root, name), failed = join(root, `${name}.failed`);
  try {
    mkdirSync(join(root, `${name}.lock`));
  } catch (e) {
    if (e.code !== 'EEXIST') throw e;
    // Another file is uploading it: a sanitizer build on a loaded machine takes minutes.
    // A guard against a hung build, not a timing check: the builder's uploads each give up
    // after 300 s (uploadAndWait), and it writes NAME.failed then.
    await waitFor(() => existsSync(join(dir, 'runs.json')) || existsSync(failed),
      { timeout: 900000, every: 100, what: `the ${name} fixture` });
    if (existsSync(failed)) throw new Error(`${name} fixture: ${readFileSync(failed, 'utf8')}`);
    return { dir, runs: JSON.parse(readFileSync(join(dir, 'runs.json'), 'utf8')) };
  }
  const tmp = join(root, `${name}.tmp`);
  try {
    await make(tmp);
    renameSync(tmp, dir);
  } catch (e) {
    writeFileSync(failed, String(e.stack || e));
    throw e;
  }
  return { dir, runs: JSON.parse(readFileSync(join(dir, 'runs.json'), 'utf8')) };
}

let made, madeUpdate;
// {dir, runs: {[scenario]: {id, expected}}}: dir holds etlscope.db and data/ with both runs
// (never to be written: pass it as startServer's `from`).
export function fieldStory() {
  made ||= once('field-story', build);
  return made;
}

// The same with a third run, field-after-update (named by UPDATE_NAME), uploaded to a copy
// of fieldStory()'s directory.
export const UPDATE_NAME = 'FS01 after the driver update';
export function fieldStoryWithUpdate() {
  madeUpdate ||= once('field-story-update', async (dir) => {
    const base = await fieldStory();
    mkdirSync(dir, { recursive: true });
    const srv = await startServer([], { dir, from: base.dir });
    const runs = { ...base.runs };
    try {
      runs['field-after-update'] = await uploadScenario(srv, dir, 'field-after-update', UPDATE_NAME);
    } finally {
      await srv.stop();
    }
    writeFileSync(join(dir, 'runs.json'), JSON.stringify(runs));
  });
  return madeUpdate;
}

// A server of its own on a copy of the field story (with field-after-update when
// opts.update); returns {srv, runs}.
export async function startStoryServer(extraArgs = [], opts = {}) {
  const story = await (opts.update ? fieldStoryWithUpdate() : fieldStory());
  return { srv: await startServer(extraArgs, { from: story.dir }), runs: story.runs };
}

// The demo scenario s (e.g. 'field-before') cut to `seconds` (same modules, vendors and
// products; fewer events), generated into srv.dir and uploaded to srv as `file` named
// `name`: the run's id. For browser files that need the story's look, not its numbers.
export async function uploadStoryCut(srv, s, file, name, seconds = 1) {
  const story = JSON.parse(readFileSync(join(repo, 'demo', 'scenarios', `${s}.json`), 'utf8'));
  const g = etlgen(srv.dir, { ...story, duration_s: seconds }, `${s}-cut`);
  return (await uploadAndWait(srv.url, g.bytes, file, name)).body.run.id;
}
