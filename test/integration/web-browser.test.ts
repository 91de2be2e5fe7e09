/**
 * End to end in a real browser: Debian's Chromium driven by playwright-core against a
 * running agent (studies sent by storescu). Log in, search, open a study, view an image
 * (pixels not blank), drag to change window/level (pixels change), queue page.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { ADMIN, startWebAgent, storeStudy } from '../helpers/web';
import { tmpDir, type AfterContext } from '../helpers/tmp';
import { onCleanup } from '../helpers/tmp';

const CHROMIUM = '/usr/bin/chromium';

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

/** The displayed image's pixels (drawn into a canvas in the page: same origin, not tainted). */
async function imagePixels(page: Page): Promise<number[]> {
  // A string: this code runs in the browser (tsconfig has no DOM types).
  return page.evaluate(`(async () => {
    const img = document.getElementById('image');
    await img.decode();
    const c = document.createElement('canvas');
    c.width = img.naturalWidth;
    c.height = img.naturalHeight;
    const g = c.getContext('2d');
    g.drawImage(img, 0, 0);
    return Array.from(g.getImageData(0, 0, c.width, c.height).data.filter((_, i) => i % 4 === 0));
  })()`) as Promise<number[]>;
}

test('browser: log in, search, open a study, view an image, drag window/level', { skip: !existsSync(CHROMIUM) && 'chromium not installed (scripts/install-test-deps)' }, async (t) => {
  const a = await startWebAgent(t);
  const s = await storeStudy(a, t, { count: 3, modality: 'CT', patientName: 'BROWSER^BOB', patientId: 'B-1', rows: 64, cols: 64 });
  await storeStudy(a, t, { count: 1, modality: 'MR', patientName: 'OTHER^ANN', patientId: 'B-2' });
  const browser = await launch(t);
  const page = await browser.newPage();
  await page.goto(`${a.base}/`);
  assert.match(page.url(), /\/login\?next=/);
  await page.fill('#user', ADMIN.name);
  await page.fill('#password', ADMIN.password);
  await Promise.all([page.waitForURL(`${a.base}/`), page.click('#login')]);
  assert.equal(await page.locator('#studies a.study').count(), 2);

  await page.fill('#q-name', 'brow');
  await Promise.all([page.waitForURL(/name=brow/), page.click('#search')]);
  assert.equal(await page.locator('#studies a.study').count(), 1);
  assert.match(await page.locator('#studies').innerText(), /BROWSER, BOB/);

  await Promise.all([page.waitForURL(new RegExp(`/study/${s.studyUid}`)), page.click('#studies a.study')]);
  // Thumbnails load (naturalWidth > 0 once decoded).
  await page.waitForFunction(`[...document.querySelectorAll('img.thumb')].every((i) => i.complete && i.naturalWidth > 0)`);
  await Promise.all([page.waitForURL(/\/viewer\//), page.click('#series a.view')]);
  await page.waitForFunction(`document.getElementById('image').naturalWidth > 0`);
  const before = await imagePixels(page);
  assert.equal(before.length, 64 * 64);
  assert.ok(new Set(before).size > 8, 'the image is not blank: many grey levels');
  const src0 = await page.getAttribute('#image', 'src');

  // Drag right and down: width and level change; the page re-requests the PNG (debounced).
  const box = (await page.locator('#image').boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2 - 150, box.y + box.height / 2 + 60, { steps: 5 });
  await page.mouse.up();
  const old = JSON.stringify(`${a.base}${src0}`);
  await page.waitForFunction(`(() => { const i = document.getElementById('image'); return i.src !== ${old} && i.complete && i.naturalWidth > 0; })()`);
  const src1 = await page.getAttribute('#image', 'src');
  assert.match(src1!, /wc=.*ww=/);
  const after = await imagePixels(page);
  assert.notDeepEqual(after, before, 'window/level changed the pixels');

  // Next image via the button.
  await page.click('#next');
  await page.waitForFunction(`/image 2\\/3/.test(document.getElementById('info').textContent)`);

  // Operations and queue pages render for an admin.
  await page.goto(`${a.base}/ops`);
  assert.match(await page.locator('#associations').innerText(), /STORESCU/);
  await page.goto(`${a.base}/queue`);
  assert.match(await page.content(), /Forwarding queue/);
});
