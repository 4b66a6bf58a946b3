// Properties of web/crypto/protocol.js that need no vectors: round trips with freshly generated
// WebCrypto keys, padding edges, KDF refusal, and the wire encodings.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import * as c from '../crypto/protocol.js';

const ids = {
  chatId: crypto.randomUUID(), epoch: 7, senderId: crypto.randomUUID(), messageId: crypto.randomUUID(),
};

test('base64url is unpadded and round-trips every length', () => {
  for (let n = 0; n < 40; n++) {
    const bytes = c.randomBytes(n);
    const s = c.toB64u(bytes);
    assert.doesNotMatch(s, /[=+/]/);
    assert.deepEqual(c.fromB64u(s), bytes);
  }
  assert.equal(c.toB64u(Uint8Array.of(0xfb, 0xff)), '-_8');
  assert.throws(() => c.fromB64u('ab+/'));
});

test('uuids become their 16 raw bytes, epochs 4 big-endian bytes', () => {
  assert.equal(c.toHex(c.uuidBytes('00112233-4455-6677-8899-aabbccddeeff')), '00112233445566778899aabbccddeeff');
  assert.throws(() => c.uuidBytes('not-a-uuid'));
  assert.equal(c.toHex(c.epochBytes(0x01020304)), '01020304');
  assert.throws(() => c.epochBytes(-1));
});

test('padding always adds the 0x80 marker and fills to a multiple of 256', () => {
  for (const n of [0, 1, 254, 255, 256, 257, 511, 1000]) {
    const pt = c.randomBytes(n).map((b) => b || 1);
    const padded = c.pad(pt);
    assert.equal(padded.length % 256, 0);
    assert.ok(padded.length > n && padded.length <= n + 256);
    assert.equal(padded[n], 0x80);
    assert.deepEqual(c.unpad(padded), pt);
  }
  assert.throws(() => c.unpad(new Uint8Array(256)), { code: 'padding' });
});

test('the KDF refuses weak or unknown parameters before doing any work', async () => {
  const p = { realmId: 'r', username: 'alice', password: 'password1' };
  await assert.rejects(c.deriveAccountKeys({ ...p, kdf: { alg: 'pbkdf2-sha256', iterations: 99_999 } }), { code: 'weak_kdf' });
  await assert.rejects(c.deriveAccountKeys({ ...p, kdf: { alg: 'md5', iterations: 600_000 } }), { code: 'weak_kdf' });
  await assert.rejects(c.deriveAccountKeys({ ...p, kdf: /** @type {any} */ (null) }), { code: 'weak_kdf' });
});

test('the password is NFC-normalized and the username lowercased', async () => {
  const kdf = { alg: 'pbkdf2-sha256', iterations: c.MIN_KDF_ITERATIONS };
  const a = await c.deriveAccountKeys({ realmId: 'r', username: 'Alice', password: 'caf\u00e9 au lait', kdf });
  const b = await c.deriveAccountKeys({ realmId: 'r', username: 'alice', password: 'cafe\u0301 au lait', kdf });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.authKey, a.wrapKey);
});

test('a generated identity seals into a 92-byte bundle that opens only for its user', async () => {
  const id = await c.generateIdentity();
  assert.deepEqual(await c.x25519Public(id.x25519Secret), id.x25519Public);
  assert.deepEqual(await c.ed25519Public(id.ed25519Seed), id.ed25519Public);
  const wrapKey = c.randomBytes(32);
  const userId = crypto.randomUUID();
  const bundle = await c.sealBundle({ wrapKey, userId, ...id });
  assert.equal(bundle.length, 92);
  const opened = await c.openBundleChecked({ wrapKey, userId, bundle, ...id });
  assert.deepEqual(opened.x25519Secret, id.x25519Secret);
  assert.deepEqual(opened.ed25519Seed, id.ed25519Seed);
  await assert.rejects(c.openBundle({ wrapKey, userId: crypto.randomUUID(), bundle }), { code: 'bundle' });
});

test('a chat key wraps to a non-extractable recipient key and back', async () => {
  const id = await c.generateIdentity();
  const key = await c.importX25519Private(id.x25519Secret);
  assert.equal(key.extractable, false);
  assert.deepEqual(await c.x25519Public(key), id.x25519Public);
  const chatKey = c.randomBytes(32);
  const wrapped = await c.wrapChatKey({ recipientPublic: id.x25519Public, chatId: ids.chatId, epoch: 3, chatKey });
  assert.equal(wrapped.length, 80);
  const back = await c.unwrapChatKey({ recipientSecret: key, recipientPublic: id.x25519Public, chatId: ids.chatId, epoch: 3, wrapped });
  assert.deepEqual(back, chatKey);
});

test('a message signed with a non-extractable key opens; a bad signature is never decrypted', async () => {
  const id = await c.generateIdentity();
  const signingKey = await c.importEd25519Private(id.ed25519Seed);
  const chatKey = c.randomBytes(32);
  const plaintext = new TextEncoder().encode(JSON.stringify({ text: 'hello' }));
  const sealed = await c.sealMessage({ ...ids, chatKey, signingKey, plaintext });
  assert.equal(sealed.ciphertext.length, 256 + 16);
  const msg = { ...ids, chatKey, senderPublic: id.ed25519Public, ...sealed };
  assert.deepEqual(await c.openMessage(msg), plaintext);
  const other = await c.generateIdentity();
  await assert.rejects(c.openMessage({ ...msg, senderPublic: other.ed25519Public }), { code: 'signature' });
});

test('the safety number is twelve groups of five digits and symmetric', async () => {
  const a = { id: crypto.randomUUID(), pub: c.randomBytes(32) };
  const b = { id: crypto.randomUUID(), pub: c.randomBytes(32) };
  const n1 = await c.safetyNumber({ aId: a.id, aPublic: a.pub, bId: b.id, bPublic: b.pub });
  const n2 = await c.safetyNumber({ aId: b.id, aPublic: b.pub, bId: a.id, bPublic: a.pub });
  assert.match(n1, /^\d{5}( \d{5}){11}$/);
  assert.equal(n1, n2);
});
