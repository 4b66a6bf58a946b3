// Consent-based connections in real browsers against the real server: three people
// (A, B, C), each in their own browser context, see requests, contacts and removals
// arrive live over the WebSocket, never by reloading. The promises checked: both sides
// compute the same safety number, a declined request looks to its sender exactly like
// one still waiting, and a username that does not exist gets the same answer as one
// that does. Every wait is on a condition, never on the clock.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { launchChromium, watchProblems } from './browser.mjs';
import { startServer } from './server.mjs';

const TIMEOUT = 120_000;
const PASSWORD = 'correct horse battery staple';
const SAFETY_NUMBER = /^\d{5}( \d{5}){11}$/;

/** @type {Awaited<ReturnType<typeof startServer>>} */
let server;
/** @type {import('playwright-core').Browser} */
let browser;
/** @typedef {Awaited<ReturnType<typeof signUp>>} User */
/** @type {User} */ let A;
/** @type {User} */ let B;
/** @type {User} */ let C;

/** @param {import('playwright-core').Page} page */
function watch(page) {
  // A page opened signed out asks /api/me first; the 400 is the malformed username
  // the last test sends on purpose.
  return watchProblems(page, [[401, '/api/me'], [400, '/api/connections/requests']]);
}

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
  await contactsNav(page).getByText('No contacts yet').waitFor();
  return { username, context, page, problems };
}

/** @param {import('playwright-core').Page} page */
const contactsNav = (page) => page.getByRole('navigation', { name: 'Contacts' });
/** @param {import('playwright-core').Page} page @param {string} username */
const contactButton = (page, username) => contactsNav(page).getByRole('button', { name: username });
/** @param {import('playwright-core').Page} page */
const incoming = (page) => page.getByRole('list', { name: 'Incoming requests' }).getByRole('listitem');
/** @param {import('playwright-core').Page} page */
const sent = (page) => page.getByRole('list', { name: 'Sent requests' }).getByRole('listitem');

/** The text of a safety number once it has been computed. @param {import('playwright-core').Locator} group */
async function safetyNumber(group) {
  await group.and(group.page().locator(':not([aria-busy])')).waitFor();
  return ((await group.textContent()) ?? '').trim();
}

/**
 * Sends a request from the Add contact dialog and returns the confirmation shown.
 * @param {import('playwright-core').Page} page @param {string} target
 */
async function sendRequest(page, target) {
  const opener = page.getByRole('button', { name: 'Add contact', exact: true }).first();
  await opener.click();
  const dialog = page.getByRole('dialog', { name: 'Add contact' });
  await dialog.getByLabel('Username, connect key or link').fill(target);
  await dialog.getByRole('button', { name: 'Send request' }).click();
  const status = dialog.getByRole('status');
  await status.filter({ hasText: 'Request sent.' }).waitFor();
  const text = ((await status.textContent()) ?? '').trim();
  assert.equal(await dialog.getByRole('alert').count(), 0, 'no error next to the confirmation');
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
  assert.ok(await opener.evaluate((el) => el === document.activeElement), 'closing the dialog returns focus to its opener');
  return text;
}

/** @param {import('playwright-core').Page} page */
async function openRequests(page) {
  await page.getByRole('button', { name: /^Requests/ }).click();
  await page.getByRole('heading', { name: 'Requests', level: 2, exact: true }).waitFor();
}

function assertNoProblems() {
  for (const user of [A, B, C]) assert.deepEqual(user.problems, [], `${user.username}: no console errors or CSP violations`);
}

before(async () => {
  // The lowest KDF cost the server accepts: three registrations, not a benchmark.
  server = await startServer({ env: { MESSGO_KDF_ITERATIONS: '100000' } });
  browser = await launchChromium();
  [A, B, C] = await Promise.all(['alice', 'bob', 'carol'].map(signUp));
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('a request by username arrives live, shows the same safety number on both sides, and connects both', { timeout: TIMEOUT }, async () => {
  const confirmation = await sendRequest(A.page, B.username);
  assert.equal(confirmation, `Request sent. If ${B.username} exists and accepts, they'll appear in your contacts.`);
  await openRequests(A.page);
  await sent(A.page).filter({ hasText: `To ${B.username}` }).waitFor();

  // B has not reloaded: the badge and the entry come over the socket.
  const requestsB = B.page.getByRole('button', { name: 'Requests (1 incoming)' });
  await requestsB.waitFor();
  await requestsB.click();
  const entry = incoming(B.page).filter({ hasText: A.username });
  await entry.waitFor();
  assert.match((await entry.locator('time').textContent()) ?? '', /^(just now|\d+ min ago)$/);
  const numberAtRequest = await safetyNumber(entry.getByRole('group', { name: `Safety number with ${A.username}` }));
  assert.match(numberAtRequest, SAFETY_NUMBER);

  await entry.getByRole('button', { name: `Accept request from ${A.username}` }).click();
  await contactButton(B.page, A.username).waitFor();
  await contactButton(A.page, B.username).waitFor();
  await B.page.getByRole('button', { name: 'Requests', exact: true }).waitFor();
  await sent(A.page).filter({ hasText: `To ${B.username}` }).waitFor({ state: 'detached' });

  await contactButton(A.page, B.username).click();
  await A.page.getByRole('heading', { name: B.username, level: 2 }).waitFor();
  await A.page.getByRole('main').getByText(`@${B.username}`).waitFor();
  const numberA = await safetyNumber(A.page.getByRole('group', { name: `Safety number with ${B.username}` }));
  await contactButton(B.page, A.username).click();
  const numberB = await safetyNumber(B.page.getByRole('group', { name: `Safety number with ${A.username}` }));
  assert.equal(numberA, numberAtRequest, 'A computes the number B saw before accepting');
  assert.equal(numberB, numberAtRequest, 'and B computes it again for the contact');
  assertNoProblems();
});

test('a connect key read from C\'s screen opens a pre-filled dialog; a decline changes nothing A can see', { timeout: TIMEOUT }, async () => {
  await C.page.getByRole('button', { name: `Profile menu for ${C.username}` }).click();
  await C.page.getByRole('button', { name: 'Your connect key' }).click();
  // Shown only once the key has arrived.
  const keyField = C.page.getByLabel('Connect key', { exact: true });
  await keyField.waitFor();
  const key = await keyField.inputValue();
  assert.match(key, /^[0-9a-hjkmnp-tv-z]{4}(-[0-9a-hjkmnp-tv-z]{4}){7}$/);
  const link = await C.page.getByLabel('Connect link').inputValue();
  assert.equal(link, `${server.url}/#connect=${key.replaceAll('-', '')}`);

  // The link opened as a new tab of A's, as clicking it in a mail would.
  const tab = await A.context.newPage();
  const tabProblems = watch(tab);
  await tab.goto(link);
  const dialog = tab.getByRole('dialog', { name: 'Add contact' });
  await dialog.waitFor();
  assert.equal(await dialog.getByLabel('Username, connect key or link').inputValue(), key);
  await tab.waitForFunction(() => location.hash === '');
  await dialog.getByRole('button', { name: 'Send request' }).click();
  await dialog.getByRole('status').filter({
    hasText: `Request sent. If the owner of ${key} exists and accepts, they'll appear in your contacts.`,
  }).waitFor();

  // A's first tab learns of its own new request too (outgoing.added to every session).
  const pending = sent(A.page).filter({ hasText: `To ${key}` });
  await openRequests(A.page);
  await pending.waitFor();
  const before = await pending.evaluate((el) => ({ text: el.textContent, at: el.querySelector('time')?.dateTime }));

  await C.page.getByRole('button', { name: 'Requests (1 incoming)' }).click();
  const entry = incoming(C.page).filter({ hasText: A.username });
  await entry.getByRole('button', { name: `Decline request from ${A.username}` }).click();
  await entry.waitFor({ state: 'detached' });
  await C.page.getByText('No one has asked to connect with you.').waitFor();
  await C.page.getByRole('button', { name: 'Requests', exact: true }).waitFor();

  // Something A's socket carries after the decline: once it is on screen, anything the
  // decline could have caused would be too.
  const nobody = `nobody_${crypto.randomUUID().slice(0, 8)}`;
  await sendRequest(A.page, nobody);
  await sent(A.page).filter({ hasText: `To ${nobody}` }).waitFor();
  const afterwards = await pending.evaluate((el) => ({ text: el.textContent, at: el.querySelector('time')?.dateTime }));
  assert.deepEqual(afterwards, before, 'the declined request reads exactly as before');
  assert.equal(await contactsNav(A.page).getByRole('button').count(), 1, 'A has B and nobody else');
  assert.equal(await contactButton(A.page, C.username).count(), 0);

  assert.deepEqual(tabProblems, []);
  await tab.close();
  assertNoProblems();
});

test('removing a contact, after a confirmation, removes it on both sides at once', { timeout: TIMEOUT }, async () => {
  await contactButton(A.page, B.username).click();
  const remove = A.page.getByRole('button', { name: 'Remove contact' });
  await remove.click();
  const confirm = A.page.getByRole('dialog', { name: `Remove ${B.username}?` });
  await confirm.waitFor();
  // Esc is "no": nothing happens and focus is back where it was.
  await A.page.keyboard.press('Escape');
  await confirm.waitFor({ state: 'detached' });
  assert.ok(await remove.evaluate((el) => el === document.activeElement), 'focus returns to Remove contact');
  await contactButton(B.page, A.username).waitFor();

  await remove.click();
  await confirm.getByRole('button', { name: 'Remove', exact: true }).click();
  await contactButton(A.page, B.username).waitFor({ state: 'detached' });
  await contactButton(B.page, A.username).waitFor({ state: 'detached' });
  await contactsNav(B.page).getByText('No contacts yet').waitFor();
  await contactsNav(A.page).getByText('No contacts yet').waitFor();
  // Both contact pages closed with the connection.
  await A.page.getByRole('heading', { name: B.username, level: 2 }).waitFor({ state: 'detached' });
  await B.page.getByRole('heading', { name: A.username, level: 2 }).waitFor({ state: 'detached' });
  assertNoProblems();
});

test('a request to a username that does not exist reads exactly like one to a user who does', { timeout: TIMEOUT }, async () => {
  const ghost = `ghost_${crypto.randomUUID().slice(0, 8)}`;
  const toGhost = await sendRequest(C.page, ghost);
  const toReal = await sendRequest(C.page, B.username);
  assert.equal(toGhost.replace(ghost, '<x>'), toReal.replace(B.username, '<x>'));
  assert.equal(toGhost, `Request sent. If ${ghost} exists and accepts, they'll appear in your contacts.`);

  await openRequests(C.page);
  const ghostEntry = sent(C.page).filter({ hasText: `To ${ghost}` });
  const realEntry = sent(C.page).filter({ hasText: `To ${B.username}` });
  await ghostEntry.waitFor();
  await realEntry.waitFor();
  assert.equal((await ghostEntry.textContent())?.replace(ghost, '<x>'), (await realEntry.textContent())?.replace(B.username, '<x>'));
  await ghostEntry.getByRole('button', { name: `Cancel request to ${ghost}` }).click();
  await ghostEntry.waitFor({ state: 'detached' });
  await realEntry.waitFor();

  // Malformed input is the one thing the answer may complain about, in the server's words.
  await C.page.getByRole('button', { name: 'Add contact', exact: true }).first().click();
  const dialog = C.page.getByRole('dialog', { name: 'Add contact' });
  const field = dialog.getByLabel('Username, connect key or link');
  await field.fill('No Way!');
  await dialog.getByRole('button', { name: 'Send request' }).click();
  await dialog.getByRole('alert').filter({ hasText: /\S/ }).waitFor();
  assert.equal(await field.getAttribute('aria-invalid'), 'true');
  assert.equal(await dialog.getByRole('status').count(), 0, 'no confirmation for a malformed username');
  await C.page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
  assertNoProblems();
});

test('a display name reaches contacts live; block and unblock from the contact page and Settings', { timeout: TIMEOUT }, async () => {
  // C's request to B from the previous test is still waiting.
  await B.page.getByRole('button', { name: 'Requests (1 incoming)' }).click();
  await incoming(B.page).getByRole('button', { name: `Accept request from ${C.username}` }).click();
  await contactButton(C.page, B.username).waitFor();

  await B.page.getByRole('button', { name: `Profile menu for ${B.username}` }).click();
  await B.page.getByRole('button', { name: 'Settings' }).click();
  await B.page.getByLabel('Display name').fill('Bobby Tables');
  await B.page.getByRole('button', { name: 'Save' }).click();
  await B.page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
  await contactButton(C.page, 'Bobby Tables').waitFor();

  await contactButton(C.page, 'Bobby Tables').click();
  await C.page.getByRole('heading', { name: 'Bobby Tables', level: 2 }).waitFor();
  await C.page.getByRole('main').getByRole('button', { name: 'Block' }).click();
  await C.page.getByRole('dialog', { name: `Block ${B.username}?` }).getByRole('button', { name: 'Block' }).click();
  await contactButton(C.page, B.username).waitFor({ state: 'detached' });
  await contactButton(B.page, C.username).waitFor({ state: 'detached' });

  await C.page.getByRole('button', { name: `Profile menu for ${C.username}` }).click();
  await C.page.getByRole('button', { name: 'Settings' }).click();
  const blocked = C.page.getByRole('list', { name: 'Blocked users' }).getByRole('listitem');
  await blocked.filter({ hasText: B.username }).waitFor();
  await C.page.getByRole('button', { name: `Unblock ${B.username}` }).click();
  await C.page.getByText('You have not blocked anyone.').waitFor();
  assert.equal(await blocked.count(), 0);
  assertNoProblems();
});

test('rotating the connect key asks first, then shows a new key', { timeout: TIMEOUT }, async () => {
  await C.page.getByRole('button', { name: `Profile menu for ${C.username}` }).click();
  await C.page.getByRole('button', { name: 'Your connect key' }).click();
  const keyField = C.page.getByLabel('Connect key', { exact: true });
  await keyField.waitFor();
  const old = await keyField.inputValue();
  await C.page.getByRole('button', { name: 'Rotate key' }).click();
  const confirm = C.page.getByRole('dialog', { name: 'Rotate your connect key?' });
  await confirm.getByRole('button', { name: 'Cancel' }).click();
  assert.equal(await keyField.inputValue(), old, 'cancelled: the key stays');
  await C.page.getByRole('button', { name: 'Rotate key' }).click();
  await confirm.getByRole('button', { name: 'Rotate key' }).click();
  await C.page.getByRole('status').filter({ hasText: 'The old one no longer works.' }).waitFor();
  const rotated = await keyField.inputValue();
  assert.notEqual(rotated, old);
  assert.equal(await C.page.getByLabel('Connect link').inputValue(), `${server.url}/#connect=${rotated.replaceAll('-', '')}`);
  assertNoProblems();
});

test('after a 1013 close the client reconnects and fetches what it missed', { timeout: TIMEOUT }, async () => {
  // A fourth user whose socket runs through a proxy in the test: it can swallow frames
  // (a tab that fell behind) and close the socket as a server shedding it would.
  const context = await browser.newContext();
  /** @type {Array<(ws: import('playwright-core').WebSocketRoute) => void>} */
  const waiting = [];
  let mute = false;
  /** @type {(() => void) | null} */
  let onSwallowed = null;
  await context.routeWebSocket(/\/api\/ws$/, (ws) => {
    const upstream = ws.connectToServer();
    ws.onMessage((frame) => upstream.send(frame));
    upstream.onMessage((frame) => {
      if (!mute) return ws.send(frame);
      onSwallowed?.();
    });
    waiting.shift()?.(ws);
  });
  /** @returns {Promise<import('playwright-core').WebSocketRoute>} */
  const nextSocket = () => new Promise((resolve) => waiting.push(resolve));

  const firstSocket = nextSocket();
  const page = await context.newPage();
  const problems = watch(page);
  const username = `dave_${crypto.randomUUID().slice(0, 8)}`;
  await page.goto(server.url);
  await page.getByRole('button', { name: 'Create an account' }).click();
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Confirm password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  const socket = await firstSocket;
  await contactsNav(page).getByText('No contacts yet').waitFor();

  mute = true;
  const swallowed = new Promise((resolve) => { onSwallowed = () => resolve(undefined); });
  await sendRequest(A.page, username);
  await swallowed;
  assert.equal(await page.getByRole('button', { name: 'Requests', exact: true }).count(), 1, 'the event was lost');

  mute = false;
  const secondSocket = nextSocket();
  await socket.close({ code: 1013, reason: 'too slow' });
  await secondSocket;
  await page.getByRole('button', { name: 'Requests (1 incoming)' }).waitFor();
  assert.deepEqual(problems, []);
  await context.close();
  assertNoProblems();
});
