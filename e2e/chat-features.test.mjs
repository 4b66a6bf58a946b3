// The rest of the chat client in real browsers: deleting (for everyone and for me), a
// refused send and its retry, a lost frame filled from history, typing and read
// receipts, the keyboard (Ctrl+K, Esc), group administration with its new epochs, the
// safety-number warning, and older messages paging in. Waits are on conditions only.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { launchChromium, watchProblems } from './browser.mjs';
import { startServer } from './server.mjs';
import { api, connect } from './people.mjs';

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

/**
 * A fresh browser context with its own account. `route` may put a proxy in front of
 * the WebSocket before the page opens it.
 * @param {string} tag @param {(context: import('playwright-core').BrowserContext) => Promise<void>} [route]
 */
async function signUp(tag, route) {
  const username = `${tag}_${crypto.randomUUID().slice(0, 8)}`;
  const context = await browser.newContext();
  await route?.(context);
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

/** @param {import('playwright-core').Page} page @param {string} text */
async function type(page, text) {
  await composer(page).fill(text);
  await composer(page).press('Enter');
}

/** @param {import('playwright-core').Page} page @param {string} text */
async function send(page, text) {
  await type(page, text);
  await message(page, text).filter({ hasText: /Sent|Read/ }).waitFor();
}

/** @param {import('playwright-core').Page} page @param {string} name */
async function openSettings(page, name) {
  await page.getByRole('button', { name: `Profile menu for ${name}` }).click();
  await page.getByRole('button', { name: 'Settings' }).click();
  await page.getByRole('heading', { name: 'Settings', level: 2 }).waitFor();
}

function assertNoProblems() {
  for (const user of [A, B, C]) assert.deepEqual(user.problems, [], `${user.username}: no console errors or CSP violations`);
}

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

test('delete for everyone leaves a tombstone on both sides; delete for me hides it here, across reloads', { timeout: TIMEOUT }, async () => {
  await openChat(A.page, B.username);
  await send(A.page, 'oops, wrong chat');
  await send(A.page, 'keep me');
  await openChat(B.page, A.username);
  await message(B.page, 'oops, wrong chat').waitFor();

  await message(A.page, 'oops, wrong chat').getByRole('button', { name: 'Message actions' }).click();
  await A.page.getByRole('menu', { name: 'Message actions' }).getByRole('menuitem', { name: 'Delete' }).click();
  const dialog = A.page.getByRole('dialog', { name: 'Delete message?' });
  await dialog.getByRole('button', { name: 'Delete for everyone' }).click();
  await message(A.page, 'Message deleted').waitFor();
  await message(B.page, 'Message deleted').waitFor();
  assert.equal(await message(B.page, 'oops').count(), 0);
  assert.equal(await message(A.page, 'oops').count(), 0);

  await message(B.page, 'keep me').getByRole('button', { name: 'Message actions' }).click();
  await B.page.getByRole('menuitem', { name: 'Delete' }).click();
  const forMe = B.page.getByRole('dialog', { name: 'Delete message?' });
  assert.equal(await forMe.getByRole('button', { name: 'Delete for everyone' }).count(), 0, 'only the sender deletes for everyone');
  await forMe.getByRole('button', { name: 'Delete for me' }).click();
  await message(B.page, 'keep me').waitFor({ state: 'detached' });
  await B.page.reload();
  await openChat(B.page, A.username);
  await message(B.page, 'Message deleted').waitFor();
  assert.equal(await message(B.page, 'keep me').count(), 0, 'still hidden after a reload');
  assert.equal(await message(A.page, 'keep me').count(), 1, 'the sender still has it');
  assertNoProblems();
});

test('a refused send offers Retry, which delivers it once; lost frames come back from history and resume', { timeout: TIMEOUT }, async () => {
  let refuseNextSend = false;
  let dropNextMessage = false;
  let dropAll = false;
  /** @type {(() => void) | null} */
  let onDropped = null;
  /** @type {import('playwright-core').WebSocketRoute | null} */
  let socket = null;
  /** @type {(() => void) | null} */
  let onSocket = null;
  const D = await signUp('dan', (context) => context.routeWebSocket(/\/api\/ws$/, (ws) => {
    socket = ws;
    onSocket?.();
    const upstream = ws.connectToServer();
    ws.onMessage((frame) => {
      const f = JSON.parse(String(frame));
      if (f.type === 'send' && refuseNextSend) {
        refuseNextSend = false;
        ws.send(JSON.stringify({ type: 'nack', chat_id: f.chat_id, id: f.id, code: 'rate_limited', message: 'Slow down.' }));
        return;
      }
      upstream.send(frame);
    });
    upstream.onMessage((frame) => {
      if (dropAll || (dropNextMessage && JSON.parse(String(frame)).type === 'message')) {
        dropNextMessage = false;
        onDropped?.();
        return;
      }
      ws.send(frame);
    });
  }));
  await connect(D, A);
  await openChat(D.page, A.username);

  refuseNextSend = true;
  await type(D.page, 'second time lucky');
  const failed = message(D.page, 'second time lucky');
  await failed.getByText('Failed').waitFor();
  await failed.getByRole('alert').filter({ hasText: 'too fast' }).waitFor();
  await failed.getByRole('button', { name: 'Retry' }).click();
  await failed.getByText('Sent').waitFor();
  await openChat(A.page, D.username);
  await message(A.page, 'second time lucky').waitFor();
  assert.equal(await message(A.page, 'second time lucky').count(), 1);

  dropNextMessage = true;
  const dropped = new Promise((resolve) => { onDropped = () => resolve(undefined); });
  await send(A.page, 'lost on the way');
  await dropped;
  await send(A.page, 'and the next one');
  await message(D.page, 'and the next one').waitFor();
  await message(D.page, 'lost on the way').waitFor();
  const texts = await log(D.page).locator('li.msg .msg-text').allInnerTexts();
  assert.deepEqual(texts.slice(-2), ['lost on the way', 'and the next one'], 'filled in, in order');

  // A tab that fell behind is shed (1013); what it missed comes back by resume.
  dropAll = true;
  const away = new Promise((resolve) => { onDropped = () => resolve(undefined); });
  await send(A.page, 'while you were away');
  await away;
  const reconnected = new Promise((resolve) => { onSocket = () => resolve(undefined); });
  dropAll = false;
  await /** @type {import('playwright-core').WebSocketRoute} */ (socket).close({ code: 1013, reason: 'too slow' });
  await reconnected;
  await message(D.page, 'while you were away').waitFor();
  assert.equal(await message(D.page, 'while you were away').count(), 1);
  assert.deepEqual(D.problems, []);
  await D.context.close();
  assertNoProblems();
});

test('typing indicators and read receipts work once both people turn them on', { timeout: TIMEOUT }, async () => {
  for (const user of [A, B]) {
    await openSettings(user.page, user.username);
    for (const label of ['Typing indicators', 'Read receipts']) {
      const box = user.page.getByRole('checkbox', { name: label });
      assert.equal(await box.isChecked(), false, `${label} are off by default`);
      await box.check();
      await user.page.waitForFunction((l) => {
        const input = [...document.querySelectorAll('label')].find((x) => x.textContent === l)?.control;
        return input instanceof HTMLInputElement && input.checked && !input.disabled;
      }, label);
    }
  }
  await openChat(A.page, B.username);
  await openChat(B.page, A.username);
  await composer(B.page).pressSequentially('writing');
  await A.page.getByText(`${B.username} is typing…`).waitFor();

  await send(A.page, 'did you read this?');
  await message(B.page, 'did you read this?').waitFor();
  await message(A.page, 'did you read this?').getByText('Read', { exact: true }).waitFor();
  assertNoProblems();
});

test('Ctrl+K switches chats, Esc closes one, and a contact\'s page opens theirs', { timeout: TIMEOUT }, async () => {
  await A.page.keyboard.press('Control+k');
  const switcher = A.page.getByRole('dialog', { name: 'Go to chat' });
  await switcher.waitFor();
  await switcher.getByRole('combobox').fill(C.username.slice(0, 6));
  await switcher.getByRole('option', { name: C.username }).waitFor();
  await A.page.keyboard.press('Enter');
  await A.page.getByRole('heading', { name: C.username, level: 2 }).waitFor();
  assert.ok(await composer(A.page).evaluate((el) => el === document.activeElement), 'ready to type');

  await A.page.keyboard.press('Escape');
  await A.page.getByRole('heading', { name: 'Private by design' }).waitFor();

  await A.page.getByRole('navigation', { name: 'Contacts' }).getByRole('button', { name: B.username }).click();
  await A.page.getByRole('button', { name: 'Message' }).click();
  await A.page.getByRole('heading', { name: B.username, level: 2 }).waitFor();
  await composer(A.page).waitFor();
  assertNoProblems();
});

test('group admins promote, rename and remove (with a new key); members leave', { timeout: TIMEOUT }, async () => {
  await A.page.getByRole('button', { name: 'New group' }).click();
  const dialog = A.page.getByRole('dialog', { name: 'New group' });
  await dialog.getByLabel('Group name').fill('Team');
  await dialog.getByLabel(B.username).check();
  await dialog.getByLabel(C.username).check();
  await dialog.getByRole('button', { name: 'Create group' }).click();
  await A.page.getByRole('heading', { name: 'Team', level: 2 }).waitFor();
  await send(A.page, 'hello team');
  await openChat(C.page, /^Team/);
  await message(C.page, 'hello team').waitFor();

  await A.page.getByRole('button', { name: 'Group info' }).click();
  const members = A.page.getByRole('list', { name: 'Members' });
  await A.page.getByRole('button', { name: `Make ${B.username} an admin` }).click();
  await members.getByRole('listitem').filter({ hasText: B.username }).getByText('Admin').waitFor();

  await A.page.getByLabel('Group name').fill('Team two');
  await A.page.getByRole('button', { name: 'Rename' }).click();
  await chatEntry(B.page, /^Team two/).waitFor();
  await C.page.getByRole('heading', { name: 'Team two', level: 2 }).waitFor();

  await A.page.getByRole('button', { name: `Remove ${C.username}` }).click();
  await A.page.getByRole('dialog', { name: `Remove ${C.username}?` }).getByRole('button', { name: 'Remove' }).click();
  await members.getByText(`@${C.username}`).waitFor({ state: 'detached' });
  // C's chat closes with the membership.
  await C.page.getByRole('heading', { name: 'Private by design' }).waitFor();
  assert.equal(await chatEntry(C.page, /^Team/).count(), 0);

  await A.page.getByRole('button', { name: 'Close Group' }).click();
  await send(A.page, 'without C');
  await openChat(B.page, /^Team two/);
  await message(B.page, 'without C').waitFor();
  await log(B.page).getByText(`${A.username} removed ${C.username}`).waitFor();

  await B.page.getByRole('button', { name: 'Group info' }).click();
  await B.page.getByRole('button', { name: 'Leave group' }).click();
  await B.page.getByRole('dialog', { name: 'Leave this group?' }).getByRole('button', { name: 'Leave group' }).click();
  await chatEntry(B.page, /^Team/).waitFor({ state: 'detached' });
  await log(A.page).getByText(`${B.username} left`).waitFor();
  assertNoProblems();
});

test('a group picture reaches members live and survives a new epoch for someone added later', { timeout: TIMEOUT }, async () => {
  await A.page.getByRole('button', { name: 'New group' }).click();
  const dialog = A.page.getByRole('dialog', { name: 'New group' });
  await dialog.getByLabel('Group name').fill('Pics');
  await dialog.getByLabel(B.username).check();
  await dialog.getByRole('button', { name: 'Create group' }).click();
  await A.page.getByRole('heading', { name: 'Pics', level: 2 }).waitFor();
  await chatEntry(B.page, /^Pics/).waitFor();

  // A wide PNG: the group picture is its center, as a small square JPEG.
  const png = await A.page.evaluate(async () => {
    const canvas = new OffscreenCanvas(300, 200);
    const ctx = /** @type {OffscreenCanvasRenderingContext2D} */ (canvas.getContext('2d'));
    ctx.fillStyle = '#c0392b';
    ctx.fillRect(0, 0, 300, 200);
    const bytes = new Uint8Array(await (await canvas.convertToBlob({ type: 'image/png' })).arrayBuffer());
    return btoa(String.fromCharCode(...bytes));
  });
  await A.page.getByRole('button', { name: 'Group info' }).click();
  await A.page.getByLabel('Group picture file').setInputFiles({ name: 'red.png', mimeType: 'image/png', buffer: Buffer.from(png, 'base64') });
  await A.page.getByText('Picture saved.').waitFor();

  const pictureIn = (/** @type {import('playwright-core').Locator} */ where) => where.locator('.avatar.has-picture img');
  const bobsPicture = pictureIn(chatEntry(B.page, /^Pics/));
  await bobsPicture.waitFor();
  assert.equal(await bobsPicture.getAttribute('alt'), '');
  const src = /** @type {string} */ (await bobsPicture.getAttribute('src'));
  assert.match(src, /^data:image\/jpeg;base64,/);
  assert.ok(src.length < 24 * 1024, 'the picture stays small');
  const side = await bobsPicture.evaluate((img) => /** @type {HTMLImageElement} */ (img).naturalWidth === 128 && /** @type {HTMLImageElement} */ (img).naturalHeight === 128);
  assert.ok(side, 'a 128 px square');

  // C joins: the next message opens an epoch that re-seals name and picture for them.
  await A.page.getByLabel('Contact to add').selectOption(C.userId);
  await A.page.getByRole('button', { name: 'Add', exact: true }).click();
  await A.page.getByRole('list', { name: 'Members' }).getByText(`@${C.username}`).waitFor();
  await A.page.getByRole('button', { name: 'Close Group' }).click();
  await pictureIn(A.page.locator('.chat-header')).waitFor();
  await send(A.page, 'welcome C');
  const catsPicture = pictureIn(chatEntry(C.page, /^Pics/));
  await catsPicture.waitFor();
  assert.equal(await catsPicture.getAttribute('src'), src);

  await A.page.getByRole('button', { name: 'Group info' }).click();
  await A.page.getByRole('button', { name: 'Remove picture' }).click();
  await A.page.getByText('Picture removed.').waitFor();
  await bobsPicture.waitFor({ state: 'detached' });
  await chatEntry(B.page, /^Pics/).waitFor();
  await A.page.getByRole('button', { name: 'Close Group' }).click();
  assertNoProblems();
});

test('a signing key other than the one first seen shows a warning until compared', { timeout: TIMEOUT }, async () => {
  // As if this browser had first seen another key for A: what a swapped key looks like.
  await B.page.evaluate(([me, other]) => {
    localStorage.setItem(`messgo.pins.${me}`, JSON.stringify({ [other]: 'a-different-key' }));
  }, [B.userId, A.userId]);
  await B.page.reload();
  await openChat(B.page, A.username);
  const banner = B.page.getByRole('alert').filter({ hasText: 'safety number has changed' });
  await banner.waitFor();
  await banner.getByRole('button', { name: 'I have compared it' }).click();
  await banner.waitFor({ state: 'detached' });
  await B.page.reload();
  await openChat(B.page, A.username);
  await message(B.page, 'did you read this?').waitFor();
  assert.equal(await banner.count(), 0, 'remembered');
  assertNoProblems();
});

test('older messages page in when scrolling up', { timeout: TIMEOUT }, async () => {
  await openChat(A.page, C.username);
  for (let i = 1; i <= 60; i++) await send(A.page, `count ${i}.`);
  await C.page.reload();
  await openChat(C.page, A.username);
  await message(C.page, 'count 60.').waitFor();
  assert.equal(await message(C.page, 'count 1.').count(), 0, 'the first page holds the newest messages only');
  await log(C.page).evaluate((el) => { el.scrollTop = 0; });
  await message(C.page, 'count 1.').waitFor();
  const texts = await log(C.page).locator('li.msg .msg-text').allInnerTexts();
  assert.deepEqual(texts, Array.from({ length: 60 }, (_, i) => `count ${i + 1}.`));
  assertNoProblems();
});

test('a message whose signature does not check out is flagged and never shown', { timeout: TIMEOUT }, async () => {
  // B's browser posts bytes that no key signed: what a server or a thief without B's key could forge.
  const chatId = (await api(B.page, 'GET', '/api/contacts')).contacts.find((/** @type {any} */ c) => c.user_id === A.userId).chat_id;
  const { epoch } = await api(B.page, 'GET', `/api/chats/${chatId}`);
  await B.page.evaluate(async ([chat, e]) => {
    const b64u = (/** @type {number} */ n) => btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(n))))
      .replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
    const body = { id: crypto.randomUUID(), epoch: e, nonce: b64u(12), ciphertext: b64u(48), signature: b64u(64) };
    const res = await fetch(`/api/chats/${chat}/messages`, {
      method: 'POST', headers: { 'X-MessGo': '1', 'Content-Type': 'application/json' }, body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`forged send: ${res.status}`);
  }, /** @type {[string, number]} */ ([chatId, epoch]));
  await openChat(A.page, B.username);
  await message(A.page, 'This message could not be verified').getByRole('note').waitFor();
  assertNoProblems();
});

test('desktop notifications, when allowed, say "New message" unless the text is allowed too', { timeout: TIMEOUT }, async () => {
  // The browser's side is played by the page: a Notification that records, and a tab
  // that reports itself hidden when the test says so.
  const E = await signUp('eve', (context) => context.addInitScript(() => {
    const w = /** @type {any} */ (window);
    w.__notes = [];
    w.__hidden = false;
    w.Notification = class {
      static permission = 'default';
      static async requestPermission() {
        w.Notification.permission = 'granted';
        return 'granted';
      }
      /** @param {string} title @param {{body: string}} options */
      constructor(title, options) {
        w.__notes.push({ title, body: options.body });
      }
    };
    Object.defineProperty(Document.prototype, 'visibilityState', { get: () => (w.__hidden ? 'hidden' : 'visible') });
  }));
  await connect(A, E);
  await openSettings(E.page, E.username);
  await E.page.getByRole('checkbox', { name: 'Desktop notifications' }).check();
  await E.page.waitForFunction(() => {
    const box = /** @type {HTMLInputElement | null} */ (document.querySelector('input[type=checkbox]:checked'));
    return box !== null && !box.disabled;
  });
  await E.page.evaluate(() => { /** @type {any} */ (window).__hidden = true; });
  await openChat(A.page, E.username);
  await send(A.page, 'secret plans');
  await E.page.waitForFunction(() => /** @type {any} */ (window).__notes.length === 1);
  assert.deepEqual(await E.page.evaluate(() => /** @type {any} */ (window).__notes), [{ title: 'MessGo', body: 'New message' }]);

  await E.page.getByRole('checkbox', { name: 'Show message text in notifications' }).check();
  await send(A.page, 'more plans');
  await E.page.waitForFunction(() => /** @type {any} */ (window).__notes.length === 2);
  const notes = await E.page.evaluate(() => /** @type {any} */ (window).__notes);
  assert.deepEqual(notes[1], { title: A.username, body: 'more plans' });
  assert.deepEqual(E.problems, []);
  await E.context.close();
  assertNoProblems();
});
