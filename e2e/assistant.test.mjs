// The personal assistant in a real browser against the real server, with a local
// OpenAI-compatible model started here: a node:http server answering
// /v1/chat/completions with server-sent events that the test releases one chunk at a
// time, so progress on the page is seen token by token. It records every request body
// (what the server forwarded: the context the browser built) and sees its connection
// close when the user presses Stop. Every wait is on a condition, never on the clock.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';

import { launchChromium, watchProblems } from './browser.mjs';
import { startServer } from './server.mjs';

const TIMEOUT = 120_000;
const PASSWORD = 'correct horse battery staple';

/**
 * One request the fake model received: its body, and the stream the test writes to.
 * @typedef {{body: any, send: (text: string) => void, finish: () => void, closedEarly: Promise<void>}} Upstream
 */

/** The fake model. `failNext(status)` answers the next request with that status instead of a stream. */
async function startFakeModel() {
  /** @type {Upstream[]} */
  const requests = [];
  /** @type {(() => void)[]} */
  let waiters = [];
  /** @type {number | null} */
  let failWith = null;

  const server = http.createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
      res.writeHead(404).end();
      return;
    }
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      let finished = false;
      /** @type {() => void} */
      let onEarlyClose = () => {};
      const closedEarly = new Promise((resolve) => { onEarlyClose = () => resolve(undefined); });
      // Only a close before the answer ended means the other side hung up (Stop).
      res.on('close', () => { if (!finished) onEarlyClose(); });
      if (failWith !== null) {
        const status = failWith;
        failWith = null;
        finished = true;
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'Too many requests: echo of the prompt would be here' } }));
      } else {
        res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
        res.flushHeaders();
      }
      requests.push({
        body,
        send: (text) => res.write(`data: ${JSON.stringify({ choices: [{ delta: { content: text } }] })}\n\n`),
        finish: () => {
          finished = true;
          res.end('data: [DONE]\n\n');
        },
        closedEarly,
      });
      const ready = waiters;
      waiters = [];
      for (const w of ready) w();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const port = /** @type {import('node:net').AddressInfo} */ (server.address()).port;
  let taken = 0;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    /** @param {number} status */
    failNext(status) {
      failWith = status;
    },
    /** The next request not yet handed out. @returns {Promise<Upstream>} */
    async next() {
      while (requests.length <= taken) await new Promise((resolve) => waiters.push(() => resolve(undefined)));
      return requests[taken++];
    },
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve(undefined));
    }),
  };
}

/** @type {Awaited<ReturnType<typeof startFakeModel>>} */
let model;
/** @type {Awaited<ReturnType<typeof startServer>>} */
let server;
/** @type {Awaited<ReturnType<typeof startServer>> | null} */
let bare = null;
/** @type {import('playwright-core').Browser} */
let browser;
/** @type {Awaited<ReturnType<typeof signUp>>} */
let A;

/**
 * A fresh browser context with its own account. @param {string} url @param {string} tag
 */
async function signUp(url, tag) {
  const username = `${tag}_${crypto.randomUUID().slice(0, 8)}`;
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = watchProblems(page, [[401, '/api/me']]);
  await page.goto(url);
  await page.getByRole('button', { name: 'Create an account' }).click();
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Confirm password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('button', { name: `Profile menu for ${username}` }).waitFor();
  return { username, context, page, problems };
}

/**
 * A JSON request from inside the page, with its session cookie.
 * @param {import('playwright-core').Page} page @param {string} method @param {string} url @param {unknown} [body]
 */
function api(page, method, url, body) {
  return page.evaluate(async ([m, u, b]) => {
    const init = { method: m, headers: { Accept: 'application/json' } };
    if (m !== 'GET') {
      init.headers = { ...init.headers, 'X-MessGo': '1', 'Content-Type': 'application/json' };
      init.body = JSON.stringify(b ?? {});
    }
    const res = await fetch(u, init);
    if (!res.ok) throw new Error(`${m} ${u}: ${res.status} ${await res.text()}`);
    return res.status === 204 || res.status === 202 ? null : res.json();
  }, /** @type {[string, string, unknown]} */ ([method, url, body]));
}

/** @param {import('playwright-core').Page} page */
const chatsNav = (page) => page.getByRole('navigation', { name: 'Chats' });
/** @param {import('playwright-core').Page} page */
const log = (page) => page.getByRole('log', { name: 'Messages' });
/** @param {import('playwright-core').Page} page */
const composer = (page) => page.getByRole('textbox', { name: 'Message' });
/** The answer being written (or saved), before its stored copy takes its place. @param {import('playwright-core').Page} page */
const streaming = (page) => log(page).locator('li.streaming');
/** A stored answer. @param {import('playwright-core').Page} page @param {string} text */
const answer = (page, text) => log(page).locator('li.assistant-msg[data-seq]').filter({ hasText: text });
/** A stored question. @param {import('playwright-core').Page} page @param {string} text */
const question = (page, text) => log(page).locator('li.msg.own[data-seq]').filter({ hasText: text });

/** @param {import('playwright-core').Page} page */
async function openAssistant(page) {
  await chatsNav(page).getByRole('button', { name: /^Assistant/ }).click();
  await page.getByRole('heading', { name: 'Assistant', level: 2 }).waitFor();
}

/** @param {import('playwright-core').Page} page @param {string} text */
async function ask(page, text) {
  await composer(page).fill(text);
  await composer(page).press('Enter');
}

/** The turns the model received, as role and text (images left out). @param {Upstream} up */
const turns = (up) => up.body.messages.map((/** @type {any} */ m) => ({
  role: m.role,
  text: typeof m.content === 'string' ? m.content : m.content.filter((/** @type {any} */ p) => p.type === 'text').map((/** @type {any} */ p) => p.text).join(''),
}));

before(async () => {
  model = await startFakeModel();
  server = await startServer({
    env: { MESSGO_KDF_ITERATIONS: '100000', MESSGO_AI_URL: model.url, MESSGO_AI_MODEL: 'test-model' },
  });
  browser = await launchChromium();
  A = await signUp(server.url, 'ann');
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await bare?.stop();
  await model?.close();
});

test('the assistant chat is pinned on top, and its banner names the model', { timeout: TIMEOUT }, async () => {
  // Another chat with newer activity still comes second.
  const B = await signUp(server.url, 'bob');
  await api(B.page, 'POST', '/api/connections/requests', { username: A.username });
  const { incoming } = await api(A.page, 'GET', '/api/connections/requests');
  await api(A.page, 'POST', `/api/connections/requests/${incoming[0].id}/accept`, {});
  await chatsNav(A.page).getByRole('button', { name: new RegExp(`^${B.username}`) }).waitFor();
  const names = await chatsNav(A.page).locator('button.chat-entry .contact-name').allInnerTexts();
  assert.deepEqual(names, ['Assistant', B.username]);
  await B.context.close();

  await openAssistant(A.page);
  const banner = A.page.getByRole('note', { name: 'About the assistant' });
  await banner.getByText('test-model').waitFor();
  assert.match(await banner.innerText(),
    /What you send here is processed by test-model and is not end-to-end encrypted on its way to the model\./);
  assert.equal(await composer(A.page).isEnabled(), true);
  assert.deepEqual(A.problems, []);
});

test('the answer streams in token by token, then is stored in the chat', { timeout: TIMEOUT }, async () => {
  await ask(A.page, 'What is MessGo?');
  const up = await model.next();
  assert.equal(up.body.model, 'test-model');
  assert.equal(up.body.stream, true);
  assert.deepEqual(up.body.messages, [{ role: 'user', content: 'What is MessGo?' }]);
  // The question is stored (encrypted) before it is asked.
  await question(A.page, 'What is MessGo?').waitFor();

  await streaming(A.page).getByText('The assistant is writing…').waitFor();
  await streaming(A.page).getByRole('button', { name: 'Stop' }).waitFor();
  up.send('**Private**');
  // The first token is on the page before the model has written the second.
  await streaming(A.page).locator('strong', { hasText: 'Private' }).waitFor();
  assert.equal(await streaming(A.page).innerText().then((t) => t.includes('messenger')), false);
  up.send(' messenger.');
  await streaming(A.page).getByText('messenger.').waitFor();
  up.finish();

  const stored = answer(A.page, 'Private messenger.');
  await stored.waitFor();
  assert.equal(await stored.locator('strong').innerText(), 'Private', 'rendered from Markdown');
  await streaming(A.page).waitFor({ state: 'detached' });
  assert.equal(await log(A.page).getByRole('button', { name: 'Stop' }).count(), 0);
  assert.deepEqual(A.problems, []);
});

test('the next question carries the earlier turns; answers render Markdown safely', { timeout: TIMEOUT }, async () => {
  await ask(A.page, 'And who runs it?');
  const up = await model.next();
  assert.deepEqual(up.body.messages, [
    { role: 'user', content: 'What is MessGo?' },
    { role: 'assistant', content: '**Private** messenger.' },
    { role: 'user', content: 'And who runs it?' },
  ]);
  up.send('You do. See [the docs](https://example.com/docs), ');
  up.send('not [this](javascript:window.__pwned=1) <img src=x onerror="window.__pwned=2">.');
  up.finish();
  const stored = answer(A.page, 'You do.');
  await stored.waitFor();
  const link = stored.getByRole('link', { name: /the docs/ });
  assert.equal(await link.getAttribute('href'), 'https://example.com/docs');
  assert.equal(await link.getAttribute('target'), '_blank');
  assert.equal(await link.getAttribute('rel'), 'noopener noreferrer external');
  assert.equal(await stored.getByRole('link').count(), 1, 'no javascript: link');
  assert.equal(await stored.locator('img').count(), 0, 'raw HTML is text');
  assert.match(await stored.innerText(), /<img src=x onerror="window.__pwned=2">/);
  assert.equal(await A.page.evaluate(() => /** @type {any} */ (window).__pwned), undefined);
  assert.deepEqual(A.problems, []);
});

test('Stop cancels the request upstream and the page stops writing', { timeout: TIMEOUT }, async () => {
  await ask(A.page, 'Tell me a very long story');
  const up = await model.next();
  up.send('Once upon a time');
  await streaming(A.page).getByText('Once upon a time').waitFor();
  await streaming(A.page).getByRole('button', { name: 'Stop' }).click();
  // The server drops the upstream response: the model sees its connection close.
  await up.closedEarly;
  // What came before Stop is kept, and nothing is being written any more.
  await answer(A.page, 'Once upon a time').waitFor();
  await streaming(A.page).waitFor({ state: 'detached' });
  assert.equal(await log(A.page).getByRole('button', { name: 'Stop' }).count(), 0);
  assert.equal(await log(A.page).getByText('The assistant is writing…').count(), 0);
  assert.deepEqual(A.problems, []);
});

test('a provider error is said in words, and Retry asks again', { timeout: TIMEOUT }, async () => {
  model.failNext(429);
  await ask(A.page, 'Are you there?');
  await model.next();
  const alert = log(A.page).getByRole('alert');
  await alert.getByText(/rate-limiting/).waitFor();
  assert.doesNotMatch(await alert.innerText(), /echo of the prompt/, 'the provider\'s body is not relayed');
  await alert.getByRole('button', { name: 'Retry' }).click();
  const again = await model.next();
  assert.deepEqual(turns(again).at(-1), { role: 'user', text: 'Are you there?' });
  assert.equal(turns(again).filter((t) => t.text === 'Are you there?').length, 1, 'the question is in the context once');
  again.send('Yes, here.');
  again.finish();
  await answer(A.page, 'Yes, here.').waitFor();
  assert.equal(await alert.count(), 0);
  assert.equal(await question(A.page, 'Are you there?').count(), 1, 'the question was stored once');
  assert.deepEqual(A.problems, []);
});

test('after a reload the conversation is decrypted from the chat', { timeout: TIMEOUT }, async () => {
  await A.page.reload();
  await openAssistant(A.page);
  await answer(A.page, 'Yes, here.').waitFor();
  for (const text of ['What is MessGo?', 'And who runs it?', 'Tell me a very long story', 'Are you there?']) {
    assert.equal(await question(A.page, text).count(), 1, `question "${text}"`);
  }
  for (const text of ['Private messenger.', 'You do.', 'Once upon a time', 'Yes, here.']) {
    assert.equal(await answer(A.page, text).count(), 1, `answer "${text}"`);
  }
  assert.equal(await answer(A.page, 'Private messenger.').locator('strong').count(), 1);
  const order = await log(A.page).locator('li.msg[data-seq]').allInnerTexts();
  assert.deepEqual(order.map((t) => t.split('\n')[0]).slice(0, 2), ['What is MessGo?', 'Private messenger.']);
  // The next question's context comes from the decrypted history.
  await ask(A.page, 'Still there?');
  const up = await model.next();
  assert.deepEqual(turns(up).slice(0, 2), [{ role: 'user', text: 'What is MessGo?' }, { role: 'assistant', text: '**Private** messenger.' }]);
  up.send('Yes.');
  up.finish();
  await answer(A.page, 'Yes.').waitFor();
  assert.deepEqual(A.problems, []);
});

test('images in the assistant chat reach the model as data URLs', { timeout: TIMEOUT }, async (t) => {
  // The image feature is built alongside this one: without its attach button there is nothing to send.
  const attach = A.page.getByRole('button', { name: 'Attach files' });
  if (await attach.count() === 0) {
    t.skip('this build has no image attachments');
    return;
  }
  const b64 = await A.page.evaluate(async () => {
    const c = document.createElement('canvas');
    c.width = 64;
    c.height = 48;
    const ctx = /** @type {CanvasRenderingContext2D} */ (c.getContext('2d'));
    ctx.fillStyle = '#2a6';
    ctx.fillRect(0, 0, 64, 48);
    const blob = /** @type {Blob} */ (await new Promise((resolve) => c.toBlob(resolve, 'image/jpeg', 0.9)));
    const bytes = new Uint8Array(await blob.arrayBuffer());
    let bin = '';
    for (const byte of bytes) bin += String.fromCharCode(byte);
    return btoa(bin);
  });
  await A.page.locator('input[type=file]').setInputFiles({ name: 'green.jpg', mimeType: 'image/jpeg', buffer: Buffer.from(b64, 'base64') });
  await A.page.locator('.attach-item[data-status="ready"]').waitFor();
  await ask(A.page, 'What colour is this?');
  const up = await model.next();
  const last = up.body.messages.at(-1);
  assert.equal(last.role, 'user');
  assert.ok(Array.isArray(last.content), 'a question with an image is sent as parts');
  assert.deepEqual(last.content.find((/** @type {any} */ p) => p.type === 'text'), { type: 'text', text: 'What colour is this?' });
  const image = last.content.find((/** @type {any} */ p) => p.type === 'image_url');
  assert.match(image?.image_url?.url ?? '', /^data:image\/jpeg;base64,[A-Za-z0-9+/]+=*$/);
  const bytes = Buffer.from(image.image_url.url.split(',')[1], 'base64');
  assert.deepEqual([...bytes.subarray(0, 2)], [0xff, 0xd8], 'a JPEG, decrypted in the browser');
  up.send('Green.');
  up.finish();
  await answer(A.page, 'Green.').waitFor();
  assert.deepEqual(A.problems, []);
});

test('a server without a model says so plainly, and the composer is off', { timeout: TIMEOUT }, async () => {
  bare = await startServer({ env: { MESSGO_KDF_ITERATIONS: '100000' } });
  const N = await signUp(bare.url, 'nia');
  await openAssistant(N.page);
  await N.page.getByRole('note', { name: 'About the assistant' }).getByText('This server has no assistant configured.').waitFor();
  assert.equal(await composer(N.page).isDisabled(), true);
  assert.equal(await N.page.getByRole('button', { name: 'Send' }).isDisabled(), true);
  // The rest of MessGo is there as before.
  await N.page.getByRole('button', { name: 'Close chat' }).click();
  await N.page.getByRole('heading', { name: 'Private by design' }).waitFor();
  assert.deepEqual(N.problems, []);
  await N.context.close();
});
