// Encrypted images, the parts that need no browser: each blob sealed under its own key
// (nonce || ciphertext), the message document that carries the keys (strict on what
// it accepts, and still {"text"} for plain text), and which images of messages of that
// older form the state still needs (the composer's files: attach.test.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { BLOB_OVERHEAD, openBlob, sealBlob } from '../images/blob-crypto.js';
import { bodyText, previewText } from '../chats/format.js';
import { emptyChats, reduceChats } from '../chats/state.js';
import { toB64u } from '../crypto/bytes.js';
import { fitWithin } from '../images/process.js';
import { liveBlobIds } from '../images/media.js';
import { MAX_IMAGES, decodeMessage, decodeText, encodeMessage, encodeText } from '../crypto/plaintext.js';

const utf8 = (/** @type {string} */ s) => new TextEncoder().encode(s);
const json = (/** @type {Uint8Array} */ b) => JSON.parse(new TextDecoder().decode(b));

const ME = '00000000-0000-4000-8000-00000000000a';
const BOB = '00000000-0000-4000-8000-00000000000b';
const CHAT = '00000000-0000-4000-8000-0000000000c1';

/** @param {number} n @returns {import('../crypto/plaintext.js').ImageRef} */
const ref = (n) => ({
  blob: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  thumb: `00000000-0000-4000-9000-${String(n).padStart(12, '0')}`,
  key: toB64u(new Uint8Array(32).fill(n)),
  thumb_key: toB64u(new Uint8Array(32).fill(n + 100)),
  type: 'image/jpeg', width: 2048, height: 1365, size: 123456,
});

test('a blob is nonce || ciphertext under its own key, and opens only with that key', async () => {
  const plain = utf8('not really a jpeg');
  const a = await sealBlob(plain);
  const b = await sealBlob(plain);
  assert.equal(a.key.length, 32);
  assert.equal(a.sealed.length, plain.length + BLOB_OVERHEAD);
  assert.notDeepEqual(a.key, b.key, 'a fresh key for every blob');
  assert.notDeepEqual(a.sealed.subarray(0, 12), b.sealed.subarray(0, 12), 'a fresh nonce too');
  assert.deepEqual(await openBlob(a.key, a.sealed), plain);
  await assert.rejects(openBlob(b.key, a.sealed), 'another blob\'s key does not open it');
  const tampered = a.sealed.slice();
  tampered[20] ^= 1;
  await assert.rejects(openBlob(a.key, tampered), 'a changed byte is caught');
  await assert.rejects(openBlob(a.key, a.sealed.subarray(0, 20)), 'too short to be a blob');

  // Fixed key and nonce: the layout is exactly nonce (12) || AES-256-GCM(key, nonce, pt, no AAD).
  const key = new Uint8Array(32).fill(7);
  const nonce = new Uint8Array(12).fill(9);
  const fixed = await sealBlob(plain, { key, nonce });
  assert.deepEqual(fixed.sealed.subarray(0, 12), nonce);
  const k = await crypto.subtle.importKey('raw', key, 'AES-GCM', false, ['encrypt']);
  const ct = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv: nonce }, k, plain));
  assert.deepEqual(fixed.sealed.subarray(12), ct);
});

test('text-only messages stay {"text"}; images and the timer ride along when there are some', () => {
  const plain = encodeText('hi');
  assert.ok(plain.ok);
  assert.deepEqual(json(plain.bytes), { text: 'hi' });

  const timed = encodeMessage({ text: 'hi', timer: 3600 });
  assert.ok(timed.ok);
  assert.deepEqual(json(timed.bytes), { text: 'hi', timer: 3600 });

  const images = encodeMessage({ text: '  \n', images: [ref(1), ref(2)], timer: 300 });
  assert.ok(images.ok, 'an image needs no caption');
  assert.deepEqual(json(images.bytes), { text: '', images: [ref(1), ref(2)], timer: 300 });
  assert.deepEqual(decodeMessage(images.bytes), { status: 'ok', text: '', images: [ref(1), ref(2)], timer: 300 });
  assert.deepEqual(decodeText(images.bytes), { status: 'ok', text: '' }, 'older readers see the caption');

  assert.equal(encodeMessage({ text: '' }).ok, false, 'nothing at all is still refused');
  const many = encodeMessage({ text: 'x', images: Array.from({ length: MAX_IMAGES + 1 }, (_, i) => ref(i)) });
  assert.equal(many.ok, false);
  const ten = encodeMessage({ text: 'x', images: Array.from({ length: MAX_IMAGES }, (_, i) => ref(i)) });
  assert.ok(ten.ok, 'ten images with their keys fit in a message');
});

test('images from a peer are checked field by field; anything off makes the message unsupported', () => {
  const doc = (/** @type {unknown} */ images) => utf8(JSON.stringify({ text: 'cap', images }));
  assert.deepEqual(decodeMessage(utf8('{"text":"plain"}')), { status: 'ok', text: 'plain' });
  assert.equal(decodeMessage(doc([ref(1)])).status, 'ok');
  const bad = [
    { ...ref(1), type: 'image/svg+xml' },
    { ...ref(1), type: 'text/html' },
    { ...ref(1), blob: '../../api/me' },
    { ...ref(1), key: 'short' },
    { ...ref(1), key: toB64u(new Uint8Array(31)) },
    { ...ref(1), thumb_key: undefined },
    { ...ref(1), width: 0 },
    { ...ref(1), height: 1.5 },
    { ...ref(1), size: -1 },
    'not an object',
  ];
  for (const b of bad) assert.deepEqual(decodeMessage(doc([b])), { status: 'unsupported' }, JSON.stringify(b));
  assert.deepEqual(decodeMessage(doc({})), { status: 'unsupported' }, 'images must be a list');
  assert.deepEqual(decodeMessage(doc(Array.from({ length: 11 }, (_, i) => ref(i)))), { status: 'unsupported' });
  assert.deepEqual(decodeMessage(utf8('{"text":"t","timer":"soon"}')), { status: 'ok', text: 't' }, 'a bad timer is ignored');
});

test('pictures are scaled down to fit, never up', () => {
  assert.deepEqual(fitWithin(4000, 3000, 2048), { width: 2048, height: 1536 });
  assert.deepEqual(fitWithin(3000, 4000, 320), { width: 240, height: 320 });
  assert.deepEqual(fitWithin(100, 50, 2048), { width: 100, height: 50 });
  assert.deepEqual(fitWithin(10000, 1, 320), { width: 320, height: 1 });
});

test('a received message with images of the older form still shows, previews say "Photo", and the state knows which blobs it needs', () => {
  const chat = /** @type {any} */ ({
    id: CHAT, kind: 'direct', epoch: 1, epoch_opened_at: 0, rotation_required: false, seq: 0, meta: null, created_at: 0,
    last_activity_at: 0, members: [{ user_id: ME, username: 'me' }, { user_id: BOB, username: 'bob' }],
  });
  let chats = reduceChats(emptyChats, { type: 'chats_loaded', chats: [chat] }, ME);
  const msg = /** @type {any} */ ({ seq: 1, id: 'm1', chat_id: CHAT, sender: BOB, kind: 'message', epoch: 1, created_at: 5,
    nonce: 'n', ciphertext: 'c', signature: 's' });
  chats = reduceChats(chats, { type: 'history', chatId: CHAT, messages: [msg], mode: 'latest', limit: 50 }, ME);
  chats = reduceChats(chats, { type: 'opened', chatId: CHAT, bodies: [{ id: 'm1', body: { status: 'ok', text: '', images: [ref(1)] } }] }, ME);
  const shown = chats.byId[CHAT].messages[0];
  assert.equal(bodyText(shown), 'Photo');
  assert.equal(previewText(chats.byId[CHAT], chats, ME, []), 'Photo');
  assert.deepEqual([...liveBlobIds(/** @type {any} */ ({ chats }))].sort(), [ref(1).blob, ref(1).thumb].sort());

  chats = reduceChats(chats, { type: 'live', event: { type: 'message.deleted', chat_id: CHAT, seq: 1 }, at: 7 }, ME);
  assert.equal(liveBlobIds(/** @type {any} */ ({ chats })).size, 0, 'a deleted message needs its images no more');
});
