// Disappearing messages in real browsers: on a server keeping messages for 6 seconds,
// a message shows its time left on both sides, counts down, and leaves both views at
// its expiry without a reload (and the chat list's preview with it); a reload does not
// bring it back. On a normal server, the chat's timer is set from its header, both
// sides read who set it, and the default timer for new chats is a setting. Waits are
// on conditions only, with room for the sweep.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { launchChromium, watchProblems } from './browser.mjs';
import { startServer } from './server.mjs';
import { api, connect } from './people.mjs';

const TIMEOUT = 120_000;
const PASSWORD = 'correct horse battery staple';
const KDF = { MESSGO_KDF_ITERATIONS: '100000' };
// The message lives 6 s; this leaves room for a slow machine, not a fixed wait.
const GONE_WITHIN = 30_000;

/** @type {import('playwright-core').Browser} */
let browser;
/** @type {Awaited<ReturnType<typeof startServer>>[]} */
const servers = [];

/** @typedef {Awaited<ReturnType<typeof signUp>>} User */

/** @param {string} tag @param {{url: string}} at */
async function signUp(tag, at) {
  const username = `${tag}_${crypto.randomUUID().slice(0, 8)}`;
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = watchProblems(page, [[401, '/api/me']]);
  await page.goto(at.url);
  await page.getByRole('button', { name: 'Create an account' }).click();
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Confirm password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('button', { name: `Profile menu for ${username}` }).waitFor();
  return { username, context, page, problems };
}

/** @param {import('playwright-core').Page} page @param {string} name */
const chatEntry = (page, name) => page.getByRole('navigation', { name: 'Chats' }).getByRole('button', { name });
/** @param {import('playwright-core').Page} page */
const log = (page) => page.getByRole('log', { name: 'Messages' });
/** @param {import('playwright-core').Page} page @param {string} text */
const message = (page, text) => log(page).getByRole('listitem').filter({ hasText: text });

/** @param {import('playwright-core').Page} page @param {string} name */
async function openChat(page, name) {
  await chatEntry(page, name).click();
  await page.getByRole('textbox', { name: 'Message' }).waitFor();
}

/** @param {...User} users */
function assertNoProblems(...users) {
  for (const u of users) assert.deepEqual(u.problems, [], `${u.username}: no console errors or CSP violations`);
}

before(async () => {
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  for (const s of servers) await s.stop();
});

test('a message counts down and disappears from both views and the chat list at its expiry', { timeout: TIMEOUT }, async () => {
  const server = await startServer({ env: { ...KDF, MESSGO_RETENTION: '6s', MESSGO_SWEEP_INTERVAL: '1s' } });
  servers.push(server);
  const [A, B] = await Promise.all(['ann', 'bob'].map((tag) => signUp(tag, server)));
  await connect(A, B);
  await openChat(A.page, B.username);
  await openChat(B.page, A.username);

  const text = 'this one will vanish';
  const box = A.page.getByRole('textbox', { name: 'Message' });
  await box.fill(text);
  await box.press('Enter');
  for (const page of [A.page, B.page]) {
    const countdown = message(page, text).locator('.msg-expiry');
    await countdown.waitFor();
    assert.match(await countdown.innerText(), /^[1-6]s$/, 'seconds left, in short');
    assert.match(await countdown.getAttribute('aria-label') ?? '', /^Disappears in \d seconds?$/);
  }
  assert.match(await chatEntry(B.page, A.username).innerText(), new RegExp(text), 'the preview shows it while it lasts');

  // The countdown moves on its own.
  const first = await message(B.page, text).locator('.msg-expiry').innerText();
  await B.page.waitForFunction((before) => {
    const el = document.querySelector('.msg-expiry');
    return el !== null && el.textContent !== before;
  }, first);

  // Gone at its expiry, from both views, without a reload; the server's sweep is not
  // what removes it from the screen, the clients' own clocks are.
  for (const page of [A.page, B.page]) await message(page, text).waitFor({ state: 'detached', timeout: GONE_WITHIN });
  for (const [page, other] of [[A.page, B.username], [B.page, A.username]]) {
    const preview = await chatEntry(page, other).innerText();
    assert.doesNotMatch(preview, new RegExp(text), 'the chat list forgot it too');
  }

  // Still gone after a reload: the server no longer serves it.
  for (const [page, other] of [[A.page, B.username], [B.page, A.username]]) {
    await page.reload();
    await openChat(page, other);
    await log(page).getByText('Messages stay on the server').waitFor();
    assert.equal(await message(page, text).count(), 0, 'not back after a reload');
    assert.doesNotMatch(await chatEntry(page, other).innerText(), new RegExp(text));
  }
  assertNoProblems(A, B);
});

test('the chat timer is set from the chat, announced to both, and new chats take the default', { timeout: TIMEOUT }, async () => {
  const server = await startServer({ env: KDF });
  servers.push(server);
  const [A, B, C] = await Promise.all(['ann', 'bob', 'cat'].map((tag) => signUp(tag, server)));

  // The default timer for new chats, in Settings.
  await A.page.getByRole('button', { name: `Profile menu for ${A.username}` }).click();
  await A.page.getByRole('button', { name: 'Settings' }).click();
  const select = A.page.getByLabel('Default timer for new chats');
  assert.equal(await select.inputValue(), '259200', 'three days by default');
  await select.selectOption({ label: '8 hours' });
  await A.page.getByText('Saved.').waitFor();
  const settings = await api(A.page, 'GET', '/api/settings');
  assert.equal(settings.default_timer_secs, 28800);
  assert.equal(settings.typing_indicators, false, 'the other settings are kept');
  assert.equal(settings.read_receipts, false);
  await A.page.getByRole('button', { name: 'Close Settings' }).click();

  // A chat made now starts with it.
  await connect(A, B);
  await openChat(A.page, B.username);
  const timer = A.page.getByRole('button', { name: /^Disappearing messages/ });
  await A.page.getByRole('button', { name: 'Disappearing messages: 8 hours' }).waitFor();

  await timer.click();
  const dialog = A.page.getByRole('dialog', { name: 'Disappearing messages' });
  await dialog.getByLabel('New messages disappear after').selectOption({ label: '1 hour' });
  await dialog.getByRole('button', { name: 'Save' }).click();
  await dialog.waitFor({ state: 'detached' });
  await log(A.page).getByText('You set messages to disappear after 1 hour').waitFor();
  await A.page.getByRole('button', { name: 'Disappearing messages: 1 hour' }).waitFor();

  await openChat(B.page, A.username);
  await log(B.page).getByText(`${A.username} set messages to disappear after 1 hour`).waitFor();
  await B.page.getByRole('button', { name: 'Disappearing messages: 1 hour' }).waitFor();

  // A message sent now shows the chat's hour as its time left.
  const box = B.page.getByRole('textbox', { name: 'Message' });
  await box.fill('an hour at most');
  await box.press('Enter');
  await message(A.page, 'an hour at most').locator('.msg-expiry', { hasText: /^60m$/ }).waitFor();

  // In a group only admins may change it.
  await connect(A, C);
  await A.page.getByRole('button', { name: 'New group' }).click();
  const create = A.page.getByRole('dialog', { name: 'New group' });
  await create.getByLabel('Group name').fill('Timers');
  await create.getByLabel(C.username).check();
  await create.getByRole('button', { name: 'Create group' }).click();
  await create.waitFor({ state: 'detached' });
  await openChat(C.page, 'Timers');
  await C.page.getByRole('button', { name: /^Disappearing messages/ }).click();
  const denied = C.page.getByRole('dialog', { name: 'Disappearing messages' });
  await denied.getByText('Only the group\'s admins can change this.').waitFor();
  assert.equal(await denied.getByLabel('New messages disappear after').isDisabled(), true);
  await C.page.keyboard.press('Escape');
  assertNoProblems(A, B, C);
});
