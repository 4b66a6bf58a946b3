// End-to-end encrypted chats in real browsers against the real server: people in
// separate browser contexts (and a second tab of one of them) send and receive over
// the WebSocket, history survives a reload (decrypted again from ciphertext), a member
// added to a group reads only what was sent after they joined, and the browser and the
// Rust client read each other. Every wait is on a condition, never on the clock.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

import { launchChromium, watchProblems } from './browser.mjs';
import { repoRoot, startServer } from './server.mjs';
import { api, connect } from './people.mjs';

const run = promisify(execFile);
const TIMEOUT = 120_000;
const PASSWORD = 'correct horse battery staple';

/** @type {Awaited<ReturnType<typeof startServer>>} */
let server;
/** @type {import('playwright-core').Browser} */
let browser;
/** @typedef {Awaited<ReturnType<typeof signUp>>} User */
/** @type {User} */ let A;
/** @type {User} */ let B;
/** @type {User} */ let C;

/** @param {import('playwright-core').Page} page */
const watch = (page) => watchProblems(page, [[401, '/api/me']]);

/** A fresh browser context with its own account, on the app's start page. @param {string} tag */
async function signUp(tag) {
  const username = `${tag}_${crypto.randomUUID().slice(0, 8)}`;
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = watch(page);
  await page.goto(server.url);
  await page.getByRole('button', { name: 'Create an account' }).click();
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Confirm password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('button', { name: `Profile menu for ${username}` }).waitFor();
  const userId = await page.evaluate(async () => (await (await fetch('/api/me')).json()).user_id);
  return { username, userId, context, page, problems };
}

/** @param {import('playwright-core').Page} page */
const chatsNav = (page) => page.getByRole('navigation', { name: 'Chats' });
/** @param {import('playwright-core').Page} page @param {string | RegExp} name */
const chatEntry = (page, name) => chatsNav(page).getByRole('button', { name });
/** @param {import('playwright-core').Page} page */
const log = (page) => page.getByRole('log', { name: 'Messages' });
/** @param {import('playwright-core').Page} page @param {string} text */
const message = (page, text) => log(page).getByRole('listitem').filter({ hasText: text });

/** @param {import('playwright-core').Page} page @param {string | RegExp} name */
async function openChat(page, name) {
  await chatEntry(page, name).click();
  await page.getByRole('textbox', { name: 'Message' }).waitFor();
}

/** Types and sends with Enter, then waits for the message to be acknowledged. @param {import('playwright-core').Page} page @param {string} text */
async function send(page, text) {
  const box = page.getByRole('textbox', { name: 'Message' });
  await box.fill(text);
  await box.press('Enter');
  await message(page, text).filter({ hasText: /Sent|Read/ }).waitFor();
}

/** Shown exactly once, now and after the given later message has arrived too. @param {import('playwright-core').Page} page @param {string} text */
async function assertOnce(page, text) {
  await message(page, text).first().waitFor();
  assert.equal(await message(page, text).count(), 1, `"${text}" is shown once`);
}

function assertNoProblems() {
  for (const user of [A, B, C]) assert.deepEqual(user?.problems ?? [], [], `${user?.username}: no console errors or CSP violations`);
}

before(async () => {
  server = await startServer({ env: { MESSGO_KDF_ITERATIONS: '100000' } });
  browser = await launchChromium();
  [A, B, C] = await Promise.all(['ann', 'bob', 'cat'].map(signUp));
  await connect(A, B);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('two people chat in real time both ways, and a second tab shows every message once', { timeout: TIMEOUT }, async () => {
  await chatEntry(A.page, B.username).waitFor();
  await chatEntry(B.page, A.username).waitFor();
  const tab = await B.context.newPage();
  const tabProblems = watch(tab);
  await tab.goto(server.url);

  await openChat(A.page, B.username);
  await send(A.page, 'Hello Bob <b>not bold</b>');
  // B has the chat list open, not the chat: the preview and unread badge come live.
  await chatEntry(B.page, `${A.username}, 1 unread`).waitFor();
  await openChat(B.page, A.username);
  await assertOnce(B.page, 'Hello Bob <b>not bold</b>');
  assert.equal(await log(B.page).locator('b').count(), 0, 'message text is text, never HTML');

  // Shift+Enter is a new line, Enter sends.
  const box = B.page.getByRole('textbox', { name: 'Message' });
  await box.pressSequentially('Hi Ann');
  await box.press('Shift+Enter');
  await box.pressSequentially('second line');
  await box.press('Enter');
  await message(B.page, 'second line').filter({ hasText: 'Sent' }).waitFor();
  assert.equal(await box.inputValue(), '', 'the composer is empty again');
  await assertOnce(A.page, 'Hi Ann');
  assert.equal(await message(A.page, 'Hi Ann').locator('.msg-text').innerText(), 'Hi Ann\nsecond line');

  await openChat(tab, A.username);
  await send(A.page, 'third');
  await send(tab, 'fourth, from the second tab');
  for (const page of [A.page, B.page, tab]) {
    await assertOnce(page, 'fourth, from the second tab');
    for (const text of ['Hello Bob', 'Hi Ann', 'third']) await assertOnce(page, text);
  }
  // Own messages on the right, the other side's on the left.
  assert.match((await message(A.page, 'third').getAttribute('class')) ?? '', /\bown\b/);
  assert.match((await message(B.page, 'third').getAttribute('class')) ?? '', /\btheirs\b/);
  assert.match((await message(B.page, 'fourth').getAttribute('class')) ?? '', /\bown\b/);
  assert.deepEqual(tabProblems, []);
  await tab.close();
  assertNoProblems();
});

test('a reload restores the history, decrypted again', { timeout: TIMEOUT }, async () => {
  await B.page.reload();
  await openChat(B.page, A.username);
  for (const text of ['Hello Bob', 'Hi Ann', 'third', 'fourth, from the second tab']) await assertOnce(B.page, text);
  const order = await log(B.page).locator('li.msg .msg-text').allInnerTexts();
  assert.deepEqual(order.map((t) => t.split('\n')[0]),
    ['Hello Bob <b>not bold</b>', 'Hi Ann', 'third', 'fourth, from the second tab'], 'in sequence order');
  await log(B.page).getByText('Today').waitFor();
  assertNoProblems();
});

test('someone added to a group reads what is sent after, not before', { timeout: TIMEOUT }, async () => {
  await connect(A, C);
  await A.page.getByRole('button', { name: 'New group' }).click();
  const dialog = A.page.getByRole('dialog', { name: 'New group' });
  await dialog.getByLabel('Group name').fill('Weekend plans');
  await dialog.getByLabel(B.username).check();
  assert.equal(await dialog.getByLabel(C.username).count(), 1, 'C is a contact and could be picked');
  await dialog.getByRole('button', { name: 'Create group' }).click();
  await dialog.waitFor({ state: 'detached' });
  await A.page.getByRole('heading', { name: 'Weekend plans', level: 2 }).waitFor();
  await send(A.page, 'before C');
  await log(A.page).getByText('You created the group').waitFor();

  await chatEntry(B.page, /^Weekend plans/).click();
  await assertOnce(B.page, 'before C');

  await A.page.getByRole('button', { name: 'Group info' }).click();
  await A.page.getByLabel('Contact to add').selectOption({ label: `${C.username} (@${C.username})` });
  await A.page.getByRole('button', { name: 'Add', exact: true }).click();
  await A.page.getByRole('list', { name: 'Members' }).getByText(`@${C.username}`).waitFor();
  await A.page.getByRole('button', { name: 'Close Group' }).click();
  await log(A.page).getByText(`You added ${C.username}`).waitFor();
  await send(A.page, 'after C');

  // The name was sealed again under the epoch C can open.
  await openChat(C.page, /^Weekend plans/);
  await assertOnce(C.page, 'after C');
  await log(C.page).getByText(`${A.username} added you`).waitFor();
  assert.equal(await message(C.page, 'before C').count(), 0, 'C never sees what was sent before they joined');
  await assertOnce(B.page, 'after C');
  await send(C.page, 'hi all, C here');
  await assertOnce(A.page, 'hi all, C here');
  await assertOnce(B.page, 'hi all, C here');
  assertNoProblems();
});

const cli = process.env.MESSGO_BIN || path.join(repoRoot, 'target', 'debug', 'messgo');
/** Whether the binary has the chat client (it is being built alongside this test). */
async function cliHasChat() {
  if (!existsSync(cli)) return false;
  try {
    await run(cli, ['chat', '--help']);
    return true;
  } catch {
    return false;
  }
}

test('the browser and the Rust client read each other', { timeout: TIMEOUT }, async (t) => {
  if (!(await cliHasChat())) {
    t.skip('`messgo chat` is not in this build yet');
    return;
  }
  // The CLI logs in with a password, so its user is registered in a browser with one.
  const R = await signUp('rust');
  await connect(A, R);
  // The password goes by environment, as the CLI recommends: not in the process list.
  const login = ['--server', server.url, '--username', R.username];
  const options = { timeout: 60_000, env: { ...process.env, MESSGO_CHAT_PASSWORD: PASSWORD } };
  const sent = await run(cli, ['chat', ...login, 'send', '--to', A.username, 'from the terminal'], options);
  assert.match(sent.stdout, /\d+/, 'the CLI prints the seq of its ack');
  await openChat(A.page, R.username);
  await assertOnce(A.page, 'from the terminal');

  const waiting = run(cli, ['chat', ...login, 'wait', '--from', A.username, '--text', 'from the browser', '--timeout-secs', '30'],
    options);
  await send(A.page, 'from the browser');
  await waiting;
  assert.deepEqual(R.problems, []);
  await R.context.close();
  assertNoProblems();
});
