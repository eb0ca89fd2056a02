// stacks_tags.test.mjs — GET/POST /api/runs/{id}/stacks/tags: samples by stack tag. An
// etlgen scenario whose stacks exercise the WPA rule (highest priority, then the frame
// nearest the leaf): per tag the exact sample counts of the scenario's modules, worked out
// by hand from the tag files (our default set, a tag file written here, and the reference
// file from ../shared/research/stacktags).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, uploadDone, getJson, shared } from '../support/server.mjs';
import { generate } from '../support/etlgen.mjs';

let srv, id, n, total;
before(async () => {
  srv = await startServer();
  const mod = (name, base, size, samples) => ({ name, path: `\\SystemRoot\\System32\\drivers\\${name}`, base, size, samples });
  const sc = { cpus: 2, pointer_size: 8, compressed: false, buffer_size: 65536, duration_s: 1, seed: 7,
    sample_rate_hz: 1000, process_pid: 4321, modules: [
      mod('ntoskrnl.exe', '0xfffff80070600000', 8388608, { weight: 1 }),
      // under tcpip.sys (Network\TCP/IP, priority 0): the TDI filter (priority 100)
      mod('idmtdi.sys', '0xfffff80073000000', 65536, { weight: 4, stack: ['tcpip.sys', 'ntoskrnl.exe'] }),
      // NDIS below TCP/IP, both priority 0: the frame nearer the leaf wins
      mod('ndis.sys', '0xfffff80072a00000', 1572864, { weight: 2, stack: ['tcpip.sys', 'ntoskrnl.exe'] }),
      // TCP/IP at the leaf under the EDR module: the EDR's priority (100) wins
      mod('tcpip.sys', '0xfffff80072000000', 2097152, { weight: 2, stack: ['tedrdrv.sys', 'ntoskrnl.exe'] }),
      mod('tedrdrv.sys', '0xfffff80074000000', 262144),
      mod('SophosED.sys', '0xfffff80075000000', 262144, { weight: 1, stack: ['ntoskrnl.exe'] }),
    ] };
  const g = generate(srv.dir, 'tags', sc, false);
  n = Object.fromEntries(g.expected.modules.map((m) => [m.name, m.samples_ip]));
  total = g.expected.samples;
  id = (await uploadDone(srv.url, readFileSync(g.path), 'tags.etl')).id;
});
after(async () => { await srv.stop(); });

const counts = (d) => Object.fromEntries(d.tags.map((t) => [t.tag, t.samples]));

test('default tag set: exact samples per tag, priority over depth, depth among equals', async () => {
  const r = await getJson(`${srv.url}/api/runs/${id}/stacks/tags`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const d = r.body;
  assert.equal(d.set, 'default');
  assert.equal(d.total, total);
  assert.deepEqual(counts(d), {
    'Network filters\\Tonec IDM TDI filter': n['idmtdi.sys'],
    'Network\\NDIS': n['ndis.sys'],
    'Antivirus and EDR\\Palo Alto Networks Cortex XDR': n['tcpip.sys'],
    'Antivirus and EDR\\Sophos': n['SophosED.sys'],
    null: n['ntoskrnl.exe'],
  });
  assert.equal(d.untagged, n['ntoskrnl.exe']);
  assert.equal(d.tags.at(-1).tag, null); // untagged last, the rest most samples first
  const tagged = d.tags.slice(0, -1).map((t) => t.samples);
  assert.deepEqual(tagged, [...tagged].sort((a, b) => b - a));
  for (const t of d.tags) {
    assert.ok(Math.abs(t.share - t.samples / total) < 1e-12);
    assert.deepEqual(t.processes, [{ pid: 4321, name: t.processes[0].name, samples: t.samples }]);
  }
  // the filter applies: one CPU, or only stacks through tcpip.sys
  const one = (await getJson(`${srv.url}/api/runs/${id}/stacks/tags?module=tcpip.sys`)).body;
  assert.equal(one.total, n['idmtdi.sys'] + n['ndis.sys'] + n['tcpip.sys']);
  assert.equal(one.untagged, 0);
});

// tag= in the shared filter: the samples whose stack has that tag (default set) or one under
// it, or "(untagged)" — on the tree, the butterfly and the tag breakdown itself.
test('tag= filter: exact samples per tag on the tree, butterfly and tags endpoints', async () => {
  const tree = async (q) => {
    const r = await getJson(`${srv.url}/api/runs/${id}/stacks/tree?group=module&min_share=0&${q}`);
    assert.equal(r.status, 200, `${q}: ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const cases = [
    ['tag=Network%20filters%5CTonec%20IDM%20TDI%20filter', n['idmtdi.sys']],
    ['tag=network%20filters', n['idmtdi.sys']], // a parent tag, any case
    ['tag=Network%5CNDIS', n['ndis.sys']],
    ['tag=Antivirus%20and%20EDR', n['tcpip.sys'] + n['SophosED.sys']],
    ['tag=(untagged)', n['ntoskrnl.exe']],
    ['tag=Network%5CNDIS&tag=(untagged)', n['ndis.sys'] + n['ntoskrnl.exe']],
  ];
  for (const [q, want] of cases) {
    const t = await tree(q);
    assert.equal(t.total, want, q);
    // the same through the per-slice counts, and the inverted tree's leaves
    assert.equal((await tree(`${q}&cpus=0-1`)).total, want, `${q} per-slice`);
    assert.equal((await tree(`${q}&invert=1`)).root.value, want, `${q} inverted`);
  }
  // the TDI filter's tree is exactly its stacks: ntoskrnl.exe → tcpip.sys → idmtdi.sys
  const shape = (x) => [x.name, x.value, x.children.map(shape)];
  const idm = n['idmtdi.sys'];
  assert.deepEqual(shape((await tree(cases[0][0])).root),
    ['all', idm, [['ntoskrnl.exe', idm, [['tcpip.sys', idm, [['idmtdi.sys', idm, []]]]]]]]);
  // butterfly of tcpip.sys among the EDR-tagged samples: called by tedrdrv.sys only
  const b = (await getJson(`${srv.url}/api/runs/${id}/stacks/butterfly?module=tcpip.sys&tag=Antivirus%20and%20EDR`)).body;
  assert.deepEqual([b.total, b.inclusive, b.exclusive, b.callers], [n['tcpip.sys'] + n['SophosED.sys'],
    n['tcpip.sys'], n['tcpip.sys'], [{ name: 'tedrdrv.sys', value: n['tcpip.sys'] }]]);
  // the tag breakdown under its own filter: one tag
  const d = (await getJson(`${srv.url}/api/runs/${id}/stacks/tags?tag=Network%5CNDIS`)).body;
  assert.deepEqual(counts(d), { 'Network\\NDIS': n['ndis.sys'] });
  // an unknown tag, an empty one: 400 with a message
  for (const q of ['tag=No%20such%20tag', 'tag=', 'tag=Network%5CND']) {
    const r = await getJson(`${srv.url}/api/runs/${id}/stacks/tree?${q}`);
    assert.equal(r.status, 400, q);
    assert.match(r.body.error, /tag/);
  }
});

// tag= on a module tree of a run without symbols is answered from the stored module-tree
// counts (whole run, a window's slices, one CPU/process filter, with module=): the same
// exact samples per tag, and no walk over the stacks (no kept-stacks hit, /api/health).
test('tag= on module trees: exact samples from the stored counts, no walk', async () => {
  const run = (await getJson(`${srv.url}/api/runs/${id}`)).body;
  const all = `from=${run.start}&to=${run.start + 2000}`; // the whole trace as a window
  const kept = async () => {
    for (;;) { // the upload's warm over first (it loads, it does not count hits)
      const h = (await getJson(`${srv.url}/api/health`)).body.stack_nodes;
      if (!h.warm.busy) return h.hits;
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const cases = [ // [selection, expected samples]
    ['tag=Network%20filters', n['idmtdi.sys']],
    [`tag=Network%5CNDIS&${all}`, n['ndis.sys']],
    ['tag=Antivirus%20and%20EDR&cpus=0-1', n['tcpip.sys'] + n['SophosED.sys']],
    [`tag=(untagged)&pid=4321&${all}`, n['ntoskrnl.exe']],
    ['tag=Antivirus%20and%20EDR&module=tedrdrv.sys', n['tcpip.sys']],
    [`tag=Network%5CNDIS&tag=(untagged)&cpus=0-1&${all}`, n['ndis.sys'] + n['ntoskrnl.exe']],
  ];
  const h0 = await kept();
  for (const [q, want] of cases)
    for (const inv of ['', '&invert=1']) {
      const r = await getJson(`${srv.url}/api/runs/${id}/stacks/tree?group=module&min_share=0&${q}${inv}`);
      assert.equal(r.status, 200, q);
      assert.equal(r.body.total, want, q + inv);
      assert.equal(r.body.root.value, want, q + inv);
    }
  assert.equal(await kept(), h0, 'a tag filter on a module tree walked the stacks');
});

const post = (xml, q = '') => fetch(`${srv.url}/api/runs/${id}/stacks/tags${q}`, { method: 'POST', body: xml })
  .then(async (r) => ({ status: r.status, body: await r.json() }));

test('an uploaded tag file: its own tags; Method patterns need function names', async () => {
  const xml = `<?xml version="1.0"?>
<Tag Name="">
  <Tag Name="Kernel"><Entrypoint Module="ntoskrnl.exe" Method="*"/></Tag>
  <Tag Name="Net" Priority="1">
    <Tag Name="Filters" Priority="1"><Entrypoint Module="idm*.sys" Method="*"/></Tag>
    <Tag Name="Firewall" Priority="9"><Entrypoint Module="tcpip.sys" Method="Wfp*"/></Tag>
  </Tag>
</Tag>`;
  const r = await post(xml);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.set, 'uploaded');
  assert.equal(r.body.rules, 3);
  assert.equal(r.body.rules_needing_functions, 1);
  // every stack starts at ntoskrnl.exe: Kernel unless a deeper or higher tag matches; the
  // frames have no function names yet, so "Firewall" matches nothing
  assert.deepEqual(counts(r.body), { 'Net\\Filters': n['idmtdi.sys'], Kernel: total - n['idmtdi.sys'] });
  assert.equal(r.body.untagged, 0);
  for (const [bad, why] of [['<nope/>', /root element/], ['<Tag', /line 1/], ['x'.repeat(1024 * 1024 + 1), /1 MiB|larger/]]) {
    const b = await post(bad);
    assert.ok(b.status === 400 || b.status === 413, `${b.status}`);
    assert.match(b.body.error, why);
  }
  const cross = await fetch(`${srv.url}/api/runs/${id}/stacks/tags`, { method: 'POST', body: xml, headers: { Origin: 'http://evil.example' } });
  assert.equal(cross.status, 403);
});

const reference = join(shared, 'research', 'stacktags', 'etwanalyzer-default.stacktags');
test('the reference file (ETWAnalyzer, MIT) loads; its module-only rules tag without symbols', { skip: !existsSync(reference) }, async () => {
  const xml = readFileSync(reference, 'utf8');
  const r = await post(xml);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.rules, (xml.match(/<Entrypoint/g) || []).length);
  assert.equal(r.body.hint_tags_ignored, (xml.match(/<HintTag/g) || []).length);
  // of our modules SophosED.sys and tedrdrv.sys have Method="*" rules there (tedrdrv.sys is
  // on the stacks of the tcpip.sys samples)
  const edr = 'Antivirus - Palo Alto Endpoint Protection\\Intercepts CreateProcess/LoadLibrary/WriteFile which can induce large delays\\Cortex XDR tedrdrv.sys';
  assert.deepEqual(counts(r.body), { 'Antivirus - Sophos\\Driver SophosED.sys': n['SophosED.sys'], [edr]: n['tcpip.sys'],
    null: total - n['SophosED.sys'] - n['tcpip.sys'] });
});
