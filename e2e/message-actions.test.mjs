// Message actions in real browsers, as people use them: the menu (⋯, keyboard), reply
// and its quote that jumps to the original, a quote of a deleted message, forward of a
// text and of a file to another chat (byte-identical there), links and the look-alike
// warning, everything by keyboard, and axe with the menu open. Waits are on conditions.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

import { launchChromium, watchProblems } from './browser.mjs';
import { repoRoot, startServer } from './server.mjs';
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
  // bypassCSP: axe-core goes in as an inline script.
  const context = await browser.newContext({ acceptDownloads: true, bypassCSP: true });
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

/** @param {import('playwright-core').Page} page */
const log = (page) => page.getByRole('log', { name: 'Messages' });
/** @param {import('playwright-core').Page} page @param {string} text */
const message = (page, text) => log(page).getByRole('listitem').filter({ hasText: text });
/** The message whose own text (not a quote in it) has this. @param {import('playwright-core').Page} page @param {string} text */
const original = (page, text) => log(page).getByRole('listitem').filter({ has: page.locator('.msg-text').getByText(text) });
/** @param {import('playwright-core').Page} page */
const composer = (page) => page.getByRole('textbox', { name: 'Message' });
/** @param {import('playwright-core').Page} page */
const menu = (page) => page.getByRole('menu', { name: 'Message actions' });
/** @param {Buffer} b */
const sha256 = (b) => createHash('sha256').update(b).digest('hex');

/** @param {import('playwright-core').Page} page @param {string} name */
async function openChat(page, name) {
  await page.getByRole('navigation', { name: 'Chats' }).getByRole('button', { name }).click();
  await composer(page).waitFor();
}

/** @param {import('playwright-core').Page} page @param {string} text */
async function send(page, text) {
  await composer(page).fill(text);
  await composer(page).press('Enter');
  await message(page, text).filter({ hasText: /Sent|Read/ }).waitFor();
}

/** Opens a message's menu with its ⋯ button and picks an action. @param {import('playwright-core').Page} page @param {string} text @param {string} action */
async function act(page, text, action) {
  await original(page, text).hover();
  await original(page, text).getByRole('button', { name: 'Message actions' }).click();
  await menu(page).getByRole('menuitem', { name: action }).click();
}

/** Waits until the focused element is the message (list item) with this text. @param {import('playwright-core').Page} page @param {string} text */
const focusedMessage = (page, text) => page.waitForFunction((t) => {
  const el = document.activeElement;
  return el?.tagName === 'LI' && (el.querySelector('.msg-text')?.textContent ?? '').includes(t);
}, text);

/** @param {import('playwright-core').Page} page @param {string} text */
const isFocused = (page, text) => page.evaluate((t) => (document.activeElement?.tagName === 'LI'
  && (document.activeElement.querySelector('.msg-text')?.textContent ?? '').includes(t)), text);

/** From the composer, into the message list (Shift+Tab reaches it), then up to the message with this text. @param {import('playwright-core').Page} page @param {string} text */
async function focusByKeyboard(page, text) {
  await log(page).focus();
  await page.keyboard.press('ArrowUp');
  for (let i = 0; i < 30; i++) {
    if (await isFocused(page, text)) return;
    await page.keyboard.press('ArrowUp');
  }
  const seen = await page.evaluate(() => [document.activeElement?.tagName, document.activeElement?.textContent]);
  assert.fail(`no message "${text}" reached with the arrow keys (at ${seen})`);
}

before(async () => {
  server = await startServer({ env: { MESSGO_KDF_ITERATIONS: '100000' } });
  browser = await launchChromium();
  [A, B, C] = await Promise.all(['ann', 'bob', 'cat'].map((tag) => signUp(tag)));
  await connect(A, B);
  await connect(A, C);
  await openChat(A.page, B.username);
  await openChat(B.page, A.username);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

function assertNoProblems() {
  for (const user of [A, B, C]) assert.deepEqual(user.problems, [], `${user.username}: no console errors or CSP violations`);
}

test('reply from the menu and with R on a focused message; the quote jumps to the original', { timeout: TIMEOUT }, async () => {
  await send(A.page, 'where shall we meet?');
  await message(B.page, 'where shall we meet?').waitFor();
  await act(B.page, 'where shall we meet?', 'Reply');
  const bar = B.page.getByRole('group', { name: `Replying to ${A.username}` });
  await bar.getByText('where shall we meet?').waitFor();
  await send(B.page, 'at the station');
  assert.equal(await bar.count(), 0, 'the reply bar goes with the reply');

  const reply = message(A.page, 'at the station');
  const quote = reply.getByRole('button', { name: /In reply to You.*where shall we meet\?/ });
  await quote.waitFor();
  await send(A.page, 'filler one');
  await quote.click();
  await focusedMessage(A.page, 'where shall we meet?');

  // By keyboard: arrows to the message, R, type, Enter.
  await focusByKeyboard(A.page, 'at the station');
  await A.page.keyboard.press('r');
  await A.page.getByRole('group', { name: `Replying to ${B.username}` }).waitFor();
  assert.equal(await composer(A.page).evaluate((el) => el === document.activeElement), true, 'the composer has the focus');
  await A.page.keyboard.type('see you there');
  await A.page.keyboard.press('Enter');
  const answer = message(B.page, 'see you there');
  await answer.getByRole('button', { name: /In reply to You.*at the station/ }).waitFor();
  // The quote by keyboard: Tab from the focused message reaches it, Enter jumps.
  await focusByKeyboard(B.page, 'see you there');
  await B.page.keyboard.press('Tab');
  await B.page.keyboard.press('Enter');
  await focusedMessage(B.page, 'at the station');
  // Esc drops a reply being written, and leaves the chat open.
  await B.page.keyboard.press('r');
  await B.page.getByRole('group', { name: /Replying to You/ }).waitFor();
  await B.page.keyboard.press('Escape');
  await B.page.getByRole('group', { name: /Replying to/ }).waitFor({ state: 'detached' });
  await composer(B.page).waitFor();
  assertNoProblems();
});

test('a quote of a deleted message says it is not available and shows nothing of it', { timeout: TIMEOUT }, async () => {
  await send(A.page, 'a secret plan');
  await message(B.page, 'a secret plan').waitFor();
  await act(B.page, 'a secret plan', 'Reply');
  await send(B.page, 'noted');
  await message(A.page, 'noted').getByRole('button', { name: /a secret plan/ }).waitFor();
  await act(A.page, 'a secret plan', 'Delete');
  await A.page.getByRole('dialog', { name: 'Delete message?' }).getByRole('button', { name: 'Delete for everyone' }).click();
  for (const page of [A.page, B.page]) {
    const reply = message(page, 'noted');
    await reply.getByText('Message not available').waitFor();
    assert.equal(await reply.getByText('a secret plan').count(), 0, 'nothing of the original');
  }
  assertNoProblems();
});

test('forward a file and a text to another chat: marked Forwarded, the file identical, the first chat not named', { timeout: TIMEOUT }, async () => {
  const bytes = randomBytes(300 * 1024);
  await A.page.locator('input[type=file]').setInputFiles({ name: 'minutes.bin', mimeType: 'application/octet-stream', buffer: bytes });
  await A.page.getByRole('list', { name: 'Attached files' }).getByRole('listitem').and(A.page.locator('[data-status=ready]')).waitFor();
  await send(A.page, 'the minutes');
  await act(A.page, 'the minutes', 'Forward');
  const picker = A.page.getByRole('dialog', { name: 'Forward to…' });
  await picker.getByRole('combobox', { name: 'Chat name' }).fill(C.username);
  await picker.getByRole('option', { name: C.username }).waitFor();
  await A.page.keyboard.press('Enter');
  await A.page.getByRole('status').getByText(`Forwarded to ${C.username}.`).waitFor();

  // The text by keyboard: F on the focused message.
  await focusByKeyboard(A.page, 'see you there');
  await A.page.keyboard.press('f');
  await A.page.getByRole('dialog', { name: 'Forward to…' }).getByRole('combobox').fill(C.username);
  await A.page.keyboard.press('Enter');
  await A.page.getByRole('status').getByText(`Forwarded to ${C.username}.`).waitFor();

  await openChat(C.page, A.username);
  const file = message(C.page, 'the minutes');
  await file.getByText('Forwarded').waitFor();
  await message(C.page, 'see you there').getByText('Forwarded').waitFor();
  assert.equal(await message(C.page, 'see you there').getByRole('button', { name: /In reply to/ }).count(), 0,
    'a reply\'s reference stays behind');
  assert.equal(await log(C.page).getByText(B.username).count(), 0, 'nothing names the first chat');
  const card = file.locator('.file-card');
  const [saved] = await Promise.all([C.page.waitForEvent('download'), card.getByRole('button', { name: /^Download / }).click()]);
  assert.equal(saved.suggestedFilename(), 'minutes.bin');
  assert.equal(sha256(await readFile(/** @type {string} */ (await saved.path()))), sha256(bytes), 'byte-identical');
  assertNoProblems();
});

test('links: http(s) only, a plain one opens a new page, a look-alike host asks first and shows the real host', { timeout: TIMEOUT }, async () => {
  // Nothing leaves the machine: the opened page is answered here.
  await B.context.route('https://example.com/**', (route) => route.fulfill({ body: 'example', contentType: 'text/plain' }));
  const lookalike = 'https://p\u0430ypal.com/login';
  await send(A.page, `docs at https://example.com/guide. and ${lookalike} or javascript:alert(1)`);
  const msg = message(B.page, 'docs at');
  const plain = msg.getByRole('link', { name: 'https://example.com/guide' });
  await plain.waitFor();
  assert.equal(await plain.getAttribute('rel'), 'noopener noreferrer');
  assert.equal(await plain.getAttribute('target'), '_blank');
  assert.equal(await msg.getByRole('link').count(), 2, 'javascript: stays text');
  const [opened] = await Promise.all([B.context.waitForEvent('page'), plain.click()]);
  await opened.waitForURL('https://example.com/guide');
  await opened.close();

  await msg.getByRole('link', { name: lookalike }).click();
  const warning = B.page.getByRole('dialog', { name: 'Open this link?' });
  await warning.getByText('mixes letters of different alphabets').waitFor();
  await warning.getByText('xn--pypal-4ve.com', { exact: true }).waitFor();
  await warning.getByRole('button', { name: 'Cancel' }).click();
  await warning.waitFor({ state: 'detached' });
  assertNoProblems();
});

test('every action by keyboard (and a right-click): Enter opens the menu, arrows move, Esc closes back to the message; axe with the menu open', { timeout: TIMEOUT }, async () => {
  await send(B.page, 'keyboard only');
  // A right-click opens the same menu; Esc closes it.
  await original(B.page, 'keyboard only').locator('.bubble').click({ button: 'right' });
  await menu(B.page).getByRole('menuitem', { name: 'Reply' }).waitFor();
  await B.page.keyboard.press('Escape');
  await menu(B.page).waitFor({ state: 'detached' });
  await focusByKeyboard(B.page, 'keyboard only');
  await B.page.keyboard.press('Enter');
  await menu(B.page).getByRole('menuitem', { name: 'Reply' }).waitFor();
  const names = await menu(B.page).getByRole('menuitem').evaluateAll((els) => els.map((e) => e.firstElementChild?.textContent));
  // React and Edit come from web/reactions/menu-actions.js (Edit: the message is B's own).
  assert.deepEqual(names, ['Reply', 'React', 'Edit', 'Forward', 'Delete']);
  await assertAccessible(B.page, 'chat with the message menu open');
  for (let i = 0; i < 4; i++) await B.page.keyboard.press('ArrowDown');
  assert.equal(await B.page.evaluate(() => document.activeElement?.getAttribute('role') === 'menuitem'
    && document.activeElement.firstElementChild?.textContent), 'Delete');
  await B.page.keyboard.press('Escape');
  await menu(B.page).waitFor({ state: 'detached' });
  await focusedMessage(B.page, 'keyboard only');
  await composer(B.page).waitFor();
  // Shift+F10 opens it too; Enter on Delete asks how.
  await B.page.keyboard.press('Shift+F10');
  await menu(B.page).waitFor();
  await B.page.keyboard.press('End');
  await B.page.keyboard.press('Enter');
  const dialog = B.page.getByRole('dialog', { name: 'Delete message?' });
  await dialog.waitFor();
  // Cancel has the focus; Tab twice reaches Delete for everyone.
  await B.page.keyboard.press('Tab');
  await B.page.keyboard.press('Tab');
  await B.page.keyboard.press('Enter');
  await message(B.page, 'Message deleted').last().waitFor();
  await message(A.page, 'keyboard only').waitFor({ state: 'detached' });
  assertNoProblems();
});

/** axe-core on the page. @param {import('playwright-core').Page} page @param {string} where */
async function assertAccessible(page, where) {
  const source = await readFile(path.join(repoRoot, 'e2e', 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ content: source });
  const violations = await page.evaluate(async () => {
    const axe = /** @type {any} */ (window).axe;
    const all = await axe.run(document, { rules: { 'label-content-name-mismatch': { enabled: false } } });
    return all.violations.map((/** @type {any} */ v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map((/** @type {any} */ n) => n.target.join(' ')) }));
  });
  const bad = violations.filter((/** @type {any} */ v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad, [], `${where}: no serious or critical axe violations`);
}
