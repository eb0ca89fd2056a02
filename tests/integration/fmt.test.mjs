// fmt.test.mjs — the pages' one number formatter (web/common.js `fmt`), loaded as the
// browser loads it, against texts written out by hand: the rules docs/findings.md states
// and the findings' C sentences follow (findings/find_core.c).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import vm from 'node:vm';
import { repo } from '../support/server.mjs';

const ctx = vm.createContext({});
vm.runInContext(`${readFileSync(join(repo, 'web', 'common.js'), 'utf8')}\n;globalThis.fmt = fmt;`, ctx);
const { fmt } = ctx;

const cases = [
  // [function, input, text]
  ['seconds', 0.9999933333333333, '1.0 s'],
  ['seconds', 2.4, '2.4 s'],
  ['seconds', 0, '0 s'],
  ['ms', 0, '0 ms'],
  ['us', 0, '0 µs'],
  ['seconds', 45.2, '45 s'],
  ['seconds', 150, '2 min 30 s'],
  ['seconds', 7260, '2 h 1 min'],
  ['us', 220, '220 µs'],
  ['us', 2.46, '2.5 µs'],
  ['us', 999.96, '1.0 ms'],
  ['us', 682.4, '682 µs'],
  ['us', 12000, '12 ms'],
  ['ms', 35859.5874, '36 s'],
  ['ms', 1.5, '1.5 ms'],
  ['pct', 92, '92.0 %'],
  ['pct', 0.05, '0.05 %'],
  ['pct', 0, '0 %'],
  ['percent', 0.9, '90.0 %'],
  ['percent', 0.224908, '22.5 %'],
  ['count', 163217, '163,217'],
  ['count', 0, '0'],
  ['number', 1234.5678, '1,235'],
  ['number', 3.14159, '3.14'],
  ['number', 42.25, '42.3'],
  ['bytes', 1536, '1.5 KB'],
];

test('every formatter gives the text written here by hand', () => {
  for (const [f, v, want] of cases) assert.equal(fmt[f](v), want, `fmt.${f}(${v})`);
});

test('missing values are a dash, never NaN or "undefined"', () => {
  for (const f of ['seconds', 'us', 'ms', 'pct', 'percent', 'count', 'number', 'bytes']) {
    for (const v of [null, undefined, NaN, Infinity]) assert.equal(fmt[f](v), '—', `fmt.${f}(${v})`);
  }
});

test('signed changes carry their sign and the formatter\'s unit', () => {
  assert.equal(fmt.signed(1500, fmt.ms), '+1.5 s');
  assert.equal(fmt.signed(-3.2, fmt.ms), '−3.2 ms');
  assert.equal(fmt.signed(0, fmt.count), '0');
});
