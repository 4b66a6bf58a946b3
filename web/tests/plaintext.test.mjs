// The plaintext inside the encryption: what is sent is what is read back, sizes stay
// within what the server takes, and bytes from a peer are parsed strictly.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { epochIsFresh, messageId, nackText } from '../chats/send.js';
import { pad } from '../crypto/protocol.js';
import { MAX_PLAINTEXT_BYTES, cleanText, decodeMeta, decodeName, decodeText, encodeName, encodeText } from '../crypto/plaintext.js';
import { pinNew } from '../core/prefs.js';

const utf8 = (/** @type {string} */ s) => new TextEncoder().encode(s);

test('text round-trips as {"text"}, the same document the Rust client writes', () => {
  const sent = encodeText('héllo <b>"world"</b>\n  indented 🙂');
  assert.ok(sent.ok);
  assert.deepEqual(JSON.parse(new TextDecoder().decode(sent.bytes)), { text: 'héllo <b>"world"</b>\n  indented 🙂' });
  assert.deepEqual(decodeText(sent.bytes), { status: 'ok', text: 'héllo <b>"world"</b>\n  indented 🙂' });
  assert.deepEqual(decodeText(utf8('{"text":"from rust"}')), { status: 'ok', text: 'from rust' });
});

test('blank lines around a message go, an empty one is refused', () => {
  assert.equal(cleanText('\n\n  first\nsecond  \n\n'), '  first\nsecond');
  assert.equal(encodeText('  \n\t ').ok, false);
});

test('the longest message still pads within 16 KiB; one byte more is refused', () => {
  const overhead = utf8(JSON.stringify({ text: '' })).length;
  const longest = encodeText('a'.repeat(MAX_PLAINTEXT_BYTES - overhead));
  assert.ok(longest.ok);
  assert.equal(pad(longest.bytes).length, 16 * 1024);
  const tooLong = encodeText('a'.repeat(MAX_PLAINTEXT_BYTES - overhead + 1));
  assert.equal(tooLong.ok, false);
  // Escapes count: a message of quotes is twice as long inside the JSON.
  assert.equal(encodeText('"'.repeat(MAX_PLAINTEXT_BYTES / 2)).ok, false);
});

test('plaintexts this version cannot show are said to be so, not shown as garbage', () => {
  assert.deepEqual(decodeText(utf8('{"attachments":[]}')), { status: 'unsupported' });
  assert.deepEqual(decodeText(utf8('[1,2]')), { status: 'unsupported' });
  assert.deepEqual(decodeText(utf8('not json')), { status: 'unsupported' });
  assert.deepEqual(decodeText(Uint8Array.of(0xff, 0xfe)), { status: 'unsupported' });
  assert.deepEqual(decodeText(utf8('{"text":"hi","reply_to":"x"}')), { status: 'ok', text: 'hi' }, 'unknown fields are ignored');
});

test('group names: trimmed, bounded, and read back the same way', () => {
  const sealed = encodeName('  Weekend \n plans ');
  assert.ok(sealed.ok);
  assert.equal(decodeName(sealed.bytes), 'Weekend plans');
  assert.equal(encodeName('   ').ok, false);
  assert.equal(encodeName('x'.repeat(65)).ok, false);
  assert.equal(decodeName(utf8('{"name":""}')), null);
  assert.equal(decodeName(utf8('{"title":"x"}')), null);
  assert.equal(decodeName(utf8(JSON.stringify({ name: 'y'.repeat(100) }))), 'y'.repeat(64));
});

test('group pictures: small JPEG or PNG data: URLs only, anything else ignored', () => {
  const picture = `data:image/jpeg;base64,${'A'.repeat(20_000)}`;
  const sealed = encodeName('Pics', picture);
  assert.ok(sealed.ok && sealed.bytes.length > MAX_PLAINTEXT_BYTES, 'a meta may be bigger than a message');
  assert.deepEqual(decodeMeta(sealed.bytes), { name: 'Pics', picture });
  assert.deepEqual(decodeMeta(utf8('{"name":"Pics"}')), { name: 'Pics', picture: null });
  for (const bad of ['data:image/svg+xml;base64,PHN2Zz4=', 'https://example.com/a.jpg', 'data:image/png;base64,<b>', 42,
    `data:image/png;base64,${'A'.repeat(25_000)}`]) {
    assert.deepEqual(decodeMeta(utf8(JSON.stringify({ name: 'Pics', picture: bad }))), { name: 'Pics', picture: null });
  }
  assert.equal(encodeName('Pics', 'javascript:alert(1)').ok, false);
  assert.equal(decodeMeta(utf8(JSON.stringify({ picture }))), null, 'a picture without a name is no meta');
});

test('an epoch is reused only while the server would take it', () => {
  const now = 100 * 3_600_000;
  const chat = (/** @type {any} */ over) => /** @type {any} */ ({ epoch: 3, rotation_required: false, epoch_opened_at: now - 1000, ...over });
  assert.equal(epochIsFresh(chat({}), now), true);
  assert.equal(epochIsFresh(chat({ epoch: 0 }), now), false, 'no epoch yet');
  assert.equal(epochIsFresh(chat({ rotation_required: true }), now), false, 'members changed');
  assert.equal(epochIsFresh(chat({ epoch_opened_at: now - 24 * 3_600_000 }), now), false, 'a day old');
  assert.match(nackText('rate_limited'), /too fast/);
  assert.match(nackText('too_large'), /too long/);
  assert.match(nackText('storage_full'), /out of storage space/);
});

test('a signing key is pinned when first seen and never replaced silently', () => {
  const pins = pinNew({}, [{ user_id: 'a', ed25519_public: 'k1' }]);
  assert.deepEqual(pins, { a: 'k1' });
  assert.equal(pinNew(pins, [{ user_id: 'a', ed25519_public: 'k2' }]), pins, 'a changed key keeps the first one');
  assert.deepEqual(pinNew(pins, [{ user_id: 'b', ed25519_public: 'k3' }]), { a: 'k1', b: 'k3' });
});

test('message ids are UUIDv7: the time first, so they sort as they were minted', () => {
  const at = Date.UTC(2026, 10, 30, 12, 0, 0, 123);
  const id = messageId(at);
  assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(parseInt(id.slice(0, 8) + id.slice(9, 13), 16), at);
  assert.notEqual(messageId(at), id, 'the rest is random');
  const later = messageId(at + 1);
  assert.ok(later > id, 'a later id sorts after an earlier one');
});
