// The pictures the operator sets (--default-avatar, --assistant-avatar) in a real
// browser: someone without a picture of their own shows the default avatar, the
// assistant's chat shows the assistant's picture; a server without them shows the
// initials and asks for no picture it does not have (no 404 on the page).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { launchChromium, watchProblems } from './browser.mjs';
import { startServer } from './server.mjs';

const TIMEOUT = 120_000;
const PASSWORD = 'correct horse battery staple';
/** A 1×1 PNG. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNocFD4DwAEBAHg8uuA+QAAAABJRU5ErkJggg==', 'base64');
/** A 2×1 PNG, to tell the two pictures apart. */
const WIDE = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAIAAAABCAYAAAD0In+KAAAADklEQVR4nGNocFD4D8IAD4MDv6QMERcAAAAASUVORK5CYII=', 'base64');

/** @type {Awaited<ReturnType<typeof startServer>>} */
let server;
/** @type {Awaited<ReturnType<typeof startServer>>} */
let bare;
/** @type {import('playwright-core').Browser} */
let browser;
/** @type {string} */
let dir;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'messgo-pictures-'));
  await writeFile(path.join(dir, 'default.png'), PNG);
  await writeFile(path.join(dir, 'assistant.png'), WIDE);
  const ai = { MESSGO_AI_URL: 'http://127.0.0.1:9/v1', MESSGO_AI_MODEL: 'test-model' };
  server = await startServer({
    env: {
      MESSGO_KDF_ITERATIONS: '100000', ...ai,
      MESSGO_DEFAULT_AVATAR: path.join(dir, 'default.png'),
      MESSGO_ASSISTANT_AVATAR: path.join(dir, 'assistant.png'),
    },
  });
  bare = await startServer({ env: { MESSGO_KDF_ITERATIONS: '100000', ...ai } });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await bare?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A fresh browser context with its own account. @param {string} url */
async function signUp(url) {
  const username = `pic_${crypto.randomUUID().slice(0, 8)}`;
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = watchProblems(page, [[401, '/api/me']]);
  await page.goto(url);
  await page.getByRole('button', { name: 'Create an account' }).click();
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Confirm password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  const menu = page.getByRole('button', { name: `Profile menu for ${username}` });
  await menu.waitFor();
  return { username, context, page, problems, menu };
}

/** @param {import('playwright-core').Page} page */
const assistantRow = (page) => page.getByRole('navigation', { name: 'Chats' }).getByRole('button', { name: /^Assistant/ });

/** The loaded picture's width in a bubble. @param {import('playwright-core').Locator} bubble */
async function pictureWidth(bubble) {
  const img = bubble.locator('img.avatar-img');
  await img.waitFor();
  await img.evaluate((el) => /** @type {HTMLImageElement} */ (el).decode());
  return img.evaluate((el) => /** @type {HTMLImageElement} */ (el).naturalWidth);
}

test('the operator\'s pictures stand in where a person or the assistant has none', { timeout: TIMEOUT }, async () => {
  const A = await signUp(server.url);
  assert.equal(await pictureWidth(A.menu), 1, 'the default avatar for someone without a picture');
  await assistantRow(A.page).waitFor();
  assert.equal(await pictureWidth(assistantRow(A.page)), 2, 'the assistant\'s own picture');
  assert.deepEqual(A.problems, []);
  await A.context.close();
});

test('without them, initials, and no request for a picture the server lacks', { timeout: TIMEOUT }, async () => {
  const B = await signUp(bare.url);
  await assistantRow(B.page).waitFor();
  // The list of set pictures has been answered once the page asked for it.
  await B.page.waitForFunction(() => performance.getEntriesByType('resource')
    .some((e) => new URL(e.name).pathname === '/api/pictures'));
  const asked = await B.page.evaluate(() => performance.getEntriesByType('resource')
    .map((e) => new URL(e.name).pathname).filter((p) => p.startsWith('/api/pictures/')));
  assert.deepEqual(asked, []);
  assert.equal(await B.menu.locator('img').count(), 0);
  assert.equal(await assistantRow(B.page).locator('img').count(), 0);
  assert.deepEqual(B.problems, []);
  await B.context.close();
});
