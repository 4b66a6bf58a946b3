// Reactions and edits: chips gathered by message, emoji and person; the latest edit
// supersedes the others; a reaction or edit whose sealed target is not the server's
// counts for nothing; neither raises the unread count nor the chat's activity; the
// plaintexts round-trip; shortcodes and search find emoji from the vendored data.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { emptyChats, reduceChats } from '../chats/state.js';
import { timeline, previewText } from '../chats/format.js';
import { latestEditable, latestEdits, latestReactable, reactionsByTarget } from '../reactions/state.js';
import { QUICK, emojiByShortcode, reactCommand, searchEmoji } from '../reactions/emoji.js';
import { decodeEdit, decodeReaction, encodeEdit, encodeReaction } from '../crypto/plaintext.js';

const ME = '00000000-0000-4000-8000-00000000000a';
const BOB = '00000000-0000-4000-8000-00000000000b';
const CAT = '00000000-0000-4000-8000-00000000000c';
const CHAT = '00000000-0000-4000-8000-0000000000c1';
const id = (/** @type {number} */ n) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

const chat = () => ({
  id: CHAT, kind: 'group', epoch: 1, epoch_opened_at: 0, rotation_required: false, seq: 0, meta: null,
  created_at: 0, last_activity_at: 0, last_read_seq: 0, unread: 0,
  members: [ME, BOB, CAT].map((u) => ({ user_id: u, username: u.slice(-1), role: 'member', joined_at: 0, x25519_public: 'x', ed25519_public: 'k' })),
});

/** @param {number} seq @param {object} [over] */
const msg = (seq, over = {}) => ({
  chat_id: CHAT, seq, id: id(seq), sender: BOB, epoch: 1, kind: 'message', nonce: 'n', ciphertext: 'c',
  signature: 's', created_at: 1000 + seq, deleted: false, ...over,
});
/** @param {number} seq @param {string} sender @param {number} target @param {string} emoji @param {number} [sealed] */
const reaction = (seq, sender, target, emoji, sealed = target) => ({
  message: msg(seq, { sender, kind: 'reaction', target: id(target) }),
  body: { status: 'ok', text: '', emoji, target: id(sealed) },
});
/** @param {number} seq @param {string} sender @param {number} target @param {string} text @param {number} [sealed] */
const edit = (seq, sender, target, text, sealed = target) => ({
  message: msg(seq, { sender, kind: 'edit', target: id(target) }),
  body: { status: 'ok', text, target: id(sealed) },
});

/** Loads the chat, then each item as a live message opened to its body. @param {any[]} items */
function build(items) {
  let s = reduceChats(emptyChats, /** @type {any} */ ({ type: 'chats_loaded', chats: [chat()] }), ME);
  s = reduceChats(s, { type: 'history', chatId: CHAT, messages: [], mode: 'latest', limit: 50 }, ME);
  for (const it of items) {
    const m = it.message ?? it;
    s = reduceChats(s, { type: 'live', event: { type: 'message', message: m }, at: 0 }, ME);
    const body = it.body ?? { status: 'ok', text: `text ${m.seq}` };
    s = reduceChats(s, { type: 'opened', chatId: CHAT, bodies: [{ id: m.id, body }] }, ME);
  }
  return s;
}

test('reactions gather by message and emoji, each person once, own ones marked', () => {
  const s = build([
    msg(1), msg(2, { sender: ME }),
    reaction(3, BOB, 1, '👍'), reaction(4, CAT, 1, '👍'), reaction(5, ME, 1, '👍'),
    reaction(6, ME, 1, '❤️'), reaction(7, BOB, 1, '👍'), reaction(8, CAT, 2, '😂'),
  ]);
  const chips = reactionsByTarget(s.byId[CHAT].messages, ME);
  const one = chips.get(id(1)) ?? [];
  assert.deepEqual(one.map((c) => [c.emoji, c.users]), [['👍', [BOB, CAT, ME]], ['❤️', [ME]]]);
  assert.deepEqual(one.map((c) => c.mine.map((m) => m.seq)), [[5], [6]]);
  assert.deepEqual(chips.get(id(2))?.map((c) => [c.emoji, c.users, c.mine.length]), [['😂', [CAT], 0]]);
});

test('a deleted reaction (un-reacting) leaves its chip, and the emoji with and without U+FE0F are one', () => {
  let s = build([msg(1), reaction(2, ME, 1, '❤️'), reaction(3, BOB, 1, '❤'), reaction(4, ME, 1, '👍')]);
  s = reduceChats(s, { type: 'live', event: { type: 'message.deleted', chat_id: CHAT, seq: 4 }, at: 0 }, ME);
  const chips = reactionsByTarget(s.byId[CHAT].messages, ME).get(id(1)) ?? [];
  assert.deepEqual(chips.map((c) => [c.emoji, c.users]), [['❤️', [ME, BOB]]]);
});

test('a reaction whose sealed target is not the server\'s is not shown', () => {
  const s = build([msg(1), msg(2), reaction(3, BOB, 1, '👍', 2)]);
  assert.equal(reactionsByTarget(s.byId[CHAT].messages, ME).size, 0);
});

test('the latest edit supersedes the others; only the sender\'s, with the right sealed target, counts', () => {
  const s = build([
    msg(1), msg(2),
    edit(3, BOB, 1, 'first fix'), edit(4, BOB, 1, 'second fix'),
    edit(5, CAT, 2, 'not yours'), edit(6, BOB, 2, 'moved', 1),
  ]);
  const edits = latestEdits(s.byId[CHAT].messages);
  assert.equal(edits.get(id(1))?.seq, 4);
  assert.equal(edits.has(id(2)), false);
});

test('reactions and edits are not rows, raise no unread count, move no activity, and are no preview', () => {
  const s = build([msg(1), msg(2, { sender: ME }), reaction(3, BOB, 2, '👍'), edit(4, BOB, 1, 'fixed')]);
  const e = s.byId[CHAT];
  assert.equal(e.chat.unread, 1);
  assert.equal(e.chat.last_activity_at, 1002);
  assert.deepEqual(timeline(e, s).filter((i) => i.kind === 'msg').map((i) => i.kind === 'msg' && i.msg.seq), [1, 2]);
  assert.equal(previewText(e, s, ME, []), 'You: text 2');
  assert.equal(e.messages.find((m) => m.seq === 3)?.kind, 'reaction');
});

test('an edited original from history keeps what was read of it, and a fresh one is marked edited', () => {
  let s = build([msg(1)]);
  s = reduceChats(s, { type: 'history', chatId: CHAT, messages: [msg(1, { edited: true, ciphertext: undefined, nonce: undefined })], mode: 'after', limit: 50 }, ME);
  const m = s.byId[CHAT].messages[0];
  assert.equal(m.edited, true);
  assert.deepEqual(m.body, { status: 'ok', text: 'text 1' });
});

test('the composer\'s targets: the newest live message, the newest own readable one', () => {
  const s = build([msg(1, { sender: ME }), msg(2), reaction(3, BOB, 1, '👍'), msg(4, { deleted: true })]);
  const all = s.byId[CHAT].messages;
  assert.equal(latestReactable(all)?.seq, 2);
  assert.equal(latestEditable(all, ME)?.seq, 1);
});

test('reaction and edit plaintexts round-trip, and bad ones are unsupported', () => {
  const r = encodeReaction('👍', id(1));
  assert.ok(r.ok);
  assert.deepEqual(r.ok && decodeReaction(r.bytes), { status: 'ok', text: '', emoji: '👍', target: id(1) });
  assert.equal(encodeReaction('x'.repeat(33), id(1)).ok, false);
  const bytes = (/** @type {unknown} */ doc) => new TextEncoder().encode(JSON.stringify(doc));
  assert.equal(decodeReaction(bytes({ emoji: '👍', target: 'nope' })).status, 'unsupported');
  assert.equal(decodeReaction(bytes({ emoji: '👍'.repeat(9), target: id(1) })).status, 'unsupported');
  const e = encodeEdit({ text: 'new words\n', target: id(2) });
  assert.ok(e.ok);
  assert.deepEqual(e.ok && decodeEdit(e.bytes), { status: 'ok', text: 'new words', target: id(2) });
  assert.equal(decodeEdit(bytes({ text: 'no target' })).status, 'unsupported');
  assert.equal(encodeEdit({ text: '  ', target: id(2) }).ok, false);
});

test('shortcodes, the composer\'s +:code:, and search find emoji from the vendored data', () => {
  assert.equal(emojiByShortcode('thumbsup'), '👍');
  assert.equal(emojiByShortcode('+1'), '👍');
  assert.equal(reactCommand(' +:thumbsup: '), '👍');
  assert.equal(reactCommand('+:thumbsup: nice'), null);
  assert.equal(reactCommand('+:no_such_code:'), null);
  assert.equal(searchEmoji('thumbs')[0].emoji, '👍');
  assert.ok(searchEmoji('cat face').some((x) => x.emoji === '🐱'));
  for (const q of QUICK) assert.ok(searchEmoji('').length === 0 && q.length > 0);
  assert.equal(QUICK.length, 6);
});
