// Files in real browsers against the real server: a 30 MiB file goes up and comes down
// sealed chunk by chunk, with progress on both sides, and is byte-identical when saved;
// an upload cut halfway (the browser goes offline) continues from what the server kept;
// an html file is only ever downloaded; a small server's size and quota limits are
// named in the tray; a video made in the page gets a poster and plays inline. Waits are
// on conditions only.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { launchChromium, watchProblems } from './browser.mjs';
import { repoRoot, startServer } from './server.mjs';
import { api, connect } from './people.mjs';

const TIMEOUT = 120_000;
const PASSWORD = 'correct horse battery staple';
const KDF = { MESSGO_KDF_ITERATIONS: '100000' };
const MiB = 1024 * 1024;
// Network errors a test provokes on purpose by going offline.
const OFFLINE = /ERR_INTERNET_DISCONNECTED|ERR_NETWORK_CHANGED/;

/** @type {Awaited<ReturnType<typeof startServer>>} */
let server;
/** @type {import('playwright-core').Browser} */
let browser;
/** @type {string} */
let dir;
/** @typedef {Awaited<ReturnType<typeof signUp>>} User */
/** @type {User} */ let A;
/** @type {User} */ let B;

/**
 * A fresh browser context with its own account on `at`; `expected` lists the failed
 * requests its test provokes, as [status, path].
 * @param {string} tag @param {{url: string}} at @param {Array<[number, string]>} [expected]
 * @param {import('playwright-core').BrowserContextOptions} [options]
 */
async function signUp(tag, at, expected = [], options = {}) {
  const username = `${tag}_${crypto.randomUUID().slice(0, 8)}`;
  const context = await browser.newContext({ acceptDownloads: true, ...options });
  const page = await context.newPage();
  const problems = watchProblems(page, [[401, '/api/me'], ...expected]);
  await page.goto(at.url);
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
/** @param {import('playwright-core').Page} page */
const tray = (page) => page.getByRole('list', { name: 'Attached files' });
/** @param {Buffer} b */
const sha256 = (b) => createHash('sha256').update(b).digest('hex');

/** @param {import('playwright-core').Page} page @param {string} name */
async function openChat(page, name) {
  await page.getByRole('navigation', { name: 'Chats' }).getByRole('button', { name }).click();
  await page.getByRole('textbox', { name: 'Message' }).waitFor();
}

/** @param {User} from @param {string} caption */
async function send(from, caption) {
  const box = from.page.getByRole('textbox', { name: 'Message' });
  await box.fill(caption);
  await box.press('Enter');
  await message(from.page, caption).filter({ hasText: /Sent|Read/ }).waitFor({ timeout: TIMEOUT });
}

/**
 * Notes every value the matching <progress> bars take from now on (a fast transfer
 * may pass any given value between two polls, never between two mutations).
 * @param {import('playwright-core').Page} page @param {string} key @param {string} selector
 */
function recordProgress(page, key, selector) {
  return page.evaluate(([k, sel]) => {
    const w = /** @type {any} */ (window);
    const seen = [];
    (w.progressSeen ??= {})[k] = seen;
    new MutationObserver(() => {
      for (const p of document.querySelectorAll(sel)) if (!(/** @type {HTMLElement} */ (p).hidden)) seen.push(Number(p.getAttribute('value')));
    }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['value', 'hidden'] });
  }, [key, selector]);
}

/** @param {import('playwright-core').Page} page @param {string} key @returns {Promise<number[]>} */
const progressSeen = (page, key) => page.evaluate((k) => /** @type {any} */ (window).progressSeen[k], key);

/** Clicks a file card's Download and returns the saved bytes and name. @param {User} to @param {import('playwright-core').Locator} card */
async function download(to, card) {
  const [saved] = await Promise.all([to.page.waitForEvent('download', { timeout: TIMEOUT }), card.getByRole('button', { name: /^Download / }).click()]);
  return { name: saved.suggestedFilename(), bytes: await readFile(/** @type {string} */ (await saved.path())) };
}

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'messgo-files-'));
  // 64 MiB: room for the 30 MiB file whatever the server's default.
  server = await startServer({ env: { ...KDF, MESSGO_MAX_BLOB_BYTES: String(64 * MiB) } });
  browser = await launchChromium();
  [A, B] = await Promise.all([signUp('ann', server), signUp('bob', server, [], { bypassCSP: true })]);
  await connect(A, B);
  await openChat(A.page, B.username);
  await openChat(B.page, A.username);
});

after(async () => {
  await browser?.close();
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('a 30 MiB file goes up and comes down with progress on both sides, byte-identical', { timeout: TIMEOUT }, async () => {
  const big = randomBytes(30 * MiB);
  const file = path.join(dir, 'big.bin');
  await writeFile(file, big);
  await recordProgress(A.page, 'up', '.attach-item progress');
  await recordProgress(B.page, 'down', '.file-card progress');

  await A.page.locator('input[type=file]').setInputFiles(file);
  const item = tray(A.page).getByRole('listitem').filter({ hasText: 'big.bin' });
  await item.waitFor();
  assert.match(await item.innerText(), /File · 31 MB/, 'name, size and type show before sending');
  await item.and(A.page.locator('[data-status=ready]')).waitFor({ timeout: TIMEOUT });
  const up = await progressSeen(A.page, 'up');
  assert.ok(up.some((v) => v > 0 && v < 100), `the sender saw the upload's progress: ${up.slice(0, 20)}`);
  await send(A, 'thirty megabytes');

  const card = message(B.page, 'thirty megabytes').locator('.file-card');
  await card.waitFor({ timeout: TIMEOUT });
  assert.match(await card.innerText(), /big\.bin[\s\S]*File · 31 MB/);
  const got = await download(B, card);
  assert.equal(got.name, 'big.bin');
  assert.equal(got.bytes.length, big.length);
  assert.equal(sha256(got.bytes), sha256(big), 'the saved file is the one sent');
  const down = await progressSeen(B.page, 'down');
  assert.ok(down.some((v) => v > 0 && v < 100), `the receiver saw the download's progress: ${down.slice(0, 20)}`);
  await card.getByText('Saved').waitFor();
  assert.deepEqual(A.problems, []);
  assert.deepEqual(B.problems, []);
});

test('an upload cut halfway continues from what the server kept', { timeout: TIMEOUT }, async () => {
  const bytes = randomBytes(12 * MiB);
  const file = path.join(dir, 'resume.bin');
  await writeFile(file, bytes);
  /** @type {{offset: number, at: number}[]} */
  const patches = [];
  let cut = 0;
  A.page.on('request', (r) => {
    if (r.method() === 'PATCH' && r.url().includes('/api/uploads/')) {
      patches.push({ offset: Number(r.headers()['upload-offset']), at: cut });
    }
  });
  // Slow enough to be cut halfway: 3 MiB/s up.
  const cdp = await A.context.newCDPSession(A.page);
  const conditions = { latency: 0, downloadThroughput: -1, uploadThroughput: 3 * MiB };
  await cdp.send('Network.emulateNetworkConditions', { offline: false, ...conditions });

  await A.page.locator('input[type=file]').setInputFiles(file);
  const item = tray(A.page).getByRole('listitem').filter({ hasText: 'resume.bin' });
  await A.page.waitForFunction(() => {
    const bar = /** @type {HTMLProgressElement | null} */ (document.querySelector('.attach-item[data-status=uploading] progress'));
    return bar !== null && bar.value >= 50;
  }, null, { timeout: TIMEOUT, polling: 'raf' });
  cut = 1;
  await cdp.send('Network.emulateNetworkConditions', { offline: true, ...conditions });
  await item.and(A.page.locator('[data-status=waiting]')).waitFor({ timeout: TIMEOUT });
  assert.match(await item.innerText(), /waiting for the connection/);
  cut = 2;
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  await item.and(A.page.locator('[data-status=ready]')).waitFor({ timeout: TIMEOUT });

  const before = patches.filter((p) => p.at === 0);
  const resumed = patches.filter((p) => p.at === 2);
  assert.ok(before.length >= 2, `pieces went up before the cut: ${JSON.stringify(patches)}`);
  assert.ok(resumed.length >= 1, `pieces went up after it: ${JSON.stringify(patches)}`);
  assert.ok(resumed[0].offset >= 4 * MiB, `the upload went on from the server's offset, not from 0: ${resumed[0].offset}`);
  assert.equal(resumed[0].offset % 65536, 0, 'at a whole chunk');

  await send(A, 'resumed upload');
  const got = await download(B, message(B.page, 'resumed upload').locator('.file-card'));
  assert.equal(sha256(got.bytes), sha256(bytes), 'the resumed file is the one sent');
  const unexpected = A.problems.filter((p) => !OFFLINE.test(p));
  assert.deepEqual(unexpected, []);
  await cdp.detach();
});

test('Cancel stops an upload and the server drops what it had', { timeout: TIMEOUT }, async () => {
  const file = path.join(dir, 'cancel.bin');
  await writeFile(file, randomBytes(8 * MiB));
  /** @type {string[]} */
  const ids = [];
  const seen = (/** @type {import('playwright-core').Request} */ r) => {
    const id = r.method() === 'PATCH' && r.url().match(/\/api\/uploads\/([0-9a-f-]{36})/);
    if (id && !ids.includes(id[1])) ids.push(id[1]);
  };
  A.page.on('request', seen);
  const cdp = await A.context.newCDPSession(A.page);
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 2 * MiB });
  await A.page.locator('input[type=file]').setInputFiles(file);
  const item = tray(A.page).getByRole('listitem').filter({ hasText: 'cancel.bin' });
  await A.page.waitForFunction(() => {
    const bar = /** @type {HTMLProgressElement | null} */ (document.querySelector('.attach-item[data-status=uploading] progress'));
    return bar !== null && bar.value > 0;
  }, null, { timeout: TIMEOUT, polling: 'raf' });
  // By keyboard: the focused Cancel keeps its focus while progress comes in.
  await item.getByRole('button', { name: 'Cancel cancel.bin' }).focus();
  await A.page.keyboard.press('Enter');
  await item.waitFor({ state: 'detached' });
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  await cdp.detach();
  A.page.off('request', seen);
  assert.equal(ids.length, 1, 'one upload was under way');
  // DELETE answers before the page forgets it; its GET is then a 404.
  await A.page.waitForFunction(async (id) => (await fetch(`/api/uploads/${id}`)).status === 404, ids[0], { timeout: TIMEOUT, polling: 100 });
  const refused = A.problems.filter((p) => /status of 404/.test(p) || /ERR_ABORTED|ERR_INTERNET_DISCONNECTED/.test(p));
  A.problems.splice(0, A.problems.length, ...A.problems.filter((p) => !refused.includes(p)));
  assert.deepEqual(A.problems, []);
});

test('an html file is only downloaded, never rendered, and the card works by keyboard', { timeout: TIMEOUT }, async () => {
  const html = Buffer.from('<!doctype html><h1 id="owned">owned</h1><script>parent.owned = true; top.owned = true;</script>');
  await A.page.locator('input[type=file]').setInputFiles({ name: 'page.html', mimeType: 'text/html', buffer: html });
  await tray(A.page).locator('.attach-item[data-status=ready]').waitFor({ timeout: TIMEOUT });
  await send(A, 'open me');

  const msg = message(B.page, 'open me');
  const card = msg.locator('.file-card');
  await card.waitFor();
  assert.equal(await msg.locator('iframe, object, embed, img, video, audio').count(), 0, 'nothing of it is shown inline');
  const button = card.getByRole('button', { name: /^Download page\.html/ });
  await button.focus();
  const [saved] = await Promise.all([B.page.waitForEvent('download'), B.page.keyboard.press('Enter')]);
  assert.equal(saved.suggestedFilename(), 'page.html');
  assert.equal(sha256(await readFile(/** @type {string} */ (await saved.path()))), sha256(html));
  assert.equal(B.context.pages().length, 1, 'no new page opened');
  assert.equal(B.page.frames().length, 1, 'no frame rendered it');
  assert.equal(await B.page.evaluate(() => /** @type {any} */ (window).owned), undefined, 'its script never ran');
  assert.equal(await B.page.locator('#owned').count(), 0);
});

test('a video made in the page gets a poster, and plays inline on the other side', { timeout: TIMEOUT }, async () => {
  const webm = Buffer.from(await A.page.evaluate(async () => {
    const c = document.createElement('canvas');
    c.width = 160;
    c.height = 120;
    const ctx = /** @type {CanvasRenderingContext2D} */ (c.getContext('2d'));
    const rec = new MediaRecorder(c.captureStream(30), { mimeType: 'video/webm' });
    /** @type {Blob[]} */
    const parts = [];
    rec.ondataavailable = (e) => parts.push(e.data);
    rec.start(100);
    // Frames drawn, not time waited: 45 animation frames of changing colour.
    await new Promise((resolve) => {
      let n = 0;
      const draw = () => {
        ctx.fillStyle = `hsl(${n * 8}, 80%, 50%)`;
        ctx.fillRect(0, 0, 160, 120);
        if (++n < 45) requestAnimationFrame(draw);
        else resolve(undefined);
      };
      requestAnimationFrame(draw);
    });
    const stopped = new Promise((resolve) => { rec.onstop = resolve; });
    rec.stop();
    await stopped;
    const bytes = new Uint8Array(await new Blob(parts).arrayBuffer());
    let bin = '';
    for (const b of bytes) bin += String.fromCharCode(b);
    return btoa(bin);
  }), 'base64');
  assert.ok(webm.length > 100, 'the page recorded a video');

  await A.page.locator('input[type=file]').setInputFiles({ name: 'clip.webm', mimeType: 'video/webm', buffer: webm });
  const item = tray(A.page).locator('.attach-item[data-kind=video]');
  await item.locator('img.attach-thumb[src^="blob:"]').waitFor({ timeout: TIMEOUT });
  await item.and(A.page.locator('[data-status=ready]')).waitFor({ timeout: TIMEOUT });
  await send(A, 'a little film');

  const msg = message(B.page, 'a little film');
  await msg.locator('img.video-poster[src^="blob:"]').waitFor({ timeout: TIMEOUT });
  await msg.getByRole('button', { name: /^Play video clip\.webm/ }).click();
  const video = msg.locator('video.msg-video-player[src^="blob:"]');
  await video.waitFor({ timeout: TIMEOUT });
  assert.equal(await video.getAttribute('controls'), '', 'with the browser\'s controls');
  await video.evaluate((v) => {
    const el = /** @type {HTMLVideoElement} */ (v);
    el.muted = true;
    return el.play();
  });
  await B.page.waitForFunction(() => {
    const v = /** @type {HTMLVideoElement | null} */ (document.querySelector('video.msg-video-player'));
    return v !== null && v.videoWidth === 160 && v.currentTime > 0;
  }, null, { timeout: TIMEOUT });
  await assertAccessible(B.page, 'a chat with file cards and a video');
  assert.deepEqual(B.problems, []);
});

test('sendAttachment sends a recorded voice note by itself, and the other side is offered it', { timeout: TIMEOUT }, async () => {
  const { chats } = await api(A.page, 'GET', '/api/chats');
  const chat = chats.find((/** @type {any} */ c) => c.kind === 'direct' && c.members.some((/** @type {any} */ m) => m.username === B.username));
  // What the voice recorder calls (web/voice/): the same module instance as the app's.
  await A.page.evaluate(async (chatId) => {
    const { sendAttachment } = await import('/files/attach.js');
    const note = new File([new Uint8Array(4096).fill(7)], 'voice-note.webm', { type: 'audio/webm;codecs=opus' });
    await sendAttachment(chatId, note, { kind: 'voice', duration: 1500, waveform: 'AAECAwQF' });
  }, chat.id);
  await B.page.getByRole('navigation', { name: 'Chats' }).getByRole('button', { name: A.username }).filter({ hasText: 'Voice note' }).waitFor();
  // Whatever the voice player draws (web/voice/player.js), it is not a file card.
  const note = log(B.page).locator('li.msg').last();
  await note.locator('.bubble').waitFor();
  assert.equal(await note.locator('.file-card').count(), 0, 'a voice note is played, not offered as a file');
  assert.equal(await tray(A.page).getByRole('listitem').count(), 0, 'the tray is empty once it is sent');
  assert.deepEqual(A.problems, []);
});

test('a small server\'s size and quota limits are named in the tray', { timeout: TIMEOUT }, async () => {
  const small = await startServer({ env: { ...KDF, MESSGO_MAX_BLOB_BYTES: String(MiB), MESSGO_UPLOAD_QUOTA_BYTES: String(1536 * 1024) } });
  try {
    const [D, E] = await Promise.all([signUp('dee', small, [[413, '/api/uploads']]), signUp('eve', small)]);
    await connect(D, E);
    await openChat(D.page, E.username);
    await D.page.locator('input[type=file]').setInputFiles({ name: 'huge.bin', mimeType: 'application/octet-stream', buffer: randomBytes(2 * MiB) });
    const huge = tray(D.page).getByRole('listitem').filter({ hasText: 'huge.bin' });
    await huge.and(D.page.locator('[data-status=failed]')).waitFor({ timeout: TIMEOUT });
    assert.match(await huge.getByRole('alert').innerText(), /Too large to send\..*(1 MiB|1048576)/, 'the size limit and its value');
    await huge.getByRole('button', { name: 'Remove huge.bin' }).click();

    await D.page.locator('input[type=file]').setInputFiles({ name: 'one.bin', mimeType: 'application/octet-stream', buffer: randomBytes(900 * 1024) });
    await tray(D.page).locator('.attach-item[data-status=ready]').waitFor({ timeout: TIMEOUT });
    await D.page.locator('input[type=file]').setInputFiles({ name: 'two.bin', mimeType: 'application/octet-stream', buffer: randomBytes(900 * 1024) });
    const two = tray(D.page).getByRole('listitem').filter({ hasText: 'two.bin' });
    await two.and(D.page.locator('[data-status=failed]')).waitFor({ timeout: TIMEOUT });
    assert.match(await two.getByRole('alert').innerText(), /Too large to send\..*(1\.5 MiB|1536 KiB|1572864)/, 'the quota and its value');
    assert.deepEqual(D.problems, []);
  } finally {
    await small.stop();
  }
});

/** axe-core on the page (its context lets the inline script in). @param {import('playwright-core').Page} page @param {string} where */
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
