// The assistant's pure part: a streamed answer grows only while it is being answered,
// the context is the recent readable and unexpired turns with the right roles, joined
// per role, images as data-URL parts, and long answers are stored in pieces that each
// fit one message.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  CONTEXT_TURNS, decodeTurn, emptyAssistant, encodeTurn, isBusy, pickContext, reduceAssistant, roleOf, splitAnswer, toContext,
} from '../assistant/state.js';
import { MAX_PLAINTEXT_BYTES } from '../crypto/plaintext.js';

/** @param {Partial<import('../assistant/state.js').Turn>} [over] @returns {import('../assistant/state.js').Turn} */
const turn = (over = {}) => ({
  requestId: 'r1', questionId: 'q1', question: 'Why?', images: [], at: 1, context: null, phase: 'answering', answer: '',
  answerIds: [], stopped: false, error: null, retry: null, ...over,
});

/** @param {any[]} events */
const run = (events) => events.reduce(reduceAssistant, emptyAssistant);

test('tokens add up while answering, and only for the request being answered', () => {
  const s = run([
    { type: 'assistant_info', info: { configured: true, model: 'm', chat_id: 'c' } },
    { type: 'assistant_asked', turn: turn() },
    { type: 'assistant_delta', requestId: 'r1', text: 'Be' },
    { type: 'assistant_delta', requestId: 'other', text: 'XX' },
    { type: 'assistant_delta', requestId: 'r1', text: 'cause' },
  ]);
  assert.equal(s.turn?.answer, 'Because');
  assert.equal(s.info?.model, 'm');
  assert.ok(isBusy(s.turn));

  const stopped = run([{ type: 'assistant_asked', turn: turn() }, { type: 'assistant_delta', requestId: 'r1', text: 'a' },
    { type: 'assistant_turn', requestId: 'r1', patch: { phase: 'saving', stopped: true } },
    { type: 'assistant_delta', requestId: 'r1', text: 'late' }]);
  assert.equal(stopped.turn?.answer, 'a', 'nothing arrives after Stop');

  const cleared = run([{ type: 'assistant_asked', turn: turn() }, { type: 'assistant_cleared', requestId: 'old' }]);
  assert.ok(cleared.turn, 'clearing another request changes nothing');
  assert.equal(run([{ type: 'assistant_asked', turn: turn() }, { type: 'assistant_cleared', requestId: 'r1' }]).turn, null);
  assert.equal(isBusy(turn({ phase: 'failed' })), false);
});

test('questions and answers are {"text", "role"}; a message without a role is the user\'s', () => {
  const q = encodeTurn('\n  Hello?  \n', 'user');
  assert.ok(q.ok);
  assert.deepEqual(JSON.parse(new TextDecoder().decode(q.ok ? q.bytes : undefined)), { text: '  Hello?', role: 'user' });
  assert.deepEqual(encodeTurn('   ', 'user'), { ok: false, error: 'Type a question first.' });
  const withImage = encodeTurn(' ', 'user', [{ blob: 'b' }]);
  assert.deepEqual(JSON.parse(new TextDecoder().decode(withImage.ok ? withImage.bytes : undefined)),
    { text: '', role: 'user', images: [{ blob: 'b' }] }, 'an image alone is a question');
  assert.equal(encodeTurn('x'.repeat(MAX_PLAINTEXT_BYTES), 'user').ok, false);
  const enc = (/** @type {unknown} */ doc) => new TextEncoder().encode(JSON.stringify(doc));
  assert.deepEqual(decodeTurn(enc({ text: 'hi' })), { text: 'hi', role: 'user', images: [] });
  assert.deepEqual(decodeTurn(enc({ text: 'yo', role: 'assistant' })), { text: 'yo', role: 'assistant', images: [] });
  assert.deepEqual(decodeTurn(enc({ text: 'x', role: 'system' }))?.role, 'user', 'no other role can be claimed');
  assert.equal(decodeTurn(enc({ name: 'group' })), null);
  assert.equal(decodeTurn(new Uint8Array([0xff])), null);
  assert.equal(roleOf(/** @type {any} */ ({ body: { status: 'ok', text: 'a', role: 'assistant' } })), 'assistant');
  assert.equal(roleOf(/** @type {any} */ ({ body: { status: 'ok', text: 'a' } })), 'user');
});

/** @param {number} seq @param {object} [over] */
const msg = (seq, over = {}) => ({
  seq, id: `m${seq}`, sender: 'me', kind: 'message', epoch: 1, created_at: seq, deleted: false, system: null,
  raw: { expires_at: 10_000 }, body: { status: 'ok', text: `t${seq}` }, ...over,
});

test('the context is the newest readable, unexpired messages, oldest first', () => {
  const entry = /** @type {any} */ ({
    messages: [
      msg(1), msg(2, { raw: { expires_at: 500 } }), msg(3, { deleted: true, body: null }), msg(4, { kind: 'system', body: null }),
      msg(5, { body: { status: 'unverified' } }), msg(6), msg(7, { expires_at: 400, raw: null }), msg(8), msg(9),
    ],
  });
  const ids = (/** @type {any[]} */ ms) => ms.map((m) => m.id);
  assert.deepEqual(ids(pickContext(entry, { now: 1_000, limit: 10 })), ['m1', 'm6', 'm8', 'm9']);
  assert.deepEqual(ids(pickContext(entry, { now: 1_000, limit: 2 })), ['m8', 'm9']);
  assert.deepEqual(ids(pickContext(entry, { now: 1_000, limit: 10, exclude: ['m9'] })), ['m1', 'm6', 'm8']);
  assert.deepEqual(ids(pickContext(entry, { now: 20_000, limit: 10 })), [], 'everything has expired');
  assert.deepEqual(pickContext(undefined, { now: 0, limit: 5 }), []);
  assert.equal(CONTEXT_TURNS, 20);
});

test('turns of one role are joined; images become image_url parts', () => {
  assert.deepEqual(toContext([
    { role: 'user', text: 'first, unanswered' }, { role: 'user', text: 'second' },
    { role: 'assistant', text: 'part 1' }, { role: 'assistant', text: 'part 2' },
    { role: 'user', text: '', images: [] },
    { role: 'user', text: 'look', images: ['data:image/jpeg;base64,AAAA'] },
  ]), [
    { role: 'user', content: 'first, unanswered\n\nsecond' },
    { role: 'assistant', content: 'part 1\n\npart 2' },
    { role: 'user', content: [{ type: 'text', text: 'look' }, { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,AAAA' } }] },
  ]);
  assert.deepEqual(toContext([{ role: 'user', text: '', images: ['data:image/png;base64,B'] }]),
    [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,B' } }] }]);
});

test('a long answer is stored in pieces that each fit a message, cut at breaks', () => {
  const para = 'word '.repeat(300).trim();
  const answer = Array.from({ length: 40 }, (_, i) => `${i}: ${para}`).join('\n\n');
  const parts = splitAnswer(answer);
  assert.ok(parts.length > 1);
  for (const p of parts) {
    assert.ok(encodeTurn(p, 'assistant').ok, 'each piece fits');
    assert.ok(/^\d+: word/.test(p), 'cut at a paragraph break');
  }
  assert.equal(parts.join('\n\n'), answer);
  assert.deepEqual(splitAnswer('short'), ['short']);
  // No break at all, and characters that JSON escapes or UTF-8 widens.
  const dense = '"é😀'.repeat(5000);
  const pieces = splitAnswer(dense, 1000);
  assert.equal(pieces.join(''), dense);
  for (const p of pieces) {
    assert.ok(new TextEncoder().encode(JSON.stringify({ text: p, role: 'assistant' })).length <= 1000);
    assert.ok(!/[\uD800-\uDBFF]$/.test(p), 'no half of a surrogate pair');
  }
});
