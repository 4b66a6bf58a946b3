// The chats reducer: a message is on screen once whatever path it took (live event,
// resume, gap fill, page of history, the own ack before or after its echo), history
// gaps are found, and the read, typing and delete events change only what they name.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { ackWithoutCopy, emptyChats, gapAfter, reduceChats, resumePoints } from '../chats/state.js';

const ME = '00000000-0000-4000-8000-00000000000a';
const BOB = '00000000-0000-4000-8000-00000000000b';
const CHAT = '00000000-0000-4000-8000-0000000000c1';

/** @param {Partial<import('../core/api.js').Chat>} [over] @returns {import('../core/api.js').Chat} */
const chat = (over = {}) => ({
  id: CHAT, kind: 'direct', epoch: 1, epoch_opened_at: 0, rotation_required: false, seq: 0, meta: null,
  created_at: 0, last_activity_at: 0, last_read_seq: 0, unread: 0,
  members: [
    { user_id: ME, username: 'me', role: 'member', joined_at: 0, x25519_public: 'x', ed25519_public: 'me-key' },
    { user_id: BOB, username: 'bob', role: 'member', joined_at: 0, x25519_public: 'x', ed25519_public: 'bob-key' },
  ],
  ...over,
});

/** @param {number} seq @param {Partial<import('../core/api.js').Message>} [over] @returns {import('../core/api.js').Message} */
const msg = (seq, over = {}) => ({
  chat_id: CHAT, seq, id: `id-${seq}`, sender: BOB, epoch: 1, kind: 'message', nonce: 'n', ciphertext: 'c',
  signature: 's', created_at: 1000 + seq, deleted: false, ...over,
});

/** @param {any[]} events @param {import('../chats/state.js').Chats} [start] */
function run(events, start = emptyChats) {
  return events.reduce((s, e) => reduceChats(s, e, ME), start);
}

const live = (/** @type {any} */ event, at = 0) => ({ type: 'live', event, at });
const loaded = (over = {}) => ({ type: 'chats_loaded', chats: [chat(over)] });
const latest = (/** @type {any[]} */ messages, limit = 50) => ({ type: 'history', chatId: CHAT, messages, mode: 'latest', limit });
const seqs = (/** @type {any} */ s) => s.byId[CHAT].messages.map((/** @type {any} */ m) => m.seq);

test('a message delivered live, by resume and by a page is kept once, in seq order', () => {
  const s = run([
    loaded({ seq: 2 }),
    latest([msg(2), msg(1)]),
    live({ type: 'message', message: msg(3) }),
    live({ type: 'message', message: msg(3) }),
    { type: 'history', chatId: CHAT, messages: [msg(3), msg(4)], mode: 'after', limit: 200 },
    live({ type: 'message', message: msg(4) }),
  ]);
  assert.deepEqual(seqs(s), [1, 2, 3, 4]);
  assert.equal(s.byId[CHAT].top, 4);
  assert.equal(gapAfter(s.byId[CHAT]), null);
});

test('a message past a hole is a gap to fill from the last complete seq', () => {
  let s = run([loaded({ seq: 2 }), latest([msg(2), msg(1)]), live({ type: 'message', message: msg(5) })]);
  assert.equal(s.byId[CHAT].top, 2);
  assert.equal(gapAfter(s.byId[CHAT]), 2);
  s = run([{ type: 'history', chatId: CHAT, messages: [msg(3), msg(4), msg(5)], mode: 'after', limit: 200 }], s);
  assert.deepEqual(seqs(s), [1, 2, 3, 4, 5]);
  assert.equal(gapAfter(s.byId[CHAT]), null);
  assert.deepEqual(resumePoints(s), { [CHAT]: 5 });
});

test('live messages before the first page are kept, and the page settles what is complete', () => {
  const s = run([loaded({ seq: 1 }), live({ type: 'message', message: msg(3) }), latest([msg(1)])]);
  assert.deepEqual(seqs(s), [1, 3]);
  assert.equal(gapAfter(s.byId[CHAT]), 1, 'seq 2 is missing');
  assert.deepEqual(resumePoints(run([loaded()])), {}, 'a chat not loaded yet is not resumed');
});

test('an empty after-page settles messages that arrived meanwhile, so a fill never loops', () => {
  let s = run([loaded({ seq: 1 }), latest([msg(1)]), live({ type: 'message', message: msg(4) })]);
  s = run([{ type: 'history', chatId: CHAT, messages: [], mode: 'after', limit: 200 }], s);
  assert.equal(gapAfter(s.byId[CHAT]), null);
  assert.equal(s.byId[CHAT].top, 4);
});

test('an own message: pending, then sent once whether the ack or the echo comes first', () => {
  const start = run([loaded(), latest([])]);
  const pending = { type: 'pending_added', chatId: CHAT, id: 'mine', text: 'hello', at: 5 };
  const ack = live({ type: 'ack', chat_id: CHAT, id: 'mine', seq: 1 });
  const echo = live({ type: 'message', message: msg(1, { id: 'mine', sender: ME }) });
  for (const order of [[ack, echo], [echo, ack], [ack, echo, echo, ack]]) {
    const s = run([pending, ...order], start);
    const e = s.byId[CHAT];
    assert.deepEqual(e.pending, []);
    assert.equal(e.messages.length, 1);
    assert.equal(e.messages[0].id, 'mine');
    assert.deepEqual(e.messages[0].body, { status: 'ok', text: 'hello' }, 'the text sent stands, no decryption needed');
    assert.ok(e.messages[0].raw, 'the sealed copy arrived');
    assert.equal(e.chat.unread, 0, 'own messages are never unread');
  }
  const afterAckOnly = run([pending, ack], start).byId[CHAT];
  assert.equal(afterAckOnly.messages[0].raw, null);
  assert.equal(afterAckOnly.messages[0].seq, 1);
});

test('the sending socket gets no echo: the ack and what was sent make the stored copy', () => {
  const start = run([loaded(), latest([msg(1)])]);
  const sealed = { chat_id: CHAT, id: 'mine', epoch: 3, nonce: 'n2', ciphertext: 'c2', signature: 's2' };
  const s = run([
    { type: 'pending_added', chatId: CHAT, id: 'mine', text: 'hello', at: 5 },
    { type: 'pending_sealed', chatId: CHAT, id: 'mine', sealed },
    live({ type: 'ack', chat_id: CHAT, id: 'mine', seq: 2, created_at: 2002, expires_at: 9002 }),
    live({ type: 'message', message: msg(3) }),
  ], start);
  const e = s.byId[CHAT];
  assert.deepEqual(e.pending, []);
  assert.deepEqual(seqs(s), [1, 2, 3]);
  assert.equal(gapAfter(e), null, 'the own message fills its place: no gap to fetch');
  const own = e.messages[1];
  assert.deepEqual(own.raw, {
    chat_id: CHAT, seq: 2, id: 'mine', sender: ME, epoch: 3, kind: 'message', nonce: 'n2', ciphertext: 'c2',
    signature: 's2', created_at: 2002, expires_at: 9002, deleted: false,
  }, 'as the server stored it');
  assert.equal(own.epoch, 3, 'the epoch it was sealed under');
  assert.equal(own.expires_at, 9002);
  assert.equal(own.created_at, 2002, "the server's time, as every other copy shows it");
  assert.deepEqual(own.body, { status: 'ok', text: 'hello' });
  const replayed = run([live({ type: 'message', message: { ...own.raw, ciphertext: 'other' } })], s);
  assert.equal(replayed.byId[CHAT].messages[1], own, 'a resume of it later changes nothing');
});

test('an ack for an own message discarded here asks for its stored copy, and only then', () => {
  const start = run([loaded(), latest([msg(1)])]);
  const ack = { type: 'ack', chat_id: CHAT, id: 'mine', seq: 2, created_at: 2002, expires_at: 9002 };
  const kept = run([{ type: 'pending_added', chatId: CHAT, id: 'mine', text: 'hi', at: 5 }, live(ack)], start);
  assert.equal(ackWithoutCopy(kept.byId[CHAT], ack), false, 'the pending copy became the message');
  const discarded = run([
    { type: 'pending_added', chatId: CHAT, id: 'mine', text: 'hi', at: 5 },
    { type: 'pending_discarded', chatId: CHAT, id: 'mine' },
    live(ack),
  ], start);
  assert.deepEqual(seqs(discarded), [1], 'nothing to show it from');
  assert.equal(ackWithoutCopy(discarded.byId[CHAT], ack), true);
  const fetched = run([live({ type: 'message', message: msg(2, { id: 'mine', sender: ME }) })], discarded);
  assert.equal(ackWithoutCopy(fetched.byId[CHAT], ack), false);
  assert.equal(ackWithoutCopy(run([loaded()]).byId[CHAT], ack), false, 'a chat not loaded yet loads it with its history');
});

test('a failed message keeps its text and id for the retry', () => {
  const s = run([loaded(), { type: 'pending_added', chatId: CHAT, id: 'mine', text: 'hi', at: 1 },
    { type: 'pending_status', chatId: CHAT, id: 'mine', status: 'failed', error: 'Not sent.' }]);
  assert.deepEqual(s.byId[CHAT].pending, [{ id: 'mine', text: 'hi', at: 1, status: 'failed', error: 'Not sent.' }]);
  const retried = run([{ type: 'pending_status', chatId: CHAT, id: 'mine', status: 'sending' }], s);
  assert.equal(retried.byId[CHAT].pending[0].status, 'sending');
  assert.deepEqual(run([{ type: 'pending_discarded', chatId: CHAT, id: 'mine' }], s).byId[CHAT].pending, []);
});

test('unread counts new messages of others once, and a read position recounts', () => {
  let s = run([loaded({ seq: 2, unread: 1, last_read_seq: 1 }), latest([msg(2), msg(1)])]);
  assert.equal(s.byId[CHAT].chat.unread, 1, 'from the server');
  s = run([live({ type: 'message', message: msg(3) }), live({ type: 'message', message: msg(3) }),
    live({ type: 'message', message: msg(4, { sender: ME }) })], s);
  assert.equal(s.byId[CHAT].chat.unread, 2);
  s = run([live({ type: 'chat.read', chat_id: CHAT, seq: 2 })], s);
  assert.equal(s.byId[CHAT].chat.unread, 1);
  assert.equal(s.byId[CHAT].chat.last_read_seq, 2);
  s = run([live({ type: 'chat.read', chat_id: CHAT, seq: 1 })], s);
  assert.equal(s.byId[CHAT].chat.last_read_seq, 2, 'the read position only moves forward');
  s = run([live({ type: 'chat.read', chat_id: CHAT, seq: 4 })], s);
  assert.equal(s.byId[CHAT].chat.unread, 0);
});

test('chat.updated keeps our own read state: it is one view sent to every member', () => {
  let s = run([loaded({ seq: 3, unread: 2, last_read_seq: 1 })]);
  s = run([live({ type: 'chat.updated', chat: chat({ seq: 3, unread: 0, last_read_seq: 3, epoch: 2 }) })], s);
  assert.equal(s.byId[CHAT].chat.unread, 2);
  assert.equal(s.byId[CHAT].chat.last_read_seq, 1);
  assert.equal(s.byId[CHAT].chat.epoch, 2);
});

test('deleting for everyone leaves a tombstone that a stale copy does not undo', () => {
  let s = run([loaded({ seq: 1 }), latest([msg(1)]), { type: 'opened', chatId: CHAT, bodies: [{ id: 'id-1', body: { status: 'ok', text: 'x' } }] }]);
  s = run([live({ type: 'message.deleted', chat_id: CHAT, seq: 1 })], s);
  let m = s.byId[CHAT].messages[0];
  assert.equal(m.deleted, true);
  assert.equal(m.body, null);
  assert.equal(m.raw, null);
  s = run([latest([msg(1)])], s);
  m = s.byId[CHAT].messages[0];
  assert.equal(m.deleted, true);
});

test('typing shows for a while, and ends with their message or the clock', () => {
  let s = run([loaded(), latest([]), live({ type: 'typing', chat_id: CHAT, user_id: BOB }, 1000)]);
  assert.ok(s.byId[CHAT].typing[BOB] > 1000);
  assert.deepEqual(run([{ type: 'typing_expired', now: 2000 }], s).byId[CHAT].typing, { [BOB]: s.byId[CHAT].typing[BOB] });
  assert.deepEqual(run([{ type: 'typing_expired', now: 99_999 }], s).byId[CHAT].typing, {});
  assert.deepEqual(run([live({ type: 'message', message: msg(1) })], s).byId[CHAT].typing, {});
  s = run([live({ type: 'typing', chat_id: CHAT, user_id: ME }, 1000)], run([loaded()]));
  assert.deepEqual(s.byId[CHAT].typing, {}, 'never "you are typing"');
});

test('read receipts, removals and leaving contacts', () => {
  let s = run([loaded(), live({ type: 'read', chat_id: CHAT, user_id: BOB, seq: 3 }), live({ type: 'read', chat_id: CHAT, user_id: BOB, seq: 2 })]);
  assert.deepEqual(s.byId[CHAT].readBy, { [BOB]: 3 });
  assert.ok(run([live({ type: 'chat.removed', chat_id: CHAT })], s).byId[CHAT] === undefined);
  assert.ok(run([live({ type: 'contact.removed', user_id: BOB })], s).byId[CHAT] === undefined, 'the direct chat goes with the contact');
  assert.ok(run([live({ type: 'contact.removed', user_id: 'someone-else' })], s).byId[CHAT]);
});

test('a page of older messages adds below and says whether more may exist', () => {
  let s = run([loaded({ seq: 60 }), latest(Array.from({ length: 50 }, (_, i) => msg(60 - i)))]);
  assert.equal(s.byId[CHAT].hasOlder, true);
  s = run([{ type: 'history', chatId: CHAT, messages: Array.from({ length: 10 }, (_, i) => msg(10 - i)), mode: 'before', limit: 50 }], s);
  assert.equal(s.byId[CHAT].hasOlder, false);
  assert.equal(s.byId[CHAT].messages.length, 60);
  assert.equal(s.byId[CHAT].top, 60);
});

test('members seen once are remembered, so a departed sender keeps a name and a key', () => {
  let s = run([loaded()]);
  s = run([live({ type: 'chat.updated', chat: chat({ members: [chat().members[0]] }) })], s);
  assert.equal(s.byId[CHAT].people[BOB].ed25519_public, 'bob-key');
  assert.equal(s.byId[CHAT].chat.members.length, 1);
});

test('unknown events and chats leave the state as it is', () => {
  const s = run([loaded()]);
  assert.equal(run([live({ type: 'nope' })], s), s);
  assert.equal(run([live({ type: 'message', message: { ...msg(1), chat_id: 'other' } })], s), s);
  assert.equal(run([live({ type: 'message' })], s), s);
});
