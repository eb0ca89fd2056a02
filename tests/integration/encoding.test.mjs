// encoding.test.mjs — perfmon CSVs in the machine's ANSI code page, over HTTP and the CLI:
// a Russian Windows-1251 log (bytes made with iconv from UTF-8 text, tests/support/perfmon.mjs)
// reads as Cyrillic, its localised Processor columns give per-CPU views, and its
// Process(*)\% загруженности процессора columns give the top processes over time. The
// expected numbers are the rows written in tests/support/perfmon.mjs, averaged by hand.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, getJson, uploadAndWait, run, tempDir } from '../support/server.mjs';
import { ruHeader, ruUtf8, ruCp1251Csv } from '../support/perfmon.mjs';

const header = ruHeader;
const utf8 = ruUtf8;
const cp1251 = ruCp1251Csv();
let srv;

before(async () => { srv = await startServer(); });
after(async () => { await srv.stop(); });

test('the bytes really are Windows-1251, not UTF-8', () => {
  assert.notDeepEqual(cp1251, Buffer.from(utf8));
  assert.equal(cp1251.indexOf(Buffer.from('Процессор')), -1);
});

test('a Windows-1251 perfmon CSV reads as Cyrillic and gets per-CPU processor views', async () => {
  const up = await uploadAndWait(srv.url, cp1251, 'ru.csv');
  assert.equal(up.body.state, 'done', JSON.stringify(up.body));
  const id = up.body.run.id;
  const run = (await getJson(`${srv.url}/api/runs/${id}`)).body;
  assert.equal(run.summary.encoding, 'CP1251');
  assert.equal(run.summary.language, 'ru');
  assert.deepEqual(run.cpu_counters, [{ counter: '% Processor Time', object: 'Processor', cpus: 2 }]);
  const counters = (await getJson(`${srv.url}/api/runs/${id}/counters`)).body.counters;
  assert.equal(counters[0].path, header[1]);
  const cpu = await getJson(`${srv.url}/api/runs/${id}/cpu?counter=${encodeURIComponent('% Processor Time')}`);
  assert.equal(cpu.status, 200);
  assert.deepEqual(cpu.body.series.map((s) => s.cpu), [0, 1]);
  assert.deepEqual(cpu.body.series.map((s) => s.mean), [[10, 20, 30], [30, 40, 50]]);
});

test('the top processes over time come from Process(*)\\% Processor Time, without _Total and Idle', async () => {
  const up = await uploadAndWait(srv.url, cp1251, 'ru.csv');
  const id = up.body.run.id;
  const r = await getJson(`${srv.url}/api/runs/${id}/processes`);
  assert.equal(r.status, 200);
  assert.equal(r.body.processes, 2);
  assert.deepEqual(r.body.series.map((s) => s.instance), ['sqlservr', 'svchost']);
  assert.deepEqual(r.body.series.map((s) => s.window_mean), [100, 20]); // (150+100+50)/3, (5+15+40)/3
  assert.deepEqual(r.body.series[0].mean, [150, 100, 50]);
  assert.equal(r.body.t.length, 3);
  // within the last two seconds svchost averages 27.5 and sqlservr 75
  const from = r.body.t[1];
  const w = await getJson(`${srv.url}/api/runs/${id}/processes?top=1&from=${from}`);
  assert.deepEqual(w.body.series.map((s) => [s.instance, s.window_mean]), [['sqlservr', 75]]);
  assert.equal((await getJson(`${srv.url}/api/runs/${id}/processes?top=0`)).status, 400);
  // a run without Process columns answers an empty list
  const plain = await uploadAndWait(srv.url, Buffer.from('"(PDH-CSV 4.0) (UTC)(0)","\\\\S\\Memory\\Available MBytes"\r\n"03/01/2024 10:00:00.000","5"\r\n'), 'm.csv');
  const none = await getJson(`${srv.url}/api/runs/${plain.body.run.id}/processes`);
  assert.equal(none.status, 200);
  assert.deepEqual(none.body.series, []);
});

test('encoding= on upload names the code page; an unknown one is refused', async () => {
  const up = await uploadAndWait(srv.url, cp1251, 'ru.csv', undefined, { encoding: 'CP1251' });
  assert.equal(up.body.state, 'done');
  const run = (await getJson(`${srv.url}/api/runs/${up.body.run.id}`)).body;
  assert.equal(run.summary.encoding_detected_by, 'explicit');
  const bad = await fetch(`${srv.url}/api/uploads?file=ru.csv&encoding=no-such`, { method: 'POST', body: cp1251 });
  assert.equal(bad.status, 400);
  assert.match((await bad.json()).error, /unknown text encoding/);
  const wrong = await uploadAndWait(srv.url, cp1251, 'ru.csv', undefined, { encoding: 'UTF-8' });
  assert.equal(wrong.body.state, 'failed');
  assert.match(wrong.body.error, /not valid UTF-8/);
});

test('etlscope ingest --encoding reads the log in the named code page', () => {
  const dir = tempDir();
  try {
    const f = join(dir, 'ru.csv');
    writeFileSync(f, cp1251);
    const r = run(['ingest', '--db', join(dir, 'e.db'), '--data-dir', join(dir, 'data'), '--json', '--encoding', 'windows-1251', f]);
    assert.equal(r.status, 0, r.stderr);
    const o = JSON.parse(r.stdout);
    assert.equal(o.summary.encoding, 'windows-1251');
    assert.deepEqual(o.summary.objects, ['Процесс', 'Процессор']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a perfmon log saved as UTF-16 (typeperf redirected by PowerShell 5.1) is read through its BOM', async () => {
  const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(utf8, 'utf16le')]);
  const up = await uploadAndWait(srv.url, utf16, 'typeperf.csv');
  assert.equal(up.body.state, 'done', JSON.stringify(up.body));
  const run = (await getJson(`${srv.url}/api/runs/${up.body.run.id}`)).body;
  assert.equal(run.format, 'pdh-csv');
  assert.equal(run.summary.encoding, 'UTF-16LE');
  assert.deepEqual(run.cpu_counters, [{ counter: '% Processor Time', object: 'Processor', cpus: 2 }]);
  const counters = (await getJson(`${srv.url}/api/runs/${up.body.run.id}/counters`)).body.counters;
  assert.equal(counters[0].path, header[1]);
});
