/**
 * End to end in a real browser (Debian's Chromium driven by playwright-core), against a
 * running agent and a real Orthanc on loopback:
 * - Remote AEs page: query Orthanc (C-FIND), retrieve a study with C-MOVE and a series
 *   with C-GET, watch the job page reach "done", and see the instances in our index.
 * - Queue page: a forward to Orthanc dies while Orthanc is down ([Forward] maxAttempts = 1);
 *   after Orthanc restarts, Retry in the page sends the instances and Orthanc has them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { ADMIN, startWebAgent, storeStudy, type WebAgent } from '../helpers/web';
import { runDcmtk, startOrthanc, type Orthanc } from '../helpers/peers';
import { makeStudy, type Study } from '../helpers/dicom-files';
import { freePort } from '../helpers/ports';
import { onCleanup, tmpDir, type AfterContext } from '../helpers/tmp';

const CHROMIUM = '/usr/bin/chromium';
const skip = !existsSync(CHROMIUM) && 'chromium not installed (scripts/install-test-deps)';

/** A fresh profile folder per test (launchPersistentContext passes it as --user-data-dir). */
async function launch(t: AfterContext): Promise<BrowserContext> {
  const profile = await tmpDir('chromium-', t);
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
  onCleanup(() => browser.close(), { t });
  return browser;
}

async function logIn(browser: BrowserContext, a: WebAgent): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(`${a.base}/`);
  await page.fill('#user', ADMIN.name);
  await page.fill('#password', ADMIN.password);
  await Promise.all([page.waitForURL(`${a.base}/`), page.click('#login')]);
  return page;
}

/** Polls `probe` until it returns true; fails with `what` after the bound. */
async function eventually(what: string, probe: () => Promise<boolean> | boolean, timeoutMs = 60000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function orthancSops(o: Orthanc): Promise<string[]> {
  const found = await o.rest('/tools/find', { method: 'POST', body: { Level: 'Instance', Query: {}, Expand: true } }) as { MainDicomTags: { SOPInstanceUID: string } }[];
  return found.map((i) => i.MainDicomTags.SOPInstanceUID).sort();
}

function indexedSops(a: WebAgent, study: Study): string[] {
  return study.files.map((f) => f.sopInstanceUid).filter((uid) => a.agent.index.getInstance(uid)).sort();
}

const sopsOf = (s: Study): string[] => s.files.map((f) => f.sopInstanceUid).sort();

/** Sends a study to Orthanc with storescu (Orthanc accepts any caller). */
async function storeInOrthanc(o: Orthanc, t: AfterContext, opts: Parameters<typeof makeStudy>[1]): Promise<Study> {
  const dir = await tmpDir('orthanc-study-', t);
  const study = await makeStudy(dir, opts);
  const r = await runDcmtk('storescu', ['-aet', 'MODALITY', '-aec', 'ORTHANC', '+sd', '127.0.0.1', String(o.dicomPort), dir]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  return study;
}

/** Waits for the retrieval job page to leave "running"; returns its counters. */
async function jobOutcome(page: Page): Promise<{ state: string; completed: string; failed: string; result: string }> {
  await page.waitForFunction(`document.getElementById('state').textContent !== 'running'`, undefined, { timeout: 60000 });
  const text = (id: string) => page.locator(`#${id}`).innerText();
  return { state: await text('state'), completed: await text('completed'), failed: await text('failed'), result: await text('result') };
}

test('browser: query Orthanc on the Remote AEs page, retrieve a study (C-MOVE) and a series (C-GET), see them arrive', { skip }, async (t) => {
  // Orthanc's DICOM port is chosen first: the agent's [RemoteAE] names it, and Orthanc's
  // DicomModalities must name the agent (the C-MOVE destination EDGE).
  // Another remote, listed first (nothing listens there): the page must keep the chosen one.
  const orthancPort = await freePort();
  const nobody = await freePort();
  const a = await startWebAgent(t, {
    tail: `[RemoteAE]\nuserName = other\naetitle = OTHER\nip = 127.0.0.1\nport = ${nobody}\n\n[RemoteAE]\nuserName = pacs\naetitle = ORTHANC\nip = 127.0.0.1\nport = ${orthancPort}\n`,
  });
  const orthanc = await startOrthanc({ t, aet: 'ORTHANC', dicomPort: orthancPort, modalities: { edge: ['EDGE', '127.0.0.1', a.port] } });
  const moved = await storeInOrthanc(orthanc, t, { count: 4, series: 2, modality: 'CT', patientName: 'REMOTE^ROSA', patientId: 'R-1', rows: 32, cols: 32 });
  const got = await storeInOrthanc(orthanc, t, { count: 3, series: 2, modality: 'MR', patientName: 'REMOTE^GUS', patientId: 'R-2', rows: 32, cols: 32 });
  assert.equal(a.agent.index.countInstances(), 0);

  const page = await logIn(await launch(t), a);
  await page.goto(`${a.base}/remote`);
  assert.equal(await page.locator('#remote').inputValue(), 'other');
  await page.selectOption('#remote', 'pacs');
  await page.fill('input[name=PatientName]', 'remote');
  await Promise.all([page.waitForURL(/\/remote\/find$/), page.click('#find')]);
  const rows = page.locator('#remote-results tr:has(button.move)');
  assert.equal(await rows.count(), 2, await page.content());
  const rosa = rows.filter({ hasText: 'R-1' });
  assert.match(await rosa.innerText(), /REMOTE, ROSA/);
  assert.match(await rosa.innerText(), /\b4\b/, 'NumberOfStudyRelatedInstances');

  // C-MOVE of the study: Orthanc sends it to EDGE; the job page polls until done.
  await Promise.all([page.waitForURL(/\/remote\/job\/[0-9a-f]+$/), rosa.locator('button.move').click()]);
  const m = await jobOutcome(page);
  assert.deepEqual([m.state, m.completed, m.failed], ['done', '4', '0'], JSON.stringify(m));
  assert.match(m.result, /status 0x0000/);
  assert.deepEqual(indexedSops(a, moved), sopsOf(moved), 'every moved instance is in our index');
  assert.equal(a.agent.index.countInstances(), 4);

  // C-GET of one series of the other study, chosen through its series list.
  await page.goto(`${a.base}/remote`);
  await page.selectOption('#remote', 'pacs');
  await page.fill('input[name=PatientID]', 'R-2');
  await Promise.all([page.waitForURL(/\/remote\/find$/), page.click('#find')]);
  assert.equal(await page.locator('#remote').inputValue(), 'pacs', 'the results page keeps the queried remote');
  await Promise.all([page.waitForURL(/\/remote\?.*study=/), page.click('#remote-results a:has-text("series")')]);
  assert.equal(await page.locator('#remote').inputValue(), 'pacs', 'the series link keeps the remote');
  await Promise.all([page.waitForURL(/\/remote\/find$/), page.click('#find')]);
  const seriesUid = got.seriesUids[0];
  const want = got.files.filter((f) => f.seriesUid === seriesUid).map((f) => f.sopInstanceUid).sort();
  const seriesRows = page.locator('#remote-results tr:has(button.get)');
  assert.equal(await seriesRows.count(), 2, await page.content());
  const row = seriesRows.filter({ has: page.locator(`input[name=series][value="${seriesUid}"]`) });
  await Promise.all([page.waitForURL(/\/remote\/job\/[0-9a-f]+$/), row.locator('button.get').click()]);
  const g = await jobOutcome(page);
  assert.deepEqual([g.state, g.completed, g.failed], ['done', String(want.length), '0'], JSON.stringify(g));
  assert.deepEqual(indexedSops(a, got), want, 'the retrieved series only');
  assert.equal(a.agent.index.countInstances(), 4 + want.length);

  // Both studies appear in the local study list; the Remote AEs page lists both jobs.
  await page.goto(`${a.base}/`);
  const studies = await page.locator('#studies').innerText();
  assert.match(studies, /REMOTE, ROSA/);
  assert.match(studies, /REMOTE, GUS/);
  await page.goto(`${a.base}/remote`);
  assert.equal(await page.locator('#jobs tr:has(td:text-is("done"))').count(), 2, await page.locator('#jobs').innerText());
});

test('browser: a dead-lettered forward is retried from the queue page and reaches Orthanc', { skip }, async (t) => {
  const orthanc = await startOrthanc({ t, aet: 'ORTHANC' });
  const a = await startWebAgent(t, {
    sections: { Forward: ['retryBase = 100ms', 'retryCap = 1s', 'idleRelease = 1s', 'maxAge = 1s'] },
    tail: `[RemoteAE]\nuserName = PACS\naetitle = ORTHANC\nip = 127.0.0.1\nport = ${orthanc.dicomPort}\n\n[Route]\nto = PACS\n`,
  });
  await orthanc.stop();
  const study = await storeStudy(a, t, { count: 2, modality: 'CT', patientName: 'DEAD^LETTER', patientId: 'D-1', rows: 16, cols: 16 });
  const states = () => a.agent.forwarder.queue.jobs({ destination: 'PACS' }, ['pending', 'in-flight', 'held', 'dead', 'done'], 100).map((j) => j.state).sort();
  await eventually('both forwards dead (past maxAge: Orthanc down is no attempt of theirs)', () => states().join() === 'dead,dead', 30000);

  await orthanc.restart();
  assert.deepEqual(await orthancSops(orthanc), []);
  const page = await logIn(await launch(t), a);
  await page.goto(`${a.base}/queue`);
  const dead = page.locator('#jobs tr.job.dead');
  assert.equal(await dead.count(), 2, await page.content());
  assert.match(await dead.first().innerText(), /PACS/);
  assert.match(await page.locator('#summary').innerText(), /PACS\s+dead\s+2/);

  // Retry each dead job by its button; the page answers with what it did.
  for (let left = 2; left > 0; left--) {
    await page.goto(`${a.base}/queue`);
    await page.locator('#jobs tr.job.dead button.retry').first().click();
    await page.locator('#message').waitFor();
    assert.equal(await page.locator('#message').innerText(), 'retry: 1 job(s).');
  }
  await eventually('Orthanc to hold the study', async () => (await orthancSops(orthanc)).length === 2);
  assert.deepEqual(await orthancSops(orthanc), sopsOf(study));
  await eventually('both jobs done', () => states().join() === 'done,done');
  await page.goto(`${a.base}/queue`);
  assert.equal(await page.locator('#jobs tr.job').count(), 0, 'no job left waiting or dead');
});
