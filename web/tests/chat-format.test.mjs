// What the chat views say, from the state alone: names, system lines, previews, day
// separators and the order of the list.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  bodyText, chatTitle, dayKey, dayLabel, filterChats, orderedChats, previewText, systemText, timeline, typingText,
} from '../chats/format.js';
import { emptyChats, reduceChats } from '../chats/state.js';

const ME = 'me-id';
const ANN = 'ann-id';
const BOB = 'bob-id';

/** @param {string} id @param {'direct' | 'group'} kind @param {string[]} members @param {number} [activity] */
const chat = (id, kind, members, activity = 0) => ({
  id, kind, epoch: 1, epoch_opened_at: 0, rotation_required: false, seq: 0, meta: null, created_at: 0,
  last_activity_at: activity,
  members: members.map((m) => ({ user_id: m, username: m.replace('-id', ''), role: 'member', joined_at: 0, x25519_public: '', ed25519_public: `${m}-key` })),
});

/** @param {any[]} events */
const build = (events) => events.reduce((s, e) => reduceChats(s, e, ME), emptyChats);

const contacts = [{ user_id: ANN, username: 'ann', display_name: 'Ann Lee', x25519_public: '', ed25519_public: '', connected_at: 0, chat_id: 'd' }];

test('direct chats take the other person\'s name; groups their decrypted name, else "Group"', () => {
  const s = build([{ type: 'chats_loaded', chats: [chat('d', 'direct', [ME, ANN]), chat('g', 'group', [ME, ANN, BOB])] }]);
  assert.equal(chatTitle(s.byId.d, ME, contacts), 'Ann Lee');
  assert.equal(chatTitle(s.byId.d, ME, []), 'ann');
  assert.equal(chatTitle(s.byId.g, ME, contacts), 'Group');
  const named = build([{ type: 'chats_loaded', chats: [chat('g', 'group', [ME, ANN])] }, { type: 'named', chatId: 'g', metaId: 'm', name: 'Trip' }]);
  assert.equal(chatTitle(named.byId.g, ME, contacts), 'Trip');
});

test('system lines name who did what, "you" for oneself and "someone" for strangers', () => {
  const s = build([{ type: 'chats_loaded', chats: [chat('g', 'group', [ME, ANN, BOB])] }]);
  const e = s.byId.g;
  /** @param {any} system */
  const line = (system) => systemText(/** @type {any} */ ({ system }), e, ME, contacts);
  assert.equal(line({ event: 'joined', by: ANN, user_id: BOB }), 'Ann Lee added bob');
  assert.equal(line({ event: 'joined', by: ME, user_id: BOB }), 'You added bob');
  assert.equal(line({ event: 'joined', by: ANN, user_id: ME }), 'Ann Lee added you');
  assert.equal(line({ event: 'created', by: ME }), 'You created the group');
  assert.equal(line({ event: 'left', by: BOB }), 'bob left');
  assert.equal(line({ event: 'removed', by: ANN, user_id: 'gone-id' }), 'Ann Lee removed someone');
  assert.equal(line({ event: 'promoted', by: ANN, user_id: BOB }), 'Ann Lee made bob an admin');
  assert.equal(line({ event: 'renamed', by: BOB }), 'bob renamed the group');
  assert.equal(line({ event: 'epoch', by: BOB }), null);
});

test('message bodies: text, tombstone, and warnings that never show the text', () => {
  const base = { deleted: false, body: null };
  assert.equal(bodyText(/** @type {any} */ ({ ...base, body: { status: 'ok', text: 'hi' } })), 'hi');
  assert.equal(bodyText(/** @type {any} */ ({ ...base, deleted: true })), 'Message deleted');
  assert.equal(bodyText(/** @type {any} */ ({ ...base, body: { status: 'unverified' } })), 'This message could not be verified');
  assert.equal(bodyText(/** @type {any} */ ({ ...base, body: { status: 'unreadable' } })), 'This message could not be decrypted');
});

test('previews and the list order follow the newest activity', () => {
  const msg = (/** @type {string} */ chatId, /** @type {number} */ seq, /** @type {string} */ sender, at) => ({
    chat_id: chatId, seq, id: `${chatId}-${seq}`, sender, epoch: 1, kind: 'message', nonce: 'n', ciphertext: 'c', signature: 's',
    created_at: at, deleted: false,
  });
  const s = build([
    { type: 'chats_loaded', chats: [chat('d', 'direct', [ME, ANN], 10), chat('g', 'group', [ME, ANN, BOB], 20)] },
    { type: 'history', chatId: 'd', messages: [], mode: 'latest', limit: 50 },
    { type: 'history', chatId: 'g', messages: [msg('g', 1, BOB, 20)], mode: 'latest', limit: 50 },
    { type: 'opened', chatId: 'g', bodies: [{ id: 'g-1', body: { status: 'ok', text: 'yo' } }] },
  ]);
  assert.deepEqual(orderedChats(s).map((e) => e.chat.id), ['g', 'd']);
  assert.equal(previewText(s.byId.g, s, ME, contacts), 'bob: yo');
  assert.equal(previewText(s.byId.d, s, ME, contacts), 'Say hello');
  const withPending = reduceChats(build([
    { type: 'chats_loaded', chats: [chat('d', 'direct', [ME, ANN], 10), chat('g', 'group', [ME, ANN, BOB], 20)] },
  ]), { type: 'pending_added', chatId: 'd', id: 'p', text: 'hey', at: 30 }, ME);
  assert.deepEqual(orderedChats(withPending).map((e) => e.chat.id), ['d', 'g']);
  assert.equal(previewText(withPending.byId.d, withPending, ME, contacts), 'You: hey');
});

test('the timeline puts a day separator before each day, hides "deleted for me", pending last', () => {
  const day1 = new Date(2024, 0, 1, 23, 0).getTime();
  const day2 = new Date(2024, 0, 2, 8, 0).getTime();
  const msg = (/** @type {number} */ seq, /** @type {number} */ at) => ({
    chat_id: 'd', seq, id: `m${seq}`, sender: ANN, epoch: 1, kind: 'message', nonce: 'n', ciphertext: 'c', signature: 's',
    created_at: at, deleted: false,
  });
  const s = build([
    { type: 'chats_loaded', chats: [chat('d', 'direct', [ME, ANN])] },
    { type: 'history', chatId: 'd', messages: [msg(1, day1), msg(2, day1 + 1), msg(3, day2)], mode: 'latest', limit: 50 },
    { type: 'hidden', hidden: { d: { m2: true } } },
    { type: 'pending_added', chatId: 'd', id: 'p', text: 'x', at: day2 + 5 },
  ]);
  assert.deepEqual(timeline(s.byId.d, s).map((i) => i.key), [`day:${dayKey(day1)}`, 'm:m1', `day:${dayKey(day2)}`, 'm:m3', 'm:p']);
  assert.equal(dayLabel(day2, day2 + 60_000), 'Today');
  assert.equal(dayLabel(day1, day2), 'Yesterday');
});

test('who is typing, and the quick switcher\'s filter', () => {
  const s = build([{ type: 'chats_loaded', chats: [chat('g', 'group', [ME, ANN, BOB])] },
    { type: 'live', event: { type: 'typing', chat_id: 'g', user_id: ANN }, at: 0 },
    { type: 'live', event: { type: 'typing', chat_id: 'g', user_id: BOB }, at: 0 }]);
  assert.equal(typingText(s.byId.g, contacts, 1), 'Ann Lee and bob are typing…');
  assert.equal(typingText(s.byId.g, contacts, 999_999), null);
  const chats = [{ name: 'Zoë' }, { name: 'Weekend plans' }, { name: 'ann' }];
  assert.deepEqual(filterChats(chats, 'zoe').map((c) => c.name), ['Zoë']);
  assert.deepEqual(filterChats(chats, ' PLAN ').map((c) => c.name), ['Weekend plans']);
  assert.equal(filterChats(chats, '').length, 3);
});
