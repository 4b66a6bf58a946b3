// Disappearing messages, the pure part: labels for timers and time left, when the
// countdown must change next, and the state dropping expired messages (with their
// "deleted for me" marks) while leaving everything else as it was.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { previewText, systemText } from '../chats/format.js';
import { emptyChats, reduceChats } from '../chats/state.js';
import { TIMERS, nextExpiry, nextTick, timeLeft, timeLeftText, timerLabel } from '../expiry/timers.js';

const ME = '00000000-0000-4000-8000-00000000000a';
const BOB = '00000000-0000-4000-8000-00000000000b';
const CHAT = '00000000-0000-4000-8000-0000000000c1';
const OTHER = '00000000-0000-4000-8000-0000000000c2';

/** @param {string} id @returns {any} */
const chat = (id) => ({
  id, kind: 'direct', epoch: 1, epoch_opened_at: 0, rotation_required: false, seq: 0, meta: null, created_at: 0,
  last_read_seq: 0, unread: 0,
  last_activity_at: 0, timer_secs: 300,
  members: [{ user_id: ME, username: 'me' }, { user_id: BOB, username: 'bob' }],
});
/** @param {string} chatId @param {number} seq @param {number} expiresAt @returns {any} */
const msg = (chatId, seq, expiresAt) => ({
  chat_id: chatId, seq, id: `${chatId}-${seq}`, sender: BOB, epoch: 1, kind: 'message', nonce: 'n', ciphertext: 'c',
  signature: 's', created_at: seq, expires_at: expiresAt, deleted: false,
});

test('the five timers and their names', () => {
  assert.deepEqual(TIMERS, [300, 3600, 28800, 86400, 259200]);
  assert.deepEqual(TIMERS.map(timerLabel), ['5 minutes', '1 hour', '8 hours', '1 day', '3 days']);
});

test('time left is one short unit, rounded up, and says when it changes next', () => {
  const now = 1_000_000;
  assert.equal(timeLeft(now + 3 * 86_400_000, now), '3d');
  assert.equal(timeLeft(now + 2 * 3_600_000 + 1, now), '3h');
  assert.equal(timeLeft(now + 2 * 3_600_000 - 1000, now), '120m');
  assert.equal(timeLeft(now + 4 * 60_000, now), '4m');
  assert.equal(timeLeft(now + 119_000, now), '119s');
  assert.equal(timeLeft(now + 1, now), '1s', 'never "0s" while it is still there');
  assert.equal(timeLeft(now - 5, now), '0s');
  assert.equal(timeLeftText(now + 4 * 60_000, now), 'Disappears in 4 minutes');
  assert.equal(nextTick(now + 5_500, now), 500, 'seconds change on the second');
  assert.equal(nextTick(now + 3 * 3_600_000 + 30_000, now), 30_000, 'hours are looked at every minute');
});

test('expired messages leave the state with their "deleted for me" marks; the rest stays as it was', () => {
  let chats = reduceChats(emptyChats, { type: 'chats_loaded', chats: [chat(CHAT), chat(OTHER)] }, ME);
  chats = reduceChats(chats, { type: 'history', chatId: CHAT, messages: [msg(CHAT, 1, 1000), msg(CHAT, 2, 2000), msg(CHAT, 3, 3000)], mode: 'after', limit: 50 }, ME);
  chats = reduceChats(chats, { type: 'history', chatId: OTHER, messages: [msg(OTHER, 1, 9000)], mode: 'latest', limit: 50 }, ME);
  chats = reduceChats(chats, { type: 'hidden', hidden: { [CHAT]: { [`${CHAT}-1`]: true, [`${CHAT}-3`]: true } } }, ME);
  chats = reduceChats(chats, { type: 'opened', chatId: CHAT, bodies: [2, 3].map((s) => ({ id: `${CHAT}-${s}`, body: { status: 'ok', text: `secret ${s}` } })) }, ME);
  assert.equal(nextExpiry(chats), 1000);
  assert.equal(previewText(chats.byId[CHAT], chats, ME, []), 'secret 2', 'the newest not hidden');

  assert.equal(chats.byId[CHAT].chat.unread, 3);
  const before = chats;
  assert.equal(reduceChats(chats, { type: 'expired', now: 999 }, ME), before, 'nothing due: the same state');
  chats = reduceChats(chats, { type: 'expired', now: 2000 }, ME);
  assert.deepEqual(chats.byId[CHAT].messages.map((m) => m.seq), [3]);
  assert.deepEqual(chats.hidden, { [CHAT]: { [`${CHAT}-3`]: true } }, 'marks of gone messages go too');
  assert.equal(chats.byId[OTHER], before.byId[OTHER], 'other chats are untouched');
  assert.equal(chats.byId[CHAT].top, 3, 'history stays complete: no gap to fill');
  assert.equal(chats.byId[CHAT].chat.unread, 1, 'what expired unread is no longer counted');
  assert.equal(previewText(chats.byId[CHAT], chats, ME, []), 'Say hello', 'the decrypted preview is gone');
  assert.equal(nextExpiry(chats), 3000);

  chats = reduceChats(chats, { type: 'expired', now: 10_000 }, ME);
  assert.deepEqual(chats.hidden, {});
  assert.equal(nextExpiry(chats), null);
  // A message known only from its ack has no expiry yet, and is not dropped for it.
  chats = reduceChats(chats, { type: 'pending_added', chatId: CHAT, id: 'p', text: 'mine', at: 1 }, ME);
  chats = reduceChats(chats, { type: 'live', event: { type: 'ack', chat_id: CHAT, id: 'p', seq: 4 }, at: 2 }, ME);
  assert.equal(reduceChats(chats, { type: 'expired', now: 1e15 }, ME), chats);
  // An ack that carries the stored times expires the own message with every other copy.
  chats = reduceChats(chats, { type: 'pending_added', chatId: CHAT, id: 'q', text: 'mine too', at: 3 }, ME);
  chats = reduceChats(chats, { type: 'live', event: { type: 'ack', chat_id: CHAT, id: 'q', seq: 5, created_at: 4, expires_at: 20_000 }, at: 4 }, ME);
  assert.equal(nextExpiry(chats), 20_000);
  chats = reduceChats(chats, { type: 'expired', now: 20_000 }, ME);
  assert.deepEqual(chats.byId[CHAT].messages.map((m) => m.seq), [4]);
});

test('the timer system line names who set it', () => {
  const entry = /** @type {any} */ ({ chat: chat(CHAT), people: { [BOB]: { username: 'ann' } } });
  const line = (/** @type {string} */ by, /** @type {number} */ seconds) =>
    systemText(/** @type {any} */ ({ system: { event: 'timer', by, seconds } }), entry, ME, []);
  assert.equal(line(BOB, 3600), 'ann set messages to disappear after 1 hour');
  assert.equal(line(ME, 300), 'You set messages to disappear after 5 minutes');
  assert.equal(line(BOB, 259200), 'ann set messages to disappear after 3 days');
});
