// @ts-check
// Attachments are encrypted before they leave the browser (docs/protocol.md,
// "Attachments"): each blob under its own fresh AES-256-GCM key, stored as
// nonce (12) || ciphertext. The key travels only inside the signed, encrypted message,
// so the server holds bytes it cannot read, and one leaked key opens one image.
// Pure WebCrypto, so it runs in the browser and under `node --test`.

import { aesGcmOpen, aesGcmSeal } from '../crypto/primitives.js';
import { concat, randomBytes } from '../crypto/bytes.js';

export const BLOB_KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
// No AAD: the blob is bound to its message by the key, which only that message carries.
const NO_AAD = new Uint8Array(0);

/** Bytes a sealed blob adds to its plaintext (the nonce and the GCM tag). */
export const BLOB_OVERHEAD = NONCE_BYTES + TAG_BYTES;

/**
 * @param {Uint8Array} plaintext
 * @param {{key?: Uint8Array, nonce?: Uint8Array}} [fixed] deterministic key and nonce, for tests only
 * @returns {Promise<{key: Uint8Array, sealed: Uint8Array}>}
 */
export async function sealBlob(plaintext, fixed = {}) {
  const key = fixed.key ?? randomBytes(BLOB_KEY_BYTES);
  const nonce = fixed.nonce ?? randomBytes(NONCE_BYTES);
  if (key.length !== BLOB_KEY_BYTES || nonce.length !== NONCE_BYTES) throw new Error('blob key or nonce of the wrong size');
  const ct = await aesGcmSeal(key, nonce, plaintext, NO_AAD);
  return { key, sealed: concat(nonce, ct) };
}

/**
 * Throws when the bytes were not sealed under this key (or were changed on the way).
 * @param {Uint8Array} key @param {Uint8Array} sealed
 */
export async function openBlob(key, sealed) {
  if (key.length !== BLOB_KEY_BYTES || sealed.length < BLOB_OVERHEAD) throw new Error('not a sealed blob');
  return aesGcmOpen(key, sealed.subarray(0, NONCE_BYTES), sealed.subarray(NONCE_BYTES), NO_AAD);
}
