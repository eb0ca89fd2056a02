// etlgen.mjs — test helper: write an .etl trace from an etlgen scenario (file or object)
// with the built etlgen tool; returns the trace bytes and the generator's expectations.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { binary, repo } from './server.mjs';

export const etlgenBin = process.env.ETLGEN_BIN || join(dirname(binary), '..', 'tests', 'etlgen', 'etlgen');

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
