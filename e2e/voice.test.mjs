// Voice notes in real browsers against the real server, with Chromium's fake
// microphone (a beeping tone): Ann holds the mic button with the pointer, the
// recording bar shows the time and a live waveform, and on release the note goes up
// sealed; Bob sees it with its length, plays it (the audio element really plays),
// switches to 1.5× and seeks with the keyboard. Esc, sliding off the button and the
// window losing focus mid-hold cancel (nothing reaches Bob, the chat stays open);
// holding Space on the focused button and the Ctrl+Shift+M shortcut record too; a tap
// says it is too short; one note plays at a time. After every recording the microphone's tracks are stopped; when the chat
// closes, the notes' blob: URLs are revoked. A browser with no microphone (or no
// permission for one) says so in a sentence. Waits are on conditions only.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { launchChromium, watchProblems } from './browser.mjs';
import { startServer } from './server.mjs';
import { connect } from './people.mjs';

const TIMEOUT = 90_000;
const PASSWORD = 'correct horse battery staple';
const KDF = { MESSGO_KDF_ITERATIONS: '100000' };

/** @type {Awaited<ReturnType<typeof startServer>>} */
let server;
/** @type {import('playwright-core').Browser} */
let browser;
/** A browser with no microphone at all (no fake device) and no permission for one. @type {import('playwright-core').Browser | undefined} */
let plain;
/** @typedef {Awaited<ReturnType<typeof signUp>>} User */
/** @type {User} */ let A;
/** @type {User} */ let B;

// Every microphone stream the page opens, so a test can see that its tracks ended.
const KEEP_STREAMS = () => {
  const open = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  /** @type {MediaStream[]} */
  const streams = [];
  Object.assign(window, { voiceStreams: streams });
  navigator.mediaDevices.getUserMedia = async (c) => {
    const s = await open(c);
    streams.push(s);
    return s;
  };
};

/** @param {string} tag @param {import('playwright-core').Browser} [on] @param {string[]} [permissions] */
async function signUp(tag, on = browser, permissions = ['microphone']) {
  const username = `${tag}_${crypto.randomUUID().slice(0, 8)}`;
  const context = await on.newContext({ permissions });
  await context.addInitScript(KEEP_STREAMS);
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
/** @param {import('playwright-core').Page} page */
const notes = (page) => log(page).getByRole('group', { name: /^Voice note/ });
/** @param {import('playwright-core').Page} page */
const mic = (page) => page.getByRole('button', { name: 'Record a voice note' });
/** @param {import('playwright-core').Page} page */
const recordingBar = (page) => page.locator('.voice-recording');

/** @param {import('playwright-core').Page} page @param {string} name */
async function openChat(page, name) {
  await page.getByRole('navigation', { name: 'Chats' }).getByRole('button', { name }).click();
  await page.getByRole('textbox', { name: 'Message' }).waitFor();
}

/** Waits until the recording bar says `text` (m:ss) has been recorded. @param {import('playwright-core').Page} page @param {string} text */
const recorded = (page, text) => page.locator('.voice-elapsed', { hasText: text }).waitFor();

/** Every microphone track the page opened has ended (the browser's indicator is off). @param {import('playwright-core').Page} page */
async function microphoneReleased(page) {
  await page.waitForFunction(() => {
    const streams = /** @type {MediaStream[]} */ (/** @type {any} */ (window).voiceStreams);
    return streams.length > 0 && streams.every((s) => s.getTracks().every((t) => t.readyState === 'ended'));
  });
}

/** Presses the pointer on the mic button and holds it. @param {import('playwright-core').Page} page */
async function pressMic(page) {
  await mic(page).hover();
  await page.mouse.down();
  await recordingBar(page).waitFor();
}

/** What the audio element of note `i` in the page is doing. @param {import('playwright-core').Page} page @param {number} i */
function audioState(page, i) {
  return page.evaluate((n) => {
    const a = /** @type {HTMLAudioElement} */ (document.querySelectorAll('.messages .voice-player audio')[n]);
    return { paused: a.paused, time: a.currentTime, rate: a.playbackRate, src: a.src };
  }, i);
}

/** Whether a fresh audio element can load `src`. @param {import('playwright-core').Page} page @param {string} src */
function playable(page, src) {
  return page.evaluate((url) => new Promise((resolve) => {
    const a = new Audio();
    a.onloadedmetadata = () => resolve(true);
    a.onerror = () => resolve(false);
    a.src = url;
  }), src);
}

before(async () => {
  server = await startServer({ env: KDF });
  browser = await launchChromium({ args: ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'] });
  [A, B] = await Promise.all(['ann', 'bob'].map((tag) => signUp(tag)));
  await connect(A, B);
  await openChat(A.page, B.username);
  await openChat(B.page, A.username);
});

after(async () => {
  await browser?.close();
  await plain?.close();
  await server?.stop();
});

test('a note held with the pointer arrives with its length, plays, speeds up and seeks by keyboard', { timeout: TIMEOUT }, async () => {
  await pressMic(A.page);
  await recorded(A.page, '0:01');
  // The live waveform moves with the fake microphone's beeps.
  await A.page.waitForFunction(() => [...document.querySelectorAll('.voice-live .voice-bar')]
    .some((b) => Number(/** @type {HTMLElement} */ (b).style.getPropertyValue('--level')) > 0));
  await A.page.mouse.up();
  await recordingBar(A.page).waitFor({ state: 'hidden' });
  await microphoneReleased(A.page);

  // About a second and a half: "0:01" was on screen when the button was let go.
  const note = notes(B.page).first();
  await note.waitFor();
  assert.match(await note.getAttribute('aria-label') ?? '', /^Voice note, [12] seconds?$/);
  await note.getByText(/^0:00 \/ 0:0[12]$/).waitFor();
  await notes(A.page).first().waitFor();

  // Downloaded and decrypted on the first play, then really playing from a blob: URL.
  await note.getByRole('button', { name: 'Play voice note' }).click();
  await B.page.waitForFunction(() => {
    const a = /** @type {HTMLAudioElement | null} */ (document.querySelector('.messages .voice-player audio'));
    return a !== null && !a.paused && a.currentTime > 0.2;
  });
  assert.match((await audioState(B.page, 0)).src, /^blob:/);
  const speed = note.getByRole('button', { name: /^Playback speed/ });
  assert.equal(await speed.textContent(), '1×');
  await speed.click();
  assert.equal(await speed.textContent(), '1.5×');
  assert.equal((await audioState(B.page, 0)).rate, 1.5);
  await note.getByRole('button', { name: 'Play voice note' }).waitFor(); // it ends by itself

  const slider = note.getByRole('slider', { name: 'Voice note position' });
  const max = Number(await slider.getAttribute('aria-valuemax'));
  assert.ok(max >= 1 && max < 3, `the slider spans the note (${max} s)`);
  await slider.focus();
  await B.page.keyboard.press('Home');
  assert.equal(await slider.getAttribute('aria-valuenow'), '0');
  await B.page.keyboard.press('ArrowRight');
  assert.equal(await slider.getAttribute('aria-valuenow'), '1');
  assert.ok(Math.abs((await audioState(B.page, 0)).time - 1) < 0.05, 'the audio moved to the second');
  await B.page.keyboard.press('ArrowLeft');
  assert.equal(await slider.getAttribute('aria-valuenow'), '0');
  await speed.click();
  assert.equal(await speed.textContent(), '2×');
  await speed.click();
  assert.equal(await speed.textContent(), '1×');
  assert.deepEqual([...A.problems, ...B.problems], []);
});

test('Esc, sliding off the button and losing focus mid-hold cancel: nothing is sent, the chat stays open', { timeout: TIMEOUT }, async () => {
  const before = await notes(B.page).count();
  await pressMic(A.page);
  await recorded(A.page, '0:01');
  await A.page.keyboard.press('Escape');
  await recordingBar(A.page).waitFor({ state: 'hidden' });
  await A.page.mouse.up();
  await A.page.getByRole('textbox', { name: 'Message' }).waitFor();

  await pressMic(A.page);
  await recorded(A.page, '0:01');
  const box = /** @type {{x: number, y: number}} */ (await mic(A.page).boundingBox());
  await A.page.mouse.move(box.x - 150, box.y, { steps: 5 });
  await recordingBar(A.page).waitFor({ state: 'hidden' });
  await A.page.mouse.up();
  await microphoneReleased(A.page);

  // Space held on the button when the window loses focus: its release will not come back.
  await mic(A.page).focus();
  await A.page.keyboard.down(' ');
  await recorded(A.page, '0:01');
  await A.page.evaluate(() => window.dispatchEvent(new FocusEvent('blur')));
  await recordingBar(A.page).waitFor({ state: 'hidden' });
  await A.page.keyboard.up(' ');
  await microphoneReleased(A.page);

  // A text sent after all three lands right after the last note: nothing went in between.
  await A.page.getByRole('textbox', { name: 'Message' }).fill('after the cancelled ones');
  await A.page.getByRole('textbox', { name: 'Message' }).press('Enter');
  await log(B.page).getByText('after the cancelled ones').waitFor();
  assert.equal(await notes(B.page).count(), before);
  assert.deepEqual([...A.problems, ...B.problems], []);
});

test('Space held on the focused button and Ctrl+Shift+M record; a tap is too short', { timeout: TIMEOUT }, async () => {
  const before = await notes(B.page).count();
  await mic(A.page).focus();
  await A.page.keyboard.down(' ');
  await recorded(A.page, '0:01');
  await A.page.keyboard.up(' ');
  await notes(B.page).nth(before).waitFor();
  await microphoneReleased(A.page);

  // The shortcut from the message field: no holding, Send and Cancel offered meanwhile.
  await A.page.getByRole('textbox', { name: 'Message' }).focus();
  await A.page.keyboard.press('Control+Shift+M');
  await recorded(A.page, '0:01');
  await A.page.getByRole('button', { name: 'Send', exact: true }).and(A.page.locator('.voice-recording button')).waitFor();
  await A.page.keyboard.press('Control+Shift+M');
  await notes(B.page).nth(before + 1).waitFor();
  assert.match(await notes(B.page).nth(before + 1).getAttribute('aria-label') ?? '', /^Voice note, [12] seconds?$/);
  await microphoneReleased(A.page);

  await mic(A.page).click();
  await A.page.getByText('Too short to send: hold the mic button while you speak (at least half a second), release to send.').waitFor();
  await microphoneReleased(A.page);

  // Only one note plays at a time: starting the second pauses the first.
  await notes(B.page).nth(before).getByRole('button', { name: 'Play voice note' }).click();
  await B.page.waitForFunction((n) => !(/** @type {HTMLAudioElement} */ (document.querySelectorAll('.messages .voice-player audio')[n])).paused, before);
  await notes(B.page).nth(before + 1).getByRole('button', { name: 'Play voice note' }).click();
  await B.page.waitForFunction((n) => {
    const all = /** @type {NodeListOf<HTMLAudioElement>} */ (document.querySelectorAll('.messages .voice-player audio'));
    return all[n].paused && !all[n].ended && !all[n + 1].paused;
  }, before);

  // Closing the chat revokes the notes' blob: URLs: the decrypted audio is gone.
  const { src } = await audioState(B.page, before + 1);
  assert.equal(await playable(B.page, src), true);
  await B.page.getByRole('button', { name: 'Close chat' }).click();
  await log(B.page).waitFor({ state: 'detached' });
  const deadline = Date.now() + 5000;
  while (await playable(B.page, src)) assert.ok(Date.now() < deadline, 'the blob: URL was revoked');
  // Chromium logs the refused load of the revoked URL: that one was asked for.
  assert.deepEqual([...A.problems, ...B.problems.filter((p) => !p.includes(src))], []);
});

test('without a microphone, or without permission for it, a sentence says so and nothing is sent', { timeout: TIMEOUT }, async () => {
  plain = await launchChromium();
  const C = await signUp('cat', plain, []);
  await connect(C, A);
  await openChat(C.page, A.username);
  await mic(C.page).hover();
  await C.page.mouse.down();
  const why = C.page.getByText(/^(MessGo may not use your microphone\. Allow it for this site in the browser|No microphone was found\. Connect one and try again\.)/);
  await why.waitFor();
  await C.page.mouse.up();
  assert.equal(await recordingBar(C.page).isVisible(), false);
  assert.equal(await notes(C.page).count(), 0);
  assert.deepEqual(C.problems, []);
});
