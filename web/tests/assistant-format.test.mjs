// The assistant chat in the list: named "Assistant", pinned above chats with newer
// activity, its answers previewed as the assistant's (not "You: …"), and a stored
// answer's role read back from its plaintext.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { encodeTurn } from '../assistant/state.js';
import { chatTitle, orderedChats, previewText } from '../chats/format.js';
import { emptyChats, reduceChats } from '../chats/state.js';
import { decodeMessage } from '../crypto/plaintext.js';

const ME = 'me-id';
const ANN = 'ann-id';

/** @param {string} id @param {string} kind @param {string[]} members @param {number} activity */
const chat = (id, kind, members, activity) => ({
  id, kind, epoch: 1, epoch_opened_at: 0, rotation_required: false, seq: 0, meta: null, created_at: 0,
  last_activity_at: activity,
  members: members.map((m) => ({ user_id: m, username: m.replace('-id', ''), role: 'member', joined_at: 0, x25519_public: '', ed25519_public: '' })),
});

/** @param {any[]} events */
const build = (events) => events.reduce((s, e) => reduceChats(s, e, ME), emptyChats);

/** @param {number} seq @param {string} id */
const message = (seq, id) => ({
  chat_id: 'ai', seq, id, sender: ME, epoch: 1, kind: 'message', nonce: 'n', ciphertext: 'c', signature: 's',
  created_at: seq, deleted: false,
});

test('the assistant chat is "Assistant", pinned on top, and previews answers as the assistant\'s', () => {
  const s = build([
    { type: 'chats_loaded', chats: [chat('ai', 'assistant', [ME], 1), chat('d', 'direct', [ME, ANN], 500)] },
  ]);
  assert.deepEqual(orderedChats(s).map((e) => e.chat.id), ['ai', 'd'], 'pinned above newer activity');
  assert.equal(chatTitle(s.byId.ai, ME, []), 'Assistant');
  assert.equal(previewText(s.byId.ai, s, ME, []), 'Ask anything');

  const withTurns = build([
    { type: 'chats_loaded', chats: [chat('ai', 'assistant', [ME], 1)] },
    { type: 'history', chatId: 'ai', messages: [message(1, 'q'), message(2, 'a')], mode: 'latest', limit: 50 },
    { type: 'opened', chatId: 'ai', bodies: [{ id: 'q', body: { status: 'ok', text: 'Why?' } }] },
  ]);
  assert.equal(previewText(withTurns.byId.ai, withTurns, ME, []), 'You: Decrypting…');
  const answered = reduceChats(withTurns,
    { type: 'opened', chatId: 'ai', bodies: [{ id: 'a', body: /** @type {any} */ ({ status: 'ok', text: 'Because.', role: 'assistant' }) }] }, ME);
  assert.equal(previewText(answered.byId.ai, answered, ME, []), 'Because.');
});

test('an answer\'s plaintext says it is the assistant\'s; nothing else can claim a role', () => {
  const answer = encodeTurn('Because.', 'assistant');
  assert.ok(answer.ok);
  assert.deepEqual(decodeMessage(answer.ok ? answer.bytes : new Uint8Array()), { status: 'ok', text: 'Because.', role: 'assistant' });
  const question = encodeTurn('Why?', 'user');
  assert.deepEqual(decodeMessage(question.ok ? question.bytes : new Uint8Array()), { status: 'ok', text: 'Why?' });
  const other = new TextEncoder().encode(JSON.stringify({ text: 'x', role: 'system' }));
  assert.deepEqual(decodeMessage(other), { status: 'ok', text: 'x' });
});
