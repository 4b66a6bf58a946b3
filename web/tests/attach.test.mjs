// The composer's files, the parts that need no browser: the tray's states (ten per
// message, progress, waiting for the connection, failure with the limit that refused
// it, retry that continues, voice notes that go by themselves), the sentences of a
// refused upload, how files are labelled, and an own file message in the chat state.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { noAttachments, reduceAttachments, room, sendable, statusText } from '../files/attach-state.js';
import { uploadError } from '../files/attach.js';
import { familyOf, fileSummary, formatSize, kindFor } from '../files/format.js';
import { ApiError } from '../core/api.js';
import { bodyText, filesText, previewText } from '../chats/format.js';
import { emptyChats, reduceChats } from '../chats/state.js';
import { toB64u } from '../crypto/bytes.js';
import { ImageError } from '../images/process.js';
import { liveBlobIds } from '../images/media.js';
import { decodeMessage, encodeMessage } from '../crypto/plaintext.js';
import { safeType } from '../crypto/file-ref.js';

const ME = '00000000-0000-4000-8000-00000000000a';
const BOB = '00000000-0000-4000-8000-00000000000b';
const CHAT = '00000000-0000-4000-8000-0000000000c1';

/**
 * @param {number} n @param {Partial<import('../crypto/file-ref.js').FileRef>} [more]
 * @returns {import('../crypto/file-ref.js').FileRef}
 */
const fref = (n, more = {}) => ({
  blob: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  key: toB64u(new Uint8Array(32).fill(n)), size: 1000 + n, name: `f${n}.pdf`, type: 'application/pdf', kind: 'file', ...more,
});
/** @param {number} n */
const image = (n) => fref(n, { kind: 'image', type: 'image/jpeg', name: `p${n}.jpg`, width: 640, height: 480,
  thumb: `00000000-0000-4000-9000-${String(n).padStart(12, '0')}`, thumb_key: toB64u(new Uint8Array(32).fill(n + 100)) });

/** @param {string} id @param {boolean} [solo] */
const item = (id, solo = false) => ({ id, name: `${id}.bin`, size: 3_000_000, type: 'application/zip', kind: /** @type {const} */ ('file'), solo });

test('the tray takes ten files per message; a voice note on its way takes no room', () => {
  let items = reduceAttachments(noAttachments, { type: 'added', items: Array.from({ length: 12 }, (_, i) => item(`a${i}`)) });
  assert.equal(items.length, 10, 'the eleventh and twelfth are left out');
  assert.equal(room(items), 0);
  items = reduceAttachments(items, { type: 'added', items: [item('v', true)] });
  assert.equal(items.length, 11, 'a voice note is sent by itself, beside the message being written');
  items = reduceAttachments(items, { type: 'cleared' });
  assert.deepEqual(items.map((a) => a.id), ['v'], 'sending the message leaves the voice note going');
  assert.deepEqual(sendable(items), { ok: true, files: [] }, 'and it is not part of the message');
});

test('a file shows its progress, pauses while offline, fails with the limit, and a retry continues', () => {
  let items = reduceAttachments(noAttachments, { type: 'added', items: [item('a'), item('b')] });
  assert.equal(items[0].size, 3_000_000);
  assert.equal(items[0].type, 'application/zip');
  assert.equal(statusText(items[0]), 'Preparing…');
  assert.deepEqual(sendable(items), { ok: false, error: 'The files are still uploading. Send again when they are done.' });

  items = reduceAttachments(items, { type: 'prepared', id: 'a', preview: null, total: 1000 });
  items = reduceAttachments(items, { type: 'progress', id: 'a', sent: 420 });
  assert.equal(statusText(items[0]), 'Uploading 42%');
  items = reduceAttachments(items, { type: 'waiting', id: 'a' });
  assert.equal(statusText(items[0]), 'Paused at 42%: waiting for the connection…');
  items = reduceAttachments(items, { type: 'progress', id: 'a', sent: 600 });
  assert.equal(items[0].status, 'uploading', 'progress again means the connection is back');
  assert.equal(statusText(items[0]), 'Uploading 60%');

  const limit = 'Too large to send. An attachment may be at most 5 MiB (5242880 bytes).';
  items = reduceAttachments(items, { type: 'failed', id: 'a', error: limit });
  assert.equal(statusText(items[0]), limit);
  assert.match(/** @type {any} */ (sendable(items)).error, /Retry it or remove it/);
  items = reduceAttachments(items, { type: 'retrying', id: 'a' });
  assert.equal(items[0].status, 'uploading', 'a prepared file is not prepared again');
  assert.equal(items[0].sent, 600, 'and its progress does not go back to 0');

  items = reduceAttachments(items, { type: 'uploaded', id: 'a', ref: fref(1) });
  items = reduceAttachments(items, { type: 'failed', id: 'b', error: 'x' });
  items = reduceAttachments(items, { type: 'retrying', id: 'b' });
  assert.equal(items[1].status, 'preparing', 'one that failed before it was prepared starts over from the file');
  items = reduceAttachments(items, { type: 'removed', id: 'b' });
  assert.deepEqual(sendable(items), { ok: true, files: [fref(1)] });
  assert.equal(reduceAttachments(items, { type: 'progress', id: 'a', sent: 5 }), items, 'a late progress event changes nothing');
  assert.equal(reduceAttachments(items, { type: 'cleared' }).length, 0);
  items = reduceAttachments(items, { type: 'prepared', id: 'a', preview: 'blob:x', total: 9, kind: 'image', name: 'x.jpg' });
  assert.equal(items[0].kind, 'image', 'an image re-encoded may change its name and kind');
});

test('upload refusals say why, naming the server\'s limit', () => {
  const say = () => 'fallback';
  assert.equal(uploadError(new ApiError(413, 'quota_exceeded', 'Your attachments may take at most 1 MiB (1048576 bytes).'), say),
    'Too large to send. Your attachments may take at most 1 MiB (1048576 bytes).');
  assert.equal(uploadError(new ApiError(429, 'rate_limited', 'At most 200 uploads an hour.'), say),
    'Not uploaded: At most 200 uploads an hour.');
  assert.match(uploadError(new ApiError(0, 'network', 'x'), say), /cannot reach the server/);
  assert.equal(uploadError(new ImageError('"a.heic" could not be read as an image here.'), say), '"a.heic" could not be read as an image here.');
});

test('files are labelled by size and family; only raster images and playable videos get special treatment', () => {
  assert.equal(formatSize(1), '1 byte');
  assert.equal(formatSize(999), '999 bytes');
  assert.equal(formatSize(1500), '1.5 KB');
  assert.equal(formatSize(31_457_280), '31 MB');
  assert.equal(fileSummary('application/pdf', 'a.pdf', 2_500_000), 'PDF · 2.5 MB');
  assert.equal(familyOf('', 'notes.txt'), 'text');
  assert.equal(familyOf('image/svg+xml', 'x.svg'), 'code', 'an SVG is not a picture to show');
  assert.equal(familyOf('text/html', 'page.html'), 'code');
  assert.equal(kindFor('image/png'), 'image');
  assert.equal(kindFor('image/svg+xml'), 'file');
  assert.equal(kindFor('video/webm'), 'video');
  assert.equal(kindFor('video/x-matroska'), 'file');
  assert.equal(kindFor('text/html'), 'file');
  assert.equal(safeType('audio/webm;codecs=opus'), 'audio/webm;codecs=opus');
  assert.equal(safeType(''), 'application/octet-stream', 'a type the browser does not know');
  assert.equal(safeType(`application/${'x'.repeat(130)}`), 'application/octet-stream', 'one receivers would refuse');
  assert.equal(safeType('not a type'), 'application/octet-stream');
});

test('an own file message shows from its pending copy, the chat list names it, and the state knows its blobs', () => {
  const chat = /** @type {any} */ ({
    id: CHAT, kind: 'direct', epoch: 1, epoch_opened_at: 0, rotation_required: false, seq: 0, meta: null, created_at: 0,
    last_activity_at: 0, members: [{ user_id: ME, username: 'me' }, { user_id: BOB, username: 'bob' }],
  });
  let chats = reduceChats(emptyChats, { type: 'chats_loaded', chats: [chat] }, ME);
  chats = reduceChats(chats, { type: 'pending_added', chatId: CHAT, id: 'p1', text: '', at: 5, files: [image(1), fref(2)] }, ME);
  assert.equal(previewText(chats.byId[CHAT], chats, ME, []), 'You: 2 files');
  assert.deepEqual([...liveBlobIds(/** @type {any} */ ({ chats }))].sort(),
    [image(1).blob, /** @type {string} */ (image(1).thumb), fref(2).blob].sort());

  chats = reduceChats(chats, { type: 'live', event: { type: 'ack', chat_id: CHAT, id: 'p1', seq: 1 }, at: 6 }, ME);
  const shown = chats.byId[CHAT].messages[0];
  assert.deepEqual(shown.body, { status: 'ok', text: '', files: [image(1), fref(2)] }, 'the placeholder carries the files');
  assert.equal(bodyText(shown), '2 files');
  chats = reduceChats(chats, { type: 'live', event: { type: 'message.deleted', chat_id: CHAT, seq: 1 }, at: 7 }, ME);
  assert.equal(liveBlobIds(/** @type {any} */ ({ chats })).size, 0, 'a deleted message needs its files no more');

  assert.equal(filesText([image(1)]), 'Photo');
  assert.equal(filesText([fref(3, { kind: 'video', type: 'video/webm' })]), 'Video');
  assert.equal(filesText([fref(3, { kind: 'voice', type: 'audio/webm' })]), 'Voice note');
  assert.equal(filesText([fref(3)]), 'f3.pdf');
});

test('new messages carry files, never the older images form', () => {
  const enc = encodeMessage({ text: '', files: [image(1)] });
  assert.ok(enc.ok);
  const doc = JSON.parse(new TextDecoder().decode(/** @type {any} */ (enc).bytes));
  assert.equal(doc.images, undefined);
  assert.deepEqual(decodeMessage(/** @type {any} */ (enc).bytes), { status: 'ok', text: '', files: [image(1)] });
});
