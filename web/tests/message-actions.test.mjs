// The pure parts of message actions: the registry others add to, the reply and
// forwarded fields of a message's plaintext, the quote drawn from this browser's copy,
// and links with their look-alike check.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { actionForKey, actionsFor, registerAction, unregisterAction } from '../chats/actions-menu.js';
import { decodeMessage, encodeMessage } from '../crypto/plaintext.js';
import { findLinks, linkWarning, mixesScripts, safeHref } from '../chats/links.js';
import { quoteOf, summary } from '../chats/quote.js';

const utf8 = (/** @type {string} */ s) => new TextEncoder().encode(s);
const ID = '0190abcd-0000-7000-8000-00000000000f';
/** @param {object} p @returns {any} */
const msg = (p) => ({ seq: 1, id: ID, sender: 'u1', kind: 'message', epoch: 1, created_at: 0, deleted: false, system: null,
  raw: null, body: { status: 'ok', text: 'hello' }, ...p });
/** @param {boolean} own @returns {any} */
const ctx = (own) => ({ chatId: 'c', me: 'me', own, entry: null, chats: null, opener: null, view: {} });

test('actions: registered in order, offered by `when`, run by their key; a clash of keys is refused', () => {
  const run = () => {};
  registerAction({ id: 't-late', label: 'Late', order: 500, when: () => true, run });
  registerAction({ id: 't-own', label: 'Own only', key: 'q', order: 5, when: (_, c) => c.own, run });
  registerAction({ id: 't-broken', label: 'Broken', when: () => { throw new Error('no'); }, run });
  try {
    const ids = (/** @type {boolean} */ own) => actionsFor(msg({}), ctx(own)).map((a) => a.id).filter((id) => id.startsWith('t-'));
    assert.deepEqual(ids(true), ['t-own', 't-late'], 'sorted by order; one that throws is left out');
    assert.deepEqual(ids(false), ['t-late']);
    assert.equal(actionForKey({ key: 'Q' }, msg({}), ctx(true))?.id, 't-own', 'Shift does not matter');
    assert.equal(actionForKey({ key: 'q', ctrlKey: true }, msg({}), ctx(true)), null, 'Ctrl+Q is not Q');
    assert.equal(actionForKey({ key: 'q' }, msg({}), ctx(false)), null, 'not offered, not run');
    assert.throws(() => registerAction({ id: 't-other', label: 'x', key: 'q', when: () => true, run }), /already t-own/);
    assert.throws(() => registerAction({ id: 't-bad', label: 'x', key: 'Enter', when: () => true, run }), /one letter/);
    registerAction({ id: 't-own', label: 'Replaced', key: 'q', when: () => true, run });
    assert.equal(actionsFor(msg({}), ctx(false)).find((a) => a.id === 't-own')?.label, 'Replaced', 'same id replaces');
  } finally {
    for (const id of ['t-late', 't-own', 't-broken']) unregisterAction(id);
  }
});

test('reply and forwarded travel in the plaintext and are read back; anything else there is refused', () => {
  const sent = encodeMessage({ text: 'yes', reply: { id: ID }, forwarded: true });
  assert.ok(sent.ok);
  assert.deepEqual(JSON.parse(new TextDecoder().decode(sent.bytes)), { text: 'yes', reply: { id: ID }, forwarded: true });
  assert.deepEqual(decodeMessage(sent.bytes), { status: 'ok', text: 'yes', reply: { id: ID }, forwarded: true });
  const plain = encodeMessage({ text: 'no extras' });
  assert.ok(plain.ok);
  assert.deepEqual(JSON.parse(new TextDecoder().decode(plain.bytes)), { text: 'no extras' }, 'absent unless set');
  assert.equal(encodeMessage({ text: 'x', reply: { id: 'not-an-id' } }).ok, false);
  for (const bad of [
    { text: 'x', reply: ID }, { text: 'x', reply: { id: 'ABC' } }, { text: 'x', reply: { id: ID.toUpperCase() } },
    { text: 'x', reply: null }, { text: 'x', reply: [ID] }, { text: 'x', forwarded: 'yes' }, { text: 'x', forwarded: false },
  ]) {
    assert.deepEqual(decodeMessage(utf8(JSON.stringify(bad))), { status: 'unsupported' }, JSON.stringify(bad));
  }
  assert.deepEqual(decodeMessage(utf8(JSON.stringify({ text: 'x', reply: { id: ID, text: 'copied' } }))),
    { status: 'ok', text: 'x', reply: { id: ID } }, 'only the id is taken from a reply');
});

test('a quote comes from this browser\'s copy, and says nothing of a message it no longer has', () => {
  const original = msg({ body: { status: 'ok', text: '\n  first line  \nsecond' } });
  /** @type {any} */
  const entry = { chat: { id: 'c' }, messages: [original], people: { u1: { username: 'ann' } } };
  /** @type {any} */
  const chats = { hidden: {} };
  const q = quoteOf(entry, chats, ID, [], 'me');
  assert.equal(q.missing, false);
  assert.ok(!q.missing);
  assert.equal(q.sender, 'ann');
  assert.equal(q.text, 'first line');
  assert.equal(/** @type {any} */ (quoteOf(entry, chats, ID, [], 'u1')).sender, 'You');
  const gone = { id: ID, missing: true };
  assert.deepEqual(quoteOf({ ...entry, messages: [] }, chats, ID, [], 'me'), gone, 'expired or before joining');
  assert.deepEqual(quoteOf({ ...entry, messages: [], hasOlder: true }, chats, ID, [], 'me'), { ...gone, older: true },
    'not loaded yet, with earlier history to page in');
  assert.deepEqual(quoteOf({ ...entry, messages: [{ ...original, deleted: true, body: null }] }, chats, ID, [], 'me'), gone, 'deleted');
  assert.deepEqual(quoteOf(entry, { hidden: { c: { [ID]: true } } }, ID, [], 'me'), gone, 'deleted for me');
  assert.deepEqual(quoteOf({ ...entry, messages: [{ ...original, body: { status: 'unverified' } }] }, chats, ID, [], 'me'), gone,
    'a message that failed its signature is not quoted');
  assert.equal(summary({ text: '', files: [/** @type {any} */ ({ kind: 'image' })] }), 'Photo');
  assert.equal(summary({ text: '', files: [/** @type {any} */ ({ kind: 'file', name: 'report.pdf' })] }), 'report.pdf');
  assert.equal([...summary({ text: 'x'.repeat(1000) })].length, 160, 'a long line is cut');
});

test('links: http(s) URLs only, without the sentence\'s punctuation', () => {
  assert.deepEqual(findLinks('see https://example.com/a?b=1. and (http://x.test/p) or javascript:alert(1) ftp://f.test'), [
    { t: 'text', v: 'see ' }, { t: 'link', href: 'https://example.com/a?b=1', v: 'https://example.com/a?b=1' },
    { t: 'text', v: '. and (' }, { t: 'link', href: 'http://x.test/p', v: 'http://x.test/p' },
    { t: 'text', v: ') or javascript:alert(1) ftp://f.test' },
  ]);
  assert.deepEqual(findLinks('https://en.wikipedia.org/wiki/Foo_(bar)!'), [
    { t: 'link', href: 'https://en.wikipedia.org/wiki/Foo_(bar)', v: 'https://en.wikipedia.org/wiki/Foo_(bar)' }, { t: 'text', v: '!' }]);
  assert.deepEqual(findLinks('no links here'), [{ t: 'text', v: 'no links here' }]);
  assert.equal(findLinks('https://').length, 1, 'a scheme alone is text');
  assert.equal(safeHref('javascript:alert(1)'), null);
  assert.equal(safeHref('data:text/html,x'), null);
  assert.equal(safeHref('https://ok.test/a b'), null);
});

test('look-alikes: mixed scripts in a label, punycode, or a text that names another address ask first', () => {
  const href = (/** @type {string} */ s) => /** @type {string} */ (safeHref(s));
  assert.equal(linkWarning('https://example.com/x', href('https://example.com/x')), null);
  assert.equal(linkWarning('read this', href('https://example.com/x')), null, 'words are no address');
  const cyr = 'https://p\u0430ypal.com/login';
  assert.match(String(linkWarning(cyr, href(cyr))), /mixes letters/);
  assert.match(String(linkWarning('https://xn--pypal-4ve.com/', href('https://xn--pypal-4ve.com/'))), /international/);
  const allCyrillic = 'https://\u0430\u0440\u0440\u04cf\u0435.com';
  assert.match(String(linkWarning(allCyrillic, href(allCyrillic))), /international/, 'one script, but still punycode');
  assert.match(String(linkWarning('https://paypal.com', href('https://evil.test/'))), /different address/);
  assert.match(String(linkWarning('paypal.com', href('https://evil.test/'))), /different address/);
  assert.equal(linkWarning('example.com', href('https://example.com/')), null);
  assert.equal(mixesScripts('paypal'), false);
  assert.equal(mixesScripts('p\u0430ypal'), true);
  assert.equal(mixesScripts('\u6771\u4eac\u3068tokyo'), false, 'Han, Hiragana and Latin are how Japanese is written');
  assert.equal(mixesScripts('\u03b1bc'), true, 'Greek with Latin');
});
