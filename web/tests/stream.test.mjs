// The attachments' vectors, written by the Rust crate (`cargo run -p messgo-crypto
// --example write-file-vectors`): web/crypto/stream.js must seal every valid case to the
// same bytes, open it, and refuse every tampered one, whole and in pieces.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { fromHex, toHex } from '../crypto/bytes.js';
import { StreamOpener, StreamSealer, chunkCount, FILE_CHUNK, openBytes, sealBytes, sealedSize } from '../crypto/stream.js';

const path = fileURLToPath(new URL('../../vectors/messgo-file-v1.json', import.meta.url));
/** @type {any} */
const V = JSON.parse(readFileSync(path, 'utf8'));

/** @param {Uint8Array} bytes */
const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

/** The pattern plaintexts: byte i is i mod 251. @param {number} len */
function pattern(len) {
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) out[i] = i % 251;
  return out;
}

/** @param {any} c a valid case */
function plaintextOf(c) {
  if (c.plaintext !== undefined) return fromHex(c.plaintext);
  assert.equal(c.plaintext_pattern, 'i mod 251');
  return pattern(c.plaintext_len);
}

/** Opens `sealed` handed over `size` bytes at a time. @param {Uint8Array} key @param {Uint8Array} sealed @param {number} size */
async function openInPieces(key, sealed, size) {
  const opener = new StreamOpener(key);
  const parts = [];
  for (let at = 0; at < sealed.length; at += size) parts.push(...(await opener.push(sealed.subarray(at, at + size))));
  parts.push(await opener.finish());
  return Buffer.concat(parts);
}

/** Every valid case sealed by stream.js, by name. */
const sealedByName = new Map();

test('file vectors: the spec\'s sizes and the cases the brief names are there', () => {
  assert.equal(V.chunk_len, FILE_CHUNK);
  const names = V.valid.map((/** @type {any} */ c) => c.name);
  for (const n of ['empty', 'one_byte', 'one_full_chunk', 'full_chunk_and_one', 'three_chunks']) assert.ok(names.includes(n), n);
  assert.ok(V.invalid.length >= 10);
});

test('file vectors: every valid stream seals to the same bytes and opens, whole and in pieces', async () => {
  for (const c of V.valid) {
    const plain = plaintextOf(c);
    assert.equal(plain.length, c.plaintext_len, c.name);
    assert.equal(sha256(plain), c.plaintext_sha256, c.name);
    const key = fromHex(c.key);
    const { sealed } = await sealBytes(plain, { key, prefix: fromHex(c.prefix) });
    assert.equal(sealed.length, c.stream_len, c.name);
    assert.equal(sealedSize(plain.length), c.stream_len, c.name);
    assert.equal(sha256(sealed), c.stream_sha256, c.name);
    assert.equal(toHex(sealed.subarray(0, 32)), c.stream_head, c.name);
    assert.equal(toHex(sealed.subarray(Math.max(0, sealed.length - 32))), c.stream_tail, c.name);
    if (c.stream !== undefined) assert.equal(toHex(sealed), c.stream, c.name);
    assert.deepEqual(await openBytes(key, sealed), plain, c.name);
    assert.ok(Buffer.from(await openInPieces(key, sealed, 1000)).equals(plain), c.name);
    sealedByName.set(c.name, sealed);
  }
});

test('file vectors: a chunk sealed on its own is that chunk of the whole stream', async () => {
  const c = V.valid.find((/** @type {any} */ v) => v.name === 'three_chunks');
  const plain = plaintextOf(c);
  const whole = sealedByName.get('three_chunks') ?? (await sealBytes(plain, { key: fromHex(c.key), prefix: fromHex(c.prefix) })).sealed;
  const sealer = new StreamSealer(fromHex(c.key), fromHex(c.prefix));
  const n = chunkCount(plain.length);
  for (let i = n - 1; i >= 0; i--) {
    const part = await sealer.seal(i, plain.subarray(i * FILE_CHUNK, (i + 1) * FILE_CHUNK), i === n - 1);
    const at = 8 + i * (FILE_CHUNK + 16);
    assert.deepEqual(part, whole.subarray(at, at + part.length), `chunk ${i}`);
  }
});

test('file vectors: every tampered stream is refused, whole and in pieces', async () => {
  if (sealedByName.size === 0) {
    for (const c of V.valid) {
      sealedByName.set(c.name, (await sealBytes(plaintextOf(c), { key: fromHex(c.key), prefix: fromHex(c.prefix) })).sealed);
    }
  }
  for (const c of V.invalid) {
    const parts = c.parts.map((/** @type {any} */ p) =>
      p.hex !== undefined ? fromHex(p.hex) : sealedByName.get(p.from).subarray(p.start, p.end));
    const sealed = new Uint8Array(Buffer.concat(parts));
    assert.equal(sealed.length, c.stream_len, c.name);
    assert.equal(sha256(sealed), c.stream_sha256, c.name);
    const key = fromHex(c.key);
    await assert.rejects(openBytes(key, sealed), `${c.name} (${c.why}) opened whole`);
    for (const size of [1000, 65552, 65553, 1 << 20]) {
      await assert.rejects(openInPieces(key, sealed, size), `${c.name} opened in pieces of ${size}`);
    }
  }
});
