// Encrypted images in real browsers against the real server: a photo carrying EXIF
// with a GPS position (built here, byte by byte) is attached in the composer, arrives
// at the other person as a thumbnail without a reload, opens in the viewer, and the
// bytes that reach their screen hold no EXIF and no GPS. Pasting and dropping attach
// too; a lost upload waits for the network and goes on by itself, one over a small
// server's size limit says why in the composer, with a Retry that needs no new pick;
// someone outside the chat cannot fetch the blob.
// Waits are on conditions only.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { launchChromium, watchProblems } from './browser.mjs';
import { startServer } from './server.mjs';
import { api, connect } from './people.mjs';

const TIMEOUT = 120_000;
const PASSWORD = 'correct horse battery staple';
const KDF = { MESSGO_KDF_ITERATIONS: '100000' };

/** @type {Awaited<ReturnType<typeof startServer>>} */
let server;
/** @type {import('playwright-core').Browser} */
let browser;
/** @typedef {Awaited<ReturnType<typeof signUp>>} User */
/** @type {User} */ let A;
/** @type {User} */ let B;
/** @type {User} */ let C;

/**
 * A fresh browser context with its own account on `at`. `expected` lists the failed
 * requests this user's test provokes on purpose, as [status, path].
 * @param {string} tag @param {{url: string}} at @param {Array<[number, string]>} [expected]
 */
async function signUp(tag, at, expected = []) {
  const username = `${tag}_${crypto.randomUUID().slice(0, 8)}`;
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = watchProblems(page, [[401, '/api/me'], ...expected]);
  await page.goto(at.url);
  await page.getByRole('button', { name: 'Create an account' }).click();
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Confirm password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('button', { name: `Profile menu for ${username}` }).waitFor();
  return { username, context, page, problems, expected };
}

/** @param {import('playwright-core').Page} page */
const log = (page) => page.getByRole('log', { name: 'Messages' });
/** @param {import('playwright-core').Page} page @param {string} text */
const message = (page, text) => log(page).getByRole('listitem').filter({ hasText: text });

/** @param {import('playwright-core').Page} page @param {string} name */
async function openChat(page, name) {
  await page.getByRole('navigation', { name: 'Chats' }).getByRole('button', { name }).click();
  await page.getByRole('textbox', { name: 'Message' }).waitFor();
}

// ---------------------------------------------------------------- the fixture

/** @param {number} n */
const u16 = (n) => [(n >> 8) & 0xff, n & 0xff];
/** @param {number} n */
const u32 = (n) => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
/** One 12-byte IFD entry (big-endian). @param {number} tag @param {number} type @param {number} count @param {number[]} value 4 bytes */
const entry = (tag, type, count, value) => [...u16(tag), ...u16(type), ...u32(count), ...value];
const ASCII = 2;
const BYTE = 1;
const LONG = 4;
const RATIONAL = 5;

const CAMERA = 'MessGoTestCam';
// 48°51'29.6" N, 2°17'40.2" E, as EXIF rationals: what must never reach the other side.
const LATITUDE = [...u32(48), ...u32(1), ...u32(51), ...u32(1), ...u32(296), ...u32(10)];
const LONGITUDE = [...u32(2), ...u32(1), ...u32(17), ...u32(1), ...u32(402), ...u32(10)];

/**
 * An APP1 "Exif" segment: a TIFF header, IFD0 with the camera's make and a GPSInfo
 * pointer, and a GPS IFD with latitude and longitude. Offsets count from the TIFF header.
 */
function exifSegment() {
  const make = [...Buffer.from(CAMERA, 'ascii'), 0];
  const ifd0At = 8;
  const ifd0Size = 2 + 2 * 12 + 4;
  const makeAt = ifd0At + ifd0Size;
  const gpsAt = makeAt + make.length;
  const gpsSize = 2 + 5 * 12 + 4;
  const latAt = gpsAt + gpsSize;
  const lonAt = latAt + LATITUDE.length;
  const tiff = [
    0x4d, 0x4d, ...u16(42), ...u32(ifd0At),
    ...u16(2),
    entry(0x010f, ASCII, make.length, u32(makeAt)),
    entry(0x8825, LONG, 1, u32(gpsAt)),
    ...u32(0),
    ...make,
    ...u16(5),
    entry(0x0000, BYTE, 4, [2, 3, 0, 0]),
    entry(0x0001, ASCII, 2, [0x4e, 0, 0, 0]),
    entry(0x0002, RATIONAL, 3, u32(latAt)),
    entry(0x0003, ASCII, 2, [0x45, 0, 0, 0]),
    entry(0x0004, RATIONAL, 3, u32(lonAt)),
    ...u32(0),
    ...LATITUDE,
    ...LONGITUDE,
  ].flat();
  const body = [...Buffer.from('Exif\0\0', 'binary'), ...tiff];
  return Buffer.from([0xff, 0xe1, ...u16(body.length + 2), ...body]);
}

/** @param {Buffer} haystack @param {number[] | Buffer} needle */
const contains = (haystack, needle) => haystack.indexOf(Buffer.from(needle)) >= 0;

/** The markers of a JPEG's segments up to the image data. @param {Buffer} jpeg */
function segments(jpeg) {
  assert.deepEqual([...jpeg.subarray(0, 2)], [0xff, 0xd8], 'starts with SOI');
  const found = [];
  let at = 2;
  while (at + 4 <= jpeg.length && jpeg[at] === 0xff) {
    const marker = jpeg[at + 1];
    found.push(marker);
    if (marker === 0xda) break;
    at += 2 + jpeg.readUInt16BE(at + 2);
  }
  return found;
}

/**
 * A photo rendered in the page (a gradient with shapes, so it is not trivial to
 * compress) and encoded by the browser as JPEG, or as PNG with a see-through half.
 * @param {import('playwright-core').Page} page @param {{width: number, height: number, type: string, noise?: boolean}} p
 */
async function render(page, p) {
  const b64 = await page.evaluate(async ({ width, height, type, noise }) => {
    const c = document.createElement('canvas');
    c.width = width;
    c.height = height;
    const ctx = /** @type {CanvasRenderingContext2D} */ (c.getContext('2d'));
    if (type === 'image/png') {
      ctx.fillStyle = 'rgba(200, 40, 90, 1)';
      ctx.fillRect(0, 0, width / 2, height);
    } else {
      const g = ctx.createLinearGradient(0, 0, width, height);
      g.addColorStop(0, '#1d3b8a');
      g.addColorStop(1, '#f2b134');
      ctx.fillStyle = g;
      ctx.fillRect(0, 0, width, height);
      ctx.fillStyle = '#ffffff';
      for (let i = 0; i < 40; i++) ctx.fillRect((i * 97) % width, (i * 53) % height, 60, 30);
    }
    if (noise) {
      const img = ctx.getImageData(0, 0, width, height);
      for (let i = 0; i < img.data.length; i += 4) img.data[i] = (i * 2654435761) >>> 24;
      ctx.putImageData(img, 0, 0);
    }
    const blob = /** @type {Blob} */ (await new Promise((resolve) => c.toBlob(resolve, type, 0.92)));
    const bytes = new Uint8Array(await blob.arrayBuffer());
    let bin = '';
    for (const byte of bytes) bin += String.fromCharCode(byte);
    return btoa(bin);
  }, p);
  return Buffer.from(b64, 'base64');
}

/** Whether the browser decodes these bytes, and to what size. @param {import('playwright-core').Page} page @param {Buffer} bytes @param {string} type */
function decode(page, bytes, type) {
  return page.evaluate(async ([b64, t]) => {
    const bin = atob(b64);
    const data = Uint8Array.from(bin, (ch) => ch.charCodeAt(0));
    const bitmap = await createImageBitmap(new Blob([data], { type: t }));
    return { width: bitmap.width, height: bitmap.height };
  }, [bytes.toString('base64'), type]);
}

/** A JPEG from the page with an EXIF segment carrying GPS spliced in right after SOI. @param {import('playwright-core').Page} page */
async function photoWithGps(page) {
  const plain = await render(page, { width: 3000, height: 2000, type: 'image/jpeg' });
  const photo = Buffer.concat([plain.subarray(0, 2), exifSegment(), plain.subarray(2)]);
  assert.deepEqual(await decode(page, photo, 'image/jpeg'), { width: 3000, height: 2000 }, 'the spliced file still decodes');
  assert.ok(contains(photo, Buffer.from('Exif\0\0')) && contains(photo, LATITUDE), 'the fixture carries EXIF and GPS');
  assert.equal(segments(photo)[0], 0xe1, 'APP1 comes first');
  return photo;
}

/** The decrypted image the viewer shows, read back from the page. @param {import('playwright-core').Page} page */
async function shownImage(page) {
  const { type, b64 } = await page.evaluate(async () => {
    const viewer = await import('/images/viewer.js');
    const blob = viewer.shownImage();
    if (!blob) throw new Error('the viewer shows no image');
    const bytes = new Uint8Array(await blob.arrayBuffer());
    let bin = '';
    for (const byte of bytes) bin += String.fromCharCode(byte);
    return { type: blob.type, b64: btoa(bin) };
  });
  return { type, bytes: Buffer.from(b64, 'base64') };
}

/** @param {Buffer} bytes @param {string} what */
function assertClean(bytes, what) {
  assert.ok(!contains(bytes, Buffer.from('Exif')), `${what}: no "Exif" marker`);
  assert.ok(!contains(bytes, Buffer.from(CAMERA)), `${what}: no camera make`);
  assert.ok(!contains(bytes, LATITUDE) && !contains(bytes, LONGITUDE), `${what}: no GPS position`);
  assert.ok(!contains(bytes, [0x88, 0x25, 0x00, 0x04]), `${what}: no GPSInfo pointer`);
}

before(async () => {
  server = await startServer({ env: KDF });
  browser = await launchChromium();
  [A, B] = await Promise.all(['ann', 'bob'].map((tag) => signUp(tag, server)));
  await connect(A, B);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('a photo with GPS arrives stripped: thumbnail live, full image in the viewer, ← → and Esc', { timeout: TIMEOUT }, async () => {
  const photo = await photoWithGps(A.page);
  const png = await render(A.page, { width: 400, height: 300, type: 'image/png' });

  await openChat(B.page, A.username);
  await openChat(A.page, B.username);
  await A.page.locator('input[type=file]').setInputFiles([
    { name: 'paris.jpg', mimeType: 'image/jpeg', buffer: photo },
    { name: 'sticker.png', mimeType: 'image/png', buffer: png },
  ]);
  const tray = A.page.getByRole('list', { name: 'Attached files' });
  await tray.locator('.attach-item[data-status=ready]').nth(1).waitFor();
  assert.equal(await tray.locator('.attach-item').count(), 2);
  const box = A.page.getByRole('textbox', { name: 'Message' });
  await box.fill('Guess where I am');
  await box.press('Enter');
  await message(A.page, 'Guess where I am').filter({ hasText: /Sent|Read/ }).waitFor();
  assert.equal(await tray.locator('.attach-item').count(), 0, 'the tray is empty after sending');

  // B had the chat open: the thumbnails come in live, decrypted.
  const got = message(B.page, 'Guess where I am');
  await got.locator('img.msg-thumb[src^="blob:"]').nth(1).waitFor();
  const thumbs = await got.locator('img.msg-thumb').evaluateAll((imgs) => imgs.map((img) => {
    const i = /** @type {HTMLImageElement} */ (img);
    return { complete: i.complete, width: i.naturalWidth, height: i.naturalHeight };
  }));
  assert.deepEqual(thumbs.map((t) => [t.width, t.height]), [[320, 213], [320, 240]], 'thumbnails of 320 px on the long side');

  await got.getByRole('button', { name: 'Open image 1 of 2' }).click();
  const viewer = B.page.getByRole('dialog', { name: 'Image 1 of 2' });
  await viewer.locator('img.viewer-image[src^="blob:"]').waitFor();
  const full = await shownImage(B.page);
  assert.equal(full.type, 'image/jpeg');
  assertClean(full.bytes, 'the decrypted image');
  assert.ok(!segments(full.bytes).includes(0xe1), 'no APP1 segment at all');
  assert.deepEqual(await decode(B.page, full.bytes, 'image/jpeg'), { width: 2048, height: 1365 }, 'long side limited to 2048 px');

  await B.page.keyboard.press('ArrowRight');
  const second = B.page.getByRole('dialog', { name: 'Image 2 of 2' });
  await second.locator('img.viewer-image[src^="blob:"]').waitFor();
  const sticker = await shownImage(B.page);
  assert.equal(sticker.type, 'image/png', 'transparency keeps an image PNG');
  assert.deepEqual(await decode(B.page, sticker.bytes, 'image/png'), { width: 400, height: 300 });
  await B.page.keyboard.press('ArrowLeft');
  await B.page.getByRole('dialog', { name: 'Image 1 of 2' }).waitFor();
  await B.page.keyboard.press('Escape');
  await B.page.getByRole('dialog').waitFor({ state: 'detached' });
  assert.equal(await B.page.getByRole('log', { name: 'Messages' }).count(), 1, 'Esc closed the viewer, not the chat');

  // Own message: the sender sees the thumbnails too, and after a reload both do again.
  await message(A.page, 'Guess where I am').locator('img.msg-thumb[src^="blob:"]').nth(1).waitFor();
  await B.page.reload();
  await openChat(B.page, A.username);
  await message(B.page, 'Guess where I am').locator('img.msg-thumb[src^="blob:"]').nth(1).waitFor();

  for (const user of [A, B]) assert.deepEqual(user.problems, [], `${user.username}: no console errors or CSP violations`);
});

test('pasting an image into the field and dropping one on the chat attach them too', { timeout: TIMEOUT }, async () => {
  const tray = A.page.getByRole('list', { name: 'Attached files' });
  await A.page.evaluate(async () => {
    /** @param {string} name @param {string} color */
    async function file(name, color) {
      const c = document.createElement('canvas');
      c.width = 200;
      c.height = 120;
      const ctx = /** @type {CanvasRenderingContext2D} */ (c.getContext('2d'));
      ctx.fillStyle = color;
      ctx.fillRect(0, 0, 200, 120);
      const blob = /** @type {Blob} */ (await new Promise((resolve) => c.toBlob(resolve, 'image/png')));
      return new File([blob], name, { type: 'image/png' });
    }
    const pasted = new DataTransfer();
    pasted.items.add(await file('pasted.png', '#3d5bd9'));
    const field = /** @type {HTMLElement} */ (document.querySelector('textarea.composer-input'));
    field.dispatchEvent(new ClipboardEvent('paste', { clipboardData: pasted, bubbles: true, cancelable: true }));
    const dropped = new DataTransfer();
    dropped.items.add(await file('dropped.png', '#f2b134'));
    const chat = /** @type {HTMLElement} */ (document.querySelector('section.chat .message-scroller'));
    chat.dispatchEvent(new DragEvent('dragover', { dataTransfer: dropped, bubbles: true, cancelable: true }));
    chat.dispatchEvent(new DragEvent('drop', { dataTransfer: dropped, bubbles: true, cancelable: true }));
  });
  // Opaque PNGs are re-encoded as JPEG, and their names follow.
  await tray.getByRole('listitem').filter({ hasText: 'pasted.jpg' }).filter({ hasText: 'Ready' }).waitFor();
  await tray.getByRole('listitem').filter({ hasText: 'dropped.jpg' }).filter({ hasText: 'Ready' }).waitFor();
  assert.equal(await A.page.locator('section.chat.drop-active').count(), 0, 'the drop highlight is gone');
  const box = A.page.getByRole('textbox', { name: 'Message' });
  assert.equal(await box.inputValue(), '', 'an image paste puts no text in the field');
  const sent = log(B.page).getByRole('listitem').filter({ has: B.page.getByRole('button', { name: 'Open image 2 of 2' }) });
  // An earlier test's message also has two images: wait for one more, not for any.
  const before = await sent.count();
  await box.press('Enter');
  await sent.nth(before).locator('img.msg-thumb[src^="blob:"]').nth(1).waitFor();
  // An image without a caption: the chat list says what it is.
  await B.page.getByRole('navigation', { name: 'Chats' }).getByRole('button', { name: A.username }).filter({ hasText: /2 photos/ }).waitFor();
  for (const user of [A, B]) assert.deepEqual(user.problems, [], `${user.username}: no console errors or CSP violations`);
});

test('an upload the network loses says it waits, and goes on by itself once the network is back', { timeout: TIMEOUT }, async () => {
  await A.context.route('**/api/uploads?*', (route) => route.abort('internetdisconnected'));
  const tiny = await render(A.page, { width: 240, height: 160, type: 'image/jpeg' });
  await A.page.locator('input[type=file]').setInputFiles({ name: 'offline.jpg', mimeType: 'image/jpeg', buffer: tiny });
  const item = A.page.getByRole('list', { name: 'Attached files' }).getByRole('listitem');
  await item.filter({ hasText: 'waiting for the connection' }).waitFor();
  await A.context.unroute('**/api/uploads?*');
  await item.filter({ hasText: 'Ready' }).waitFor();
  const box = A.page.getByRole('textbox', { name: 'Message' });
  await box.fill('back online');
  await box.press('Enter');
  await message(B.page, 'back online').locator('img.msg-thumb[src^="blob:"]').waitFor();
  // Chromium logs the aborted request; that one was provoked here.
  const lost = A.problems.filter((p) => /ERR_INTERNET_DISCONNECTED/.test(p));
  assert.ok(lost.length >= 1);
  A.problems.splice(0, A.problems.length, ...A.problems.filter((p) => !lost.includes(p)));
  for (const user of [A, B]) assert.deepEqual(user.problems, [], `${user.username}: no console errors or CSP violations`);
});

test('someone outside the chat cannot fetch its blobs', { timeout: TIMEOUT }, async () => {
  const blobs = await message(B.page, 'Guess where I am').locator('[data-blob]').evaluateAll(
    (els) => els.map((el) => /** @type {string} */ (el.getAttribute('data-blob'))));
  assert.equal(blobs.length, 2);
  C = await signUp('cat', server, blobs.map((id) => /** @type {[number, string]} */ ([404, `/api/blobs/${id}`])));
  const status = (/** @type {import('playwright-core').Page} */ page, /** @type {string} */ id) =>
    page.evaluate(async (blob) => (await fetch(`/api/blobs/${blob}`)).status, id);
  for (const id of blobs) {
    assert.equal(await status(C.page, id), 404, 'a non-member is refused');
    assert.equal(await status(B.page, id), 200, 'a member may fetch it');
  }
  assert.ok(C.problems.every((p) => /404/.test(p)), `only the expected 404s: ${C.problems}`);
  await C.context.close();
});

test('an image over the server\'s limit says so, and Retry needs no new pick', { timeout: TIMEOUT }, async () => {
  const small = await startServer({ env: { ...KDF, MESSGO_MAX_BLOB_BYTES: '20000' } });
  try {
    const D = await signUp('dee', small, [[413, '/api/uploads']]);
    const E = await signUp('eve', small);
    await connect(D, E);
    await openChat(D.page, E.username);
    const big = await render(D.page, { width: 1600, height: 1200, type: 'image/jpeg', noise: true });
    assert.ok(big.length > 20000);
    await D.page.locator('input[type=file]').setInputFiles({ name: 'big.jpg', mimeType: 'image/jpeg', buffer: big });
    const item = D.page.getByRole('list', { name: 'Attached files' }).getByRole('listitem');
    await item.filter({ hasText: /at most 19 KiB/ }).waitFor();
    assert.match(await item.innerText(), /Too large to send/);

    // Sending now is refused with a reason, and nothing leaves.
    const box = D.page.getByRole('textbox', { name: 'Message' });
    await box.fill('with a big one');
    await box.press('Enter');
    await D.page.getByText('A file could not be uploaded. Retry it or remove it first.').waitFor();
    assert.equal(await message(D.page, 'with a big one').count(), 0);

    // Retry uploads the prepared image again (its thumbnail is up already): same limit, same answer.
    await item.getByRole('button', { name: 'Retry big.jpg' }).click();
    await item.filter({ hasText: /at most 19 KiB/ }).waitFor();
    await item.getByRole('button', { name: 'Remove big.jpg' }).click();
    await item.waitFor({ state: 'detached' });

    const tiny = await render(D.page, { width: 300, height: 200, type: 'image/jpeg' });
    await D.page.locator('input[type=file]').setInputFiles({ name: 'tiny.jpg', mimeType: 'image/jpeg', buffer: tiny });
    await item.filter({ hasText: 'Ready' }).waitFor();
    await box.press('Enter');
    await message(D.page, 'with a big one').filter({ hasText: /Sent|Read/ }).waitFor();
    await openChat(E.page, D.username);
    await message(E.page, 'with a big one').locator('img.msg-thumb[src^="blob:"]').waitFor();
    // Chromium logs each refused upload; those are the ones this test provoked.
    const unexpected = D.problems.filter((p) => !/status of 413/.test(p));
    assert.deepEqual(unexpected, []);
    assert.deepEqual(E.problems, []);
    await D.context.close();
    await E.context.close();
  } finally {
    await small.stop();
  }
});
