// Search and mentions in real browsers: Ctrl+F in a chat finds a message older than the
// first page and goes to it; Ctrl+K finds a message in another chat and opens it there;
// in a group, a mention picked with the keyboard reaches the mentioned member as a
// highlight and an "@" on the chat, and not the third member; and nothing of a search
// is left in localStorage or IndexedDB. Waits are on conditions only.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { launchChromium, watchProblems } from './browser.mjs';
import { startServer } from './server.mjs';
import { connect } from './people.mjs';

const TIMEOUT = 90_000;
const PASSWORD = 'correct horse battery staple';

/** @type {Awaited<ReturnType<typeof startServer>>} */
let server;
/** @type {import('playwright-core').Browser} */
let browser;
/** @typedef {Awaited<ReturnType<typeof signUp>>} User */
/** @type {User} */ let A;
/** @type {User} */ let B;
/** @type {User} */ let C;

/** @param {string} tag */
async function signUp(tag) {
  const username = `${tag}_${crypto.randomUUID().slice(0, 8)}`;
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = watchProblems(page, [[401, '/api/me']]);
  await page.goto(server.url);
  await page.getByRole('button', { name: 'Create an account' }).click();
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Confirm password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('button', { name: `Profile menu for ${username}` }).waitFor();
  return { username, context, page, problems };
}

/** @param {import('playwright-core').Page} page @param {string | RegExp} name */
const chatEntry = (page, name) => page.getByRole('navigation', { name: 'Chats' }).getByRole('button', { name });
/** @param {import('playwright-core').Page} page */
const log = (page) => page.getByRole('log', { name: 'Messages' });
/** @param {import('playwright-core').Page} page @param {string} text */
const message = (page, text) => log(page).getByRole('listitem').filter({ hasText: text });
/** @param {import('playwright-core').Page} page */
const composer = (page) => page.getByRole('textbox', { name: 'Message' });

/** @param {import('playwright-core').Page} page @param {string | RegExp} name */
async function openChat(page, name) {
  await chatEntry(page, name).click();
  await composer(page).waitFor();
}

/** Sends without waiting for each ack; the caller waits for the last. @param {import('playwright-core').Page} page @param {string} text */
async function type(page, text) {
  await composer(page).fill(text);
  await composer(page).press('Enter');
}

/** @param {import('playwright-core').Page} page @param {string} text */
async function send(page, text) {
  await type(page, text);
  await message(page, text).filter({ hasText: /Sent|Read/ }).waitFor();
}

/** Whether a message's element is inside the visible part of the message list. @param {import('playwright-core').Locator} item */
const inView = (item) => item.evaluate((el) => {
  const box = el.getBoundingClientRect();
  const port = /** @type {HTMLElement} */ (el.closest('[role="log"]')).getBoundingClientRect();
  return box.bottom > port.top && box.top < port.bottom;
});

before(async () => {
  server = await startServer({ env: { MESSGO_KDF_ITERATIONS: '100000' } });
  browser = await launchChromium();
  [A, B, C] = await Promise.all(['ann', 'bob', 'cat'].map((tag) => signUp(tag)));
  await connect(A, B);
  await connect(A, C);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('Ctrl+F finds a message older than the first page, ignoring case and accents, and goes to it', { timeout: TIMEOUT }, async () => {
  await openChat(A.page, B.username);
  await send(A.page, 'Le café est prêt: the hidden needle');
  for (let i = 1; i <= 60; i++) await type(A.page, `filler ${i}.`);
  await message(A.page, 'filler 60.').filter({ hasText: /Sent|Read/ }).waitFor();

  await B.page.reload();
  await openChat(B.page, A.username);
  await message(B.page, 'filler 60.').waitFor();
  assert.equal(await message(B.page, 'hidden needle').count(), 0, 'the first page holds the newest messages only');

  await B.page.keyboard.press('Control+f');
  const box = B.page.getByRole('searchbox', { name: 'Search in chat' });
  await box.fill('CAFE pret');
  const found = message(B.page, 'hidden needle');
  await found.and(B.page.locator('[aria-current="true"]')).waitFor();
  await B.page.getByRole('search').getByRole('status').filter({ hasText: /^1 of 1$/ }).waitFor();
  assert.ok(await inView(found), 'scrolled to the match');

  await box.fill('Filler 42.');
  await message(B.page, 'filler 42.').and(B.page.locator('[aria-current="true"]')).waitFor();
  await B.page.getByRole('search').getByRole('status').filter({ hasText: /^1 of 1$/ }).waitFor();
  await box.fill('filler');
  await B.page.getByRole('search').getByRole('status').filter({ hasText: /^60 of 60$/ }).waitFor();
  await box.press('Enter');
  await message(B.page, 'filler 59.').and(B.page.locator('[aria-current="true"]')).waitFor();
  await box.press('Shift+Enter');
  await message(B.page, 'filler 60.').and(B.page.locator('[aria-current="true"]')).waitFor();

  await box.press('Escape');
  await box.waitFor({ state: 'hidden' });
  await B.page.getByRole('heading', { name: A.username, level: 2 }).waitFor();
  assert.deepEqual(B.problems, []);
});

test('Ctrl+K finds a message in another chat, shows where and who, and opens the chat at it', { timeout: TIMEOUT }, async () => {
  await openChat(C.page, A.username);
  await send(C.page, 'The quarterly report draft is ready for review');
  await chatEntry(A.page, new RegExp(C.username)).filter({ hasText: 'quarterly' }).waitFor();
  await openChat(A.page, B.username);

  await A.page.keyboard.press('Control+k');
  const switcher = A.page.getByRole('dialog', { name: 'Go to chat' });
  await switcher.getByRole('combobox').fill('Quarterly REPORT');
  const result = switcher.getByRole('option', { name: /quarterly report/i });
  await result.waitFor();
  assert.match(await result.innerText(), new RegExp(C.username));
  assert.deepEqual(await result.locator('mark').allInnerTexts(), ['quarterly', 'report']);
  await A.page.keyboard.press('Enter');
  await A.page.getByRole('heading', { name: C.username, level: 2 }).waitFor();
  const found = message(A.page, 'quarterly report draft');
  await A.page.waitForFunction(() => document.activeElement?.textContent?.includes('quarterly report draft'));
  assert.ok(await inView(found));
  assert.deepEqual(A.problems, []);
});

test('a mention picked with the keyboard reaches the mentioned member only, as a highlight and an @ on the chat', { timeout: TIMEOUT }, async () => {
  await A.page.getByRole('button', { name: 'New group' }).click();
  const dialog = A.page.getByRole('dialog', { name: 'New group' });
  await dialog.getByLabel('Group name').fill('Crew');
  await dialog.getByLabel(B.username).check();
  await dialog.getByLabel(C.username).check();
  await dialog.getByRole('button', { name: 'Create group' }).click();
  await A.page.getByRole('heading', { name: 'Crew', level: 2 }).waitFor();

  const input = composer(A.page);
  await input.pressSequentially('ping @');
  const picker = A.page.getByRole('listbox', { name: 'Mention someone' });
  await picker.getByRole('option', { name: `@${B.username}` }).waitFor();
  await picker.getByRole('option', { name: `@${C.username}` }).waitFor();
  await input.pressSequentially(C.username.slice(0, 4));
  await picker.getByRole('option', { name: `@${B.username}` }).waitFor({ state: 'detached' });
  await input.press('Enter');
  assert.equal(await input.inputValue(), `ping @${C.username} `, 'Enter picks; it does not send');
  await input.pressSequentially('look at this');
  await input.press('Enter');
  await message(A.page, 'look at this').filter({ hasText: /Sent|Read/ }).waitFor();

  await chatEntry(C.page, /^Crew.*mentioned you/).waitFor();
  await chatEntry(B.page, /^Crew/).filter({ hasText: 'look at this' }).waitFor();
  assert.equal(await chatEntry(B.page, /mentioned you/).count(), 0, 'the third member is not mentioned');

  await openChat(C.page, /^Crew/);
  await message(C.page, 'look at this').getByRole('mark').filter({ hasText: `@${C.username}` }).waitFor();
  await openChat(B.page, /^Crew/);
  await message(B.page, 'look at this').waitFor();
  assert.equal(await message(B.page, 'look at this').getByRole('mark').count(), 0);

  await C.page.keyboard.press('Escape');
  await chatEntry(C.page, /^Crew/).waitFor();
  assert.equal(await chatEntry(C.page, /mentioned you/).count(), 0, 'read: the @ is gone');
  assert.deepEqual(C.problems, []);
});

test('nothing of a search is written to localStorage or IndexedDB', { timeout: TIMEOUT }, async () => {
  for (const user of [A, B]) {
    const stored = await user.page.evaluate(async () => {
      let text = JSON.stringify({ ...localStorage });
      for (const info of await indexedDB.databases()) {
        const db = await new Promise((resolve, reject) => {
          const req = indexedDB.open(/** @type {string} */ (info.name));
          req.onsuccess = () => resolve(req.result);
          req.onerror = () => reject(req.error);
        });
        for (const name of db.objectStoreNames) {
          const all = await new Promise((resolve) => {
            const req = db.transaction(name).objectStore(name).getAll();
            req.onsuccess = () => resolve(req.result);
          });
          text += JSON.stringify(all);
        }
        db.close();
      }
      return text;
    });
    for (const word of ['needle', 'CAFE', 'quarterly', 'Quarterly', 'filler']) {
      assert.ok(!stored.includes(word), `${user.username}: "${word}" is not stored`);
    }
  }
});
