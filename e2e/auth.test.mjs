// The account lifecycle in a real browser against the real server: register, log out,
// log in, survive a reload, refuse a wrong password, unlock a session whose keys are
// gone, and remember the theme. Every wait is on a condition, never on the clock.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { launchChromium, watchProblems } from './browser.mjs';
import { startServer } from './server.mjs';

// PBKDF2 with 600,000 iterations runs several times per test.
const TIMEOUT = 120_000;
const PASSWORD = 'correct horse battery staple';
const EXPECTED_ERRORS = /** @type {Array<[number, string]>} */ ([[401, '/api/me'], [401, '/api/login']]);

/** @type {Awaited<ReturnType<typeof startServer>>} */
let server;
/** @type {import('playwright-core').Browser} */
let browser;

before(async () => {
  server = await startServer();
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const newUsername = () => `user_${crypto.randomUUID().slice(0, 8)}`;

/**
 * A fresh browser context (its own cookies and IndexedDB) with a record of every status
 * text and whether the form was disabled at that moment, so a progress indicator that is
 * on screen for less than a second can still be asserted without racing it.
 */
async function openPage() {
  const context = await browser.newContext();
  await context.addInitScript(() => {
    /** @type {any} */ (window).__progress = [];
    new MutationObserver(() => {
      for (const el of document.querySelectorAll('form [role="status"]:not([hidden])')) {
        const text = el.textContent?.trim();
        const fieldset = document.querySelector('fieldset');
        if (text) /** @type {any} */ (window).__progress.push({ text, disabled: fieldset?.disabled ?? null });
      }
    }).observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
  });
  const page = await context.newPage();
  const problems = watchProblems(page, EXPECTED_ERRORS);
  return { context, page, problems };
}

/** @param {import('playwright-core').Page} page @param {string} username */
async function register(page, username) {
  await page.getByRole('button', { name: 'Create an account' }).click();
  await page.getByRole('heading', { name: 'Create your account' }).waitFor();
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Confirm password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
}

/** @param {import('playwright-core').Page} page @param {string} username @param {string} password */
async function logIn(page, username, password) {
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

/** @param {import('playwright-core').Page} page @param {string} username */
async function expectShell(page, username) {
  await page.getByRole('button', { name: `Profile menu for ${username}` }).waitFor();
  await page.getByRole('navigation', { name: 'Chats' }).getByText('No chats yet').waitFor();
  assert.equal(await page.getByLabel('Password', { exact: true }).count(), 0, 'no password asked in the shell');
}

/** @param {import('playwright-core').Page} page @param {string} username */
async function logOut(page, username) {
  await page.getByRole('button', { name: `Profile menu for ${username}` }).click();
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
}

/** What IndexedDB holds for the identity, as plain facts about the stored keys. @param {import('playwright-core').Page} page */
function storedKeys(page) {
  return page.evaluate(() => new Promise((resolve, reject) => {
    const req = indexedDB.open('messgo');
    req.onerror = () => reject(req.error);
    req.onsuccess = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains('identity')) return resolve(null);
      const get = db.transaction('identity').objectStore('identity').get('current');
      get.onsuccess = () => {
        const r = get.result;
        db.close();
        resolve(r ? {
          userId: r.userId,
          keys: [r.x25519Private, r.ed25519Private].map((k) => ({
            type: k.type, extractable: k.extractable, alg: k.algorithm.name,
          })),
        } : null);
      };
      get.onerror = () => reject(get.error);
    };
  }));
}

test('register, log out, log in, reload, wrong password, theme', { timeout: TIMEOUT }, async () => {
  const { context, page, problems } = await openPage();
  const username = newUsername();

  const response = await page.goto(server.url);
  const csp = response?.headers()['content-security-policy'] ?? '';
  assert.match(csp, /script-src 'self'/, 'the page is served with a strict CSP');

  await page.getByRole('heading', { name: 'Log in' }).waitFor();
  await register(page, username);
  await expectShell(page, username);
  const progress = await page.evaluate(() => /** @type {any} */ (window).__progress);
  assert.ok(progress.some((/** @type {any} */ p) => /Deriving keys/.test(p.text) && p.disabled === true),
    `a "Deriving keys" progress was shown with the form disabled: ${JSON.stringify(progress)}`);

  const keys = await storedKeys(page);
  assert.deepEqual(keys?.keys, [
    { type: 'private', extractable: false, alg: 'X25519' },
    { type: 'private', extractable: false, alg: 'Ed25519' },
  ]);

  await logOut(page, username);
  assert.equal(await storedKeys(page), null, 'logging out clears the key store');

  await logIn(page, username, PASSWORD);
  await expectShell(page, username);

  await page.reload();
  await expectShell(page, username);

  await logOut(page, username);
  await logIn(page, username, 'not the password');
  const alert = page.getByRole('alert');
  await alert.filter({ hasText: 'Wrong username or password.' }).waitFor();
  await page.getByRole('button', { name: 'Log in' }).and(page.locator(':enabled')).waitFor();

  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expectShell(page, username);

  await page.getByRole('button', { name: `Profile menu for ${username}` }).click();
  await page.getByLabel('Theme').selectOption('dark');
  assert.equal(await page.locator('html').getAttribute('data-theme'), 'dark');
  await page.reload();
  await expectShell(page, username);
  assert.equal(await page.locator('html').getAttribute('data-theme'), 'dark');
  await page.getByRole('button', { name: `Profile menu for ${username}` }).click();
  assert.equal(await page.getByLabel('Theme').inputValue(), 'dark');
  await page.getByLabel('Theme').selectOption('light');
  assert.equal(await page.locator('html').getAttribute('data-theme'), 'light');
  await page.keyboard.press('Escape');
  await page.getByLabel('Theme').waitFor({ state: 'hidden' });
  const profileButton = page.getByRole('button', { name: `Profile menu for ${username}` });
  assert.equal(await profileButton.getAttribute('aria-expanded'), 'false');
  assert.ok(await profileButton.evaluate((el) => el === document.activeElement), 'Esc returns focus to the menu button');

  assert.deepEqual(problems, []);
  await context.close();
});

test('a live session without keys in this browser asks for the password to unlock', { timeout: TIMEOUT }, async () => {
  const { context, page, problems } = await openPage();
  const username = newUsername();
  await page.goto(server.url);
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
  await register(page, username);
  await expectShell(page, username);

  await page.evaluate(() => new Promise((resolve, reject) => {
    const req = indexedDB.deleteDatabase('messgo');
    req.onsuccess = resolve;
    req.onerror = () => reject(req.error);
  }));
  await page.reload();
  await page.getByRole('heading', { name: 'Unlock' }).waitFor();
  const name = page.getByLabel('Username');
  assert.equal(await name.inputValue(), username);
  assert.equal(await name.getAttribute('readonly'), '');

  await page.getByLabel('Password', { exact: true }).fill('not the password');
  await page.getByRole('button', { name: 'Unlock' }).click();
  await page.getByRole('alert').filter({ hasText: 'Wrong password.' }).waitFor();

  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Unlock' }).click();
  await expectShell(page, username);
  assert.equal((await storedKeys(page))?.keys.length, 2);

  assert.deepEqual(problems, []);
  await context.close();
});

test('the registration form checks username and passwords before deriving anything', { timeout: TIMEOUT }, async () => {
  const { context, page, problems } = await openPage();
  await page.goto(server.url);
  await page.getByRole('button', { name: 'Create an account' }).click();
  const submit = page.getByRole('button', { name: 'Create account' });

  await page.getByLabel('Username').fill('No Spaces!');
  await submit.click();
  await page.getByRole('alert').filter({ hasText: 'Usernames are 3–32 characters' }).waitFor();
  assert.equal(await page.getByLabel('Username').getAttribute('aria-invalid'), 'true');

  await page.getByLabel('Username').fill(newUsername());
  await page.getByLabel('Password', { exact: true }).fill('short');
  await submit.click();
  await page.getByRole('alert').filter({ hasText: 'at least 8 characters' }).waitFor();

  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Confirm password').fill(PASSWORD + '!');
  await submit.click();
  await page.getByRole('alert').filter({ hasText: 'do not match' }).waitFor();

  assert.deepEqual(await page.evaluate(() => /** @type {any} */ (window).__progress), [], 'nothing was derived');
  assert.deepEqual(problems, []);
  await context.close();
});
