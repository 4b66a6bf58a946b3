// Search and mentions, the pure parts: case- and accent-insensitive matching with the
// highlight mapped back onto the original text, result snippets, searching the state,
// and mentions from the text to the plaintext and back.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { fold, matchRanges, parts, queryWords, snippet } from '../search/fold.js';
import { searchAll, searchChat, searchableText } from '../search/find.js';
import { candidates, groupMentions, insertMention, mentionAt, mentionIds, mentionParts, mentionsMe, unreadMention }
  from '../chats/mentions.js';
import { MAX_MENTIONS, decodeMessage, encodeMessage, readMentions } from '../crypto/plaintext.js';

const ids = {
  ann: '00000000-0000-4000-8000-00000000000a', bob: '00000000-0000-4000-8000-00000000000b',
  cat: '00000000-0000-4000-8000-00000000000c',
};
const members = [{ user_id: ids.ann, username: 'ann' }, { user_id: ids.bob, username: 'bob_1' },
  { user_id: ids.cat, username: 'cat' }];

/** @param {number} seq @param {string} text @param {Record<string, unknown>} [extra] */
const msg = (seq, text, extra = {}) => ({
  seq, id: `m${seq}`, sender: ids.bob, kind: 'message', epoch: 1, created_at: seq * 1000, deleted: false, system: null,
  raw: null, body: { status: 'ok', text, ...extra },
});
/** @param {string} id @param {any[]} messages @param {Record<string, unknown>} [chat] */
const entry = (id, messages, chat = {}) => ({
  chat: { id, kind: 'group', members, last_read_seq: 0, ...chat }, messages, top: 0, hasOlder: false, pending: [],
});

test('folding ignores case, accents and compatibility forms', () => {
  assert.equal(fold('Café ÉTÉ'), 'cafe ete');
  assert.equal(fold('ﬁle'), 'file');
  assert.deepEqual(queryWords('  Crème   Brûlée '), ['creme', 'brulee']);
});

test('matches map back onto the original text, every word must occur', () => {
  const text = 'Le Café est ouvert; café noir.';
  const ranges = matchRanges(text, queryWords('CAFE'));
  assert.deepEqual(ranges?.map((r) => text.slice(r.start, r.end)), ['Café', 'café']);
  assert.equal(matchRanges(text, queryWords('cafe thé')), null, 'all words or nothing');
  const decomposed = 'cafe\u0301 time';
  const r2 = matchRanges(decomposed, queryWords('café'));
  assert.deepEqual(r2?.map((r) => decomposed.slice(r.start, r.end)), ['cafe\u0301'], 'the accent goes with its letter');
  const lig = 'my ﬁle';
  assert.deepEqual(matchRanges(lig, queryWords('fi'))?.map((r) => lig.slice(r.start, r.end)), ['ﬁ']);
  assert.equal(matchRanges('anything', []), null);
  assert.deepEqual(parts('abc', [{ start: 1, end: 2 }]), [{ text: 'a', hit: false }, { text: 'b', hit: true },
    { text: 'c', hit: false }]);
});

test('a snippet shows the words around the first match, with ellipses', () => {
  const text = `${'lorem ipsum '.repeat(10)}the Needle here\n${'dolor sit '.repeat(10)}`;
  const out = snippet(text, /** @type {any} */ (matchRanges(text, ['needle'])), 20);
  assert.equal(out[0].text, '…');
  assert.equal(out[out.length - 1].text, '…');
  assert.deepEqual(out.filter((p) => p.hit).map((p) => p.text), ['Needle']);
  const joined = out.map((p) => p.text).join('');
  assert.ok(joined.length < 60 && !joined.includes('\n'), joined);
  assert.deepEqual(snippet('short one', /** @type {any} */ (matchRanges('short one', ['one']))),
    [{ text: 'short ', hit: false }, { text: 'one', hit: true }]);
});

test('search covers text and file names, skips deleted and hidden messages, newest first across chats', () => {
  const file = { name: 'Résumé.pdf', blob: 'x', key: 'k', size: 1, type: 'application/pdf', kind: 'file' };
  const a = entry('a', [msg(1, 'see attached', { files: [file] }), msg(2, 'resume later'),
    { ...msg(3, 'resume gone'), deleted: true }, msg(4, 'resume hidden')]);
  const b = entry('b', [msg(9, 'no match'), msg(10, 'RESUME now')]);
  const chats = /** @type {any} */ ({ byId: { a, b }, hidden: { a: { m4: true } } });
  assert.equal(searchableText(/** @type {any} */ (a.messages[0])), 'see attached\nRésumé.pdf');
  assert.deepEqual(searchChat(/** @type {any} */ (a), chats, 'resume').map((h) => h.id), ['m1', 'm2']);
  assert.deepEqual(searchAll(chats, 'résumé').map((h) => `${h.chatId}:${h.id}`), ['b:m10', 'a:m2', 'a:m1']);
  assert.deepEqual(searchAll(chats, '   '), []);
});

test('mentions come from the text, matched against the members, never oneself, at most 50', () => {
  assert.deepEqual(mentionIds('hi @Bob_1 and @cat, and @cat again; mail@ann not', members, ids.ann), [ids.bob, ids.cat]);
  assert.deepEqual(mentionIds('@ann @nobody', members, ids.ann), []);
  const many = Array.from({ length: 60 }, (_, i) => ({ user_id: `u${i}`, username: `u${i}` }));
  assert.equal(mentionIds(many.map((m) => `@${m.username}`).join(' '), many, null).length, MAX_MENTIONS);
  const direct = /** @type {any} */ ({ chat: { kind: 'direct', members } });
  assert.deepEqual(groupMentions(direct, '@cat', ids.ann), [], 'only in groups');
  assert.deepEqual(groupMentions(/** @type {any} */ (entry('g', [])), '@cat', ids.ann), [ids.cat]);
});

test('the picker: the mention at the caret, the members it offers, what a pick writes', () => {
  assert.deepEqual(mentionAt('hello @ca', 9), { start: 6, query: 'ca' });
  assert.deepEqual(mentionAt('@', 1), { start: 0, query: '' });
  assert.equal(mentionAt('mail@ca', 7), null);
  assert.equal(mentionAt('@cat done', 9), null);
  assert.deepEqual(candidates(members, 'a', ids.ann).map((m) => m.username), ['cat']);
  assert.deepEqual(candidates(members, '', ids.ann).map((m) => m.username), ['bob_1', 'cat']);
  assert.deepEqual(candidates(members, 'b', ids.ann).map((m) => m.username), ['bob_1']);
  assert.deepEqual(insertMention('hi @ca there', { start: 3, query: 'ca' }, 'cat'), { value: 'hi @cat there', caret: 8 });
});

test('mentions round-trip through the plaintext; malformed ones are ignored, not trusted', () => {
  const sent = encodeMessage({ text: 'hi @cat', mentions: [ids.cat] });
  assert.ok(sent.ok);
  const read = decodeMessage(sent.bytes);
  assert.deepEqual(read, { status: 'ok', text: 'hi @cat', mentions: [ids.cat] });
  assert.equal(new TextDecoder().decode(encodeMessage({ text: 'plain' }).ok ? /** @type {any} */ (encodeMessage({ text: 'plain' })).bytes : new Uint8Array()), '{"text":"plain"}');
  assert.equal(encodeMessage({ text: 'x', mentions: Array(51).fill(ids.cat) }).ok, false);
  const bytes = (/** @type {unknown} */ m) => new TextEncoder().encode(JSON.stringify({ text: 't', mentions: m }));
  for (const bad of ['x', [1], ['not-a-uuid'], Array(51).fill(ids.cat), { a: 1 }]) {
    assert.deepEqual(decodeMessage(bytes(bad)), { status: 'ok', text: 't' }, JSON.stringify(bad).slice(0, 40));
  }
  assert.deepEqual(readMentions([ids.cat, ids.cat]), [ids.cat]);
});

test('a mention counts for a member, from someone else, and badges the chat until read', () => {
  const m = msg(5, 'hey @cat', { mentions: [ids.cat] });
  const e = /** @type {any} */ (entry('g', [m]));
  assert.equal(mentionsMe(/** @type {any} */ (m), e, ids.cat), true);
  assert.equal(mentionsMe(/** @type {any} */ (m), e, ids.ann), false);
  const notMember = /** @type {any} */ (entry('g', [m], { members: members.filter((x) => x.user_id !== ids.cat) }));
  assert.equal(mentionsMe(/** @type {any} */ (m), notMember, ids.cat), false, 'ids of non-members are ignored');
  assert.equal(unreadMention(e, ids.cat), true);
  assert.equal(unreadMention(/** @type {any} */ (entry('g', [m], { last_read_seq: 5 })), ids.cat), false);
  assert.deepEqual(mentionParts('hey @Cat, and @cats', 'cat'), [{ text: 'hey ', hit: false }, { text: '@Cat', hit: true },
    { text: ', and @cats', hit: false }]);
});
