// Reactions and edits in real browsers, by keyboard: two people react and un-react
// (counts and who), `+:thumbsup:` from the composer reacts to the newest message, a
// reaction does not raise the other's unread count, and an edit shows live on the
// other side with "edited", and again after a reload (history brings the original
// without its ciphertext and the edit). Waits are on conditions only.
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
  return { username, page, problems };
}

/** @param {import('playwright-core').Page} page @param {string | RegExp} name */
const chatEntry = (page, name) => page.getByRole('navigation', { name: 'Chats' }).getByRole('button', { name });
/** @param {import('playwright-core').Page} page */
const log = (page) => page.getByRole('log', { name: 'Messages' });
/** @param {import('playwright-core').Page} page @param {string} text */
const message = (page, text) => log(page).getByRole('listitem').filter({ hasText: text });
/** @param {import('playwright-core').Page} page */
const composer = (page) => page.getByRole('textbox', { name: 'Message' });
/** @param {import('playwright-core').Page} page @param {string} text @param {string | RegExp} name */
const chip = (page, text, name) => message(page, text).getByRole('group', { name: 'Reactions' }).getByRole('button', { name });

/** @param {import('playwright-core').Page} page @param {string | RegExp} name */
async function openChat(page, name) {
  await chatEntry(page, name).click();
  await composer(page).waitFor();
}

/** @param {import('playwright-core').Page} page @param {string} text */
async function send(page, text) {
  await composer(page).fill(text);
  await composer(page).press('Enter');
  await message(page, text).filter({ hasText: /Sent|Read/ }).waitFor();
}

/** The newest message focused from the keyboard: into the list from its container, then ↑. @param {import('playwright-core').Page} page */
async function focusLatest(page) {
  await log(page).focus();
  await page.keyboard.press('ArrowUp');
}

/** @param {User} user */
const noProblems = (user) => assert.deepEqual(user.problems, [], `${user.username}: no console errors or CSP violations`);

before(async () => {
  server = await startServer({ env: { MESSGO_KDF_ITERATIONS: '100000' } });
  browser = await launchChromium();
  [A, B] = await Promise.all(['ann', 'bob'].map((tag) => signUp(tag)));
  await connect(A, B);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('two people react and un-react by keyboard; +:thumbsup: reacts; reactions raise no unread count', { timeout: TIMEOUT }, async () => {
  await openChat(A.page, B.username);
  await send(A.page, 'lunch at noon?');
  await openChat(B.page, A.username);
  await message(B.page, 'lunch at noon?').waitFor();

  // B: the focused message's A key opens the picker; a search and Enter pick.
  await focusLatest(B.page);
  await B.page.keyboard.press('a');
  const picker = B.page.getByRole('dialog', { name: 'Add a reaction' });
  await picker.getByRole('searchbox', { name: 'Search emoji' }).waitFor();
  await B.page.keyboard.type('thumbs up');
  await B.page.keyboard.press('Enter');
  await picker.waitFor({ state: 'detached' });
  await chip(B.page, 'lunch at noon?', /^thumbs up: 1, You/).waitFor();
  await chip(A.page, 'lunch at noon?', `thumbs up: 1, ${B.username}`).waitFor();

  // A: the menu's React, the picker's arrow keys (the quick row: 👍 then → ❤️).
  await focusLatest(A.page);
  await A.page.keyboard.press('Enter');
  await A.page.getByRole('menu', { name: 'Message actions' }).getByRole('menuitem', { name: 'React' }).press('Enter');
  const aPicker = A.page.getByRole('dialog', { name: 'Add a reaction' });
  await aPicker.getByRole('button', { name: 'thumbs up' }).first().focus();
  await A.page.keyboard.press('ArrowRight');
  await A.page.keyboard.press('Enter');
  await chip(A.page, 'lunch at noon?', /^red heart: 1, You/).waitFor();

  // A: +:thumbsup: alone in the composer reacts to the newest message instead of being sent.
  await composer(A.page).fill('+:thumbsup:');
  await composer(A.page).press('Enter');
  const both = chip(A.page, 'lunch at noon?', /^thumbs up: 2, /);
  await both.waitFor();
  assert.equal(await both.getAttribute('aria-pressed'), 'true', 'A\'s own reaction is highlighted');
  assert.equal(await composer(A.page).inputValue(), '', 'the command left the composer');
  assert.equal(await message(A.page, '+:thumbsup:').count(), 0, 'nothing was sent as text');
  await chip(B.page, 'lunch at noon?', `thumbs up: 2, You and ${A.username}. Press to take yours back`).waitFor();
  await chip(B.page, 'lunch at noon?', `red heart: 1, ${A.username}`).waitFor();
  // Who reacted: the tooltip shows on hover too.
  await chip(B.page, 'lunch at noon?', /^thumbs up/).hover();
  await message(B.page, 'lunch at noon?').getByRole('tooltip').filter({ hasText: `You and ${A.username}` }).waitFor();

  // B un-reacts with the keyboard on the own chip: A sees one again, and B's chip is not B's.
  await chip(B.page, 'lunch at noon?', /^thumbs up/).focus();
  await B.page.keyboard.press('Enter');
  await chip(A.page, 'lunch at noon?', 'thumbs up: 1, You. Press to take yours back').waitFor();
  const bChip = chip(B.page, 'lunch at noon?', `thumbs up: 1, ${A.username}`);
  await bChip.waitFor();
  assert.equal(await bChip.getAttribute('aria-pressed'), 'false');

  // With the chat closed on B's side, a reaction raises nothing; the next message raises one.
  await B.page.keyboard.press('Escape');
  await composer(B.page).waitFor({ state: 'detached' });
  await composer(A.page).fill('+:joy:');
  await composer(A.page).press('Enter');
  await chip(A.page, 'lunch at noon?', /^face with tears of joy: 1/).waitFor();
  await send(A.page, 'or one?');
  await chatEntry(B.page, `${A.username}, 1 unread`).waitFor();
  assert.equal(await chatEntry(B.page, /2 unread/).count(), 0, 'the reaction did not count');
  await openChat(B.page, A.username);
  await chip(B.page, 'lunch at noon?', /^face with tears of joy: 1/).waitFor();
  noProblems(A);
  noProblems(B);
});

test('an edit shows live with "edited", and after a reload; Esc cancels editing', { timeout: TIMEOUT }, async () => {
  await openChat(A.page, B.username);
  await send(A.page, 'see you at 5');
  await message(B.page, 'see you at 5').waitFor();

  // Up in the empty composer edits the own last message.
  await composer(A.page).focus();
  await A.page.keyboard.press('ArrowUp');
  const editing = A.page.getByRole('textbox', { name: 'Edit message' });
  await editing.waitFor();
  assert.equal(await editing.inputValue(), 'see you at 5');
  await editing.fill('see you at 6');
  await editing.press('Enter');
  await message(A.page, 'see you at 6').filter({ hasText: 'edited' }).waitFor();
  await message(B.page, 'see you at 6').filter({ hasText: 'edited' }).waitFor();
  assert.equal(await message(B.page, 'see you at 5').count(), 0, 'the old text is gone on the other side');

  // From the message's keys: E edits, Esc cancels and the composer is a composer again.
  await focusLatest(A.page);
  await A.page.keyboard.press('e');
  await editing.waitFor();
  await A.page.keyboard.press('Escape');
  await A.page.getByRole('textbox', { name: 'Message', exact: true }).waitFor();
  assert.equal(await A.page.getByText('Editing message').isVisible(), false);

  await B.page.reload();
  await openChat(B.page, A.username);
  await message(B.page, 'see you at 6').filter({ hasText: 'edited' }).waitFor();
  assert.equal(await message(B.page, 'see you at 5').count(), 0, 'history shows the latest edit');
  noProblems(A);
  noProblems(B);
});
