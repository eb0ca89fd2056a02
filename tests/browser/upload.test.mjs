// upload.test.mjs — the start page's upload in headless Chromium: the access-token field
// only where the server asks for one, dropping several files uploads every one (each with
// its own row), the edit link shown once after upload (token in the fragment, taken out of
// the address bar), and the token checked before "delete this run?" is asked.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, getJson, uploadAndWait } from '../support/server.mjs';
import { launch, openPage, uploadThroughPage } from '../support/browser.mjs';
import { perCpuCsv } from '../support/perfmon.mjs';

const ACCESS = 'access-token-for-tests-0123456789';
let srv, browser;
before(async () => { srv = await startServer(); browser = await launch(); });
after(async () => { await browser.close(); await srv.stop(); });

const patch = (id, token) => fetch(`${srv.url}/api/runs/${id}`, {
  method: 'PATCH', headers: { 'Content-Type': 'application/json', 'X-Edit-Token': token }, body: '{}',
}).then((r) => r.status);

for (const [args, shown] of [[[], false], [['--auth-token', ACCESS], true]]) {
  test(`the access-token field is ${shown ? 'shown' : 'hidden'} when the server ${shown ? 'needs' : 'needs no'} token`, async () => {
    const s = args.length ? await startServer(args) : srv;
    const page = await openPage(browser);
    await page.goto(s.url + '/');
    await page.waitForFunction(() => document.querySelector('#runs:not([hidden]), #runs-empty:not([hidden])'));
    // /api/health has answered once the field is shown; when hidden, wait for that answer.
    await page.evaluate(() => fetch('/api/health').then((r) => r.json()));
    if (shown) await page.waitForSelector('#access-token', { state: 'visible' });
    assert.equal(await page.isVisible('#access-row'), shown);
    assert.equal(await page.isVisible('#access-token'), shown);
    assert.deepEqual(page.problems, []);
    await page.context().close();
    if (s !== srv) await s.stop();
  });
}

test('dropping three files uploads all three, each with its own row, progress and edit link; an empty one says why not', async () => {
  const names = ['one.csv', 'two.csv', 'three.csv', 'empty.csv'];
  const texts = names.map((n, i) => (i < 3 ? perCpuCsv({ cpus: 2 + i, seconds: 10 + i }) : ''));
  const before = (await getJson(`${srv.url}/api/runs`)).body.runs.length;
  const page = await openPage(browser, { permissions: ['clipboard-read', 'clipboard-write'] });
  await page.goto(srv.url + '/');
  await page.fill('#run-name', 'batch');
  await page.evaluate(({ names, texts }) => {
    const dt = new DataTransfer();
    names.forEach((n, i) => dt.items.add(new File([texts[i]], n, { type: 'text/csv' })));
    document.getElementById('drop').dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, { names, texts });
  await page.waitForFunction(() => document.querySelectorAll('#uploads .upload-result:not([hidden])').length === 3, null, { timeout: 30000 });
  const rows = await page.$$eval('#uploads li', (lis) => lis.map((li) => ({
    text: li.querySelector('.progress-label').textContent,
    bars: li.querySelectorAll('progress').length,
    href: li.querySelector('.upload-result a') && li.querySelector('.upload-result a').getAttribute('href'),
  })));
  assert.equal(rows.length, 4);
  assert.equal(rows[3].text, 'empty.csv — not uploaded: the file is empty');
  assert.equal(rows[3].href, null);
  const runs = (await getJson(`${srv.url}/api/runs`)).body.runs;
  assert.equal(runs.length, before + 3);
  for (let i = 0; i < 3; i++) {
    assert.ok(rows[i].text.startsWith(names[i]), rows[i].text);
    assert.equal(rows[i].bars, 1, 'each file has its own progress bar');
    const id = rows[i].href.split('/').pop();
    const run = runs.find((r) => r.id === id);
    assert.ok(run, `row ${i} links to a stored run`);
    assert.equal(run.file_name, names[i]);
    assert.equal(run.name, `batch — ${names[i]}`);
    assert.equal(run.cpus, 2 + i);
  }
  // The second row's edit link carries that run's token: it authorises a change.
  await page.click('#uploads li:nth-child(2) .copy-edit');
  await page.waitForFunction(() => document.querySelector('#uploads li:nth-child(2) [role=status]').textContent !== '');
  const link = new URL(await page.evaluate(() => navigator.clipboard.readText()));
  assert.equal(link.pathname, rows[1].href);
  const m = link.hash.match(/^#edit=([0-9a-f]{32})$/);
  assert.ok(m, link.hash);
  assert.equal(await patch(rows[1].href.split('/').pop(), m[1]), 200);
  assert.equal(await patch(rows[0].href.split('/').pop(), m[1]), 403, 'one run\'s token edits only that run');
  assert.equal(page.url(), `${srv.url}/`, 'several files: the page stays on the list');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('after a single upload the run page offers its edit link once, and the token leaves the address bar', async () => {
  const file = join(srv.dir, 'single.csv');
  writeFileSync(file, perCpuCsv({ cpus: 2, seconds: 20 }));
  const { page, id } = await uploadThroughPage(browser, srv.url, file);
  await page.waitForSelector('#edit-link-note', { state: 'visible' });
  assert.equal(await page.evaluate(() => location.hash), '');
  await page.click('#copy-edit-link');
  await page.waitForFunction(() => document.getElementById('copy-edit-done').textContent !== '');
  const link = new URL(await page.evaluate(() => navigator.clipboard.readText()));
  assert.equal(link.pathname, `/runs/${id}`);
  const token = link.hash.slice('#edit='.length);
  assert.equal(await patch(id, token), 200);
  assert.equal(await patch(id, '0'.repeat(32)), 403);
  // Reloading does not show it again.
  await page.reload();
  await page.waitForFunction(() => document.getElementById('run-name').textContent !== '…');
  assert.equal(await page.isVisible('#edit-link-note'), false);
  assert.deepEqual(page.problems, []);
  await page.context().close();

  // The link opened in another browser: the token is kept there and the address is cleaned.
  const other = await openPage(browser);
  await other.goto(link.href);
  await other.waitForFunction(() => document.getElementById('edit-token').value !== '');
  assert.equal(await other.inputValue('#edit-token'), token);
  assert.equal(new URL(other.url()).pathname, `/runs/${id}`);
  assert.ok(!other.url().includes('#') && !other.url().includes(token), other.url());
  assert.equal(await other.evaluate((k) => localStorage.getItem(k), `etlscope:edit:${id}`), token);
  assert.equal(await other.isVisible('#edit-link-note'), true);
  await other.context().close();
});

test('a wrong edit token is reported before "delete this run?" is asked, and nothing is deleted', async () => {
  const up = await uploadAndWait(srv.url, Buffer.from(perCpuCsv({ cpus: 2, seconds: 10 })), 'keep.csv', 'keep me');
  const id = up.body.run.id;
  const page = await openPage(browser);
  await page.goto(`${srv.url}/runs/${id}`);
  await page.waitForFunction(() => document.getElementById('run-name').textContent === 'keep me');
  await page.evaluate(() => { window.asked = 0; window.confirm = () => { window.asked++; return true; }; });
  await page.click('#edit summary');
  for (const token of ['', 'f'.repeat(32)]) {
    await page.fill('#edit-token', token);
    await page.evaluate(() => { document.getElementById('edit-status').textContent = ''; });
    await page.click('#delete-run');
    await page.waitForFunction(() => document.getElementById('edit-status').textContent !== '');
    assert.match(await page.textContent('#edit-status'), /edit token/);
    assert.equal(await page.evaluate(() => window.asked), 0, `no confirm for token "${token}"`);
  }
  assert.equal((await getJson(`${srv.url}/api/runs/${id}`)).status, 200);
  // The right token: now the question is asked, and the run goes.
  await page.fill('#edit-token', up.body.run.edit_token);
  await page.click('#delete-run');
  await page.waitForURL(`${srv.url}/`);
  assert.equal((await getJson(`${srv.url}/api/runs/${id}`)).status, 404);
  await page.context().close();
});

test('a file over the server\'s upload limit is not sent, and its row says why', async () => {
  const small = await startServer(['--max-upload', '1K']);
  const page = await openPage(browser);
  await page.goto(small.url + '/');
  await page.evaluate(() => {
    const dt = new DataTransfer();
    dt.items.add(new File(['x'.repeat(2048)], 'big.csv'));
    document.getElementById('drop').dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  });
  await page.waitForFunction(() => document.querySelector('#uploads li.failed'));
  assert.equal(await page.textContent('#uploads li .progress-label'), 'big.csv — not uploaded: larger than this server\'s upload limit (1.0 KB)');
  assert.equal((await getJson(`${small.url}/api/runs`)).body.runs.length, 0);
  assert.deepEqual(page.problems, []);
  await page.context().close();
  await small.stop();
});
