// @ts-check
// Thin wrappers over WebCrypto for the MLS suite-1 primitives: SHA-2, HMAC, HKDF,
// AES-GCM, X25519 and Ed25519. Raw bytes in, raw bytes out, except where a
// non-extractable CryptoKey must stand in for a private key.

import { asBufferSource as buf, bytesEqual, concat, fromB64u, fromHex } from './bytes.js';

const subtle = globalThis.crypto.subtle;

/** @param {Uint8Array} data */
export const sha256 = async (data) => new Uint8Array(await subtle.digest('SHA-256', buf(data)));

/** @param {Uint8Array} data */
export const sha512 = async (data) => new Uint8Array(await subtle.digest('SHA-512', buf(data)));

/** @param {Uint8Array} key @param {Uint8Array} data */
export async function hmacSha256(key, data) {
  // WebCrypto refuses empty HMAC keys; HMAC zero-pads keys, so 32 zeros is the same key.
  const k = await subtle.importKey('raw', key.length ? buf(key) : new Uint8Array(32),
    { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await subtle.sign('HMAC', k, buf(data)));
}

/** RFC 5869 Extract; an empty salt stands for 32 zero bytes. @param {Uint8Array} salt @param {Uint8Array} ikm */
export const hkdfExtract = (salt, ikm) => hmacSha256(salt, ikm);

/** RFC 5869 Expand. @param {Uint8Array} prk @param {Uint8Array} info @param {number} length */
export async function hkdfExpand(prk, info, length) {
  if (length > 255 * 32) throw new Error('hkdf output too long');
  const out = new Uint8Array(length);
  let block = new Uint8Array(0);
  for (let i = 1, at = 0; at < length; i++, at += 32) {
    block = await hmacSha256(prk, concat(block, info, Uint8Array.of(i)));
    out.set(block.subarray(0, Math.min(32, length - at)), at);
  }
  return out;
}

/** PBKDF2-HMAC-SHA256 to 32 bytes. @param {Uint8Array} password @param {Uint8Array} salt @param {number} iterations */
export async function pbkdf2Sha256(password, salt, iterations) {
  const pw = await subtle.importKey('raw', buf(password), 'PBKDF2', false, ['deriveBits']);
  return new Uint8Array(await subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt: buf(salt), iterations }, pw, 256));
}

/**
 * Raw bytes are imported for the one call; a CryptoKey (a chat key kept non-extractable
 * in memory) is used as it is.
 * @param {Uint8Array | CryptoKey} key @param {KeyUsage} usage
 */
const aesKey = (key, usage) =>
  (key instanceof Uint8Array ? subtle.importKey('raw', buf(key), 'AES-GCM', false, [usage]) : Promise.resolve(key));

/** @param {Uint8Array | CryptoKey} key 16 or 32 bytes @param {Uint8Array} nonce @param {Uint8Array} pt @param {Uint8Array} aad */
export async function aesGcmSeal(key, nonce, pt, aad) {
  const k = await aesKey(key, 'encrypt');
  return new Uint8Array(await subtle.encrypt({ name: 'AES-GCM', iv: buf(nonce), additionalData: buf(aad) }, k, buf(pt)));
}

/** Throws (OperationError) when the tag does not verify.
 * @param {Uint8Array | CryptoKey} key @param {Uint8Array} nonce @param {Uint8Array} ct @param {Uint8Array} aad */
export async function aesGcmOpen(key, nonce, ct, aad) {
  const k = await aesKey(key, 'decrypt');
  return new Uint8Array(await subtle.decrypt({ name: 'AES-GCM', iv: buf(nonce), additionalData: buf(aad) }, k, buf(ct)));
}

// RFC 8410 PKCS#8 headers for a raw 32-byte private key: WebCrypto has no raw private import.
const PKCS8_X25519 = fromHex('302e020100300506032b656e04220420');
const PKCS8_ED25519 = fromHex('302e020100300506032b657004220420');
const X25519_BASE_POINT = Uint8Array.from({ length: 32 }, (_, i) => (i === 0 ? 9 : 0));

/** @param {Uint8Array} secret @param {boolean} [extractable] */
export function importX25519Private(secret, extractable = false) {
  if (secret.length !== 32) throw new Error('X25519 secret must be 32 bytes');
  return subtle.importKey('pkcs8', buf(concat(PKCS8_X25519, secret)), { name: 'X25519' }, extractable, ['deriveBits']);
}

/** @param {Uint8Array} seed @param {boolean} [extractable] */
export function importEd25519Private(seed, extractable = false) {
  if (seed.length !== 32) throw new Error('Ed25519 seed must be 32 bytes');
  return subtle.importKey('pkcs8', buf(concat(PKCS8_ED25519, seed)), { name: 'Ed25519' }, extractable, ['sign']);
}

/** X25519(sk, pk) from a raw secret or a (non-extractable) private CryptoKey.
 * @param {Uint8Array | CryptoKey} sk @param {Uint8Array} pk */
export async function x25519(sk, pk) {
  const key = sk instanceof Uint8Array ? await importX25519Private(sk) : sk;
  const pub = await subtle.importKey('raw', buf(pk), { name: 'X25519' }, false, []);
  return new Uint8Array(await subtle.deriveBits({ name: 'X25519', public: pub }, key, 256));
}

/** The public key as X25519(sk, 9), which also works for non-extractable keys. @param {Uint8Array | CryptoKey} sk */
export const x25519Public = (sk) => x25519(sk, X25519_BASE_POINT);

/** @param {Uint8Array} seed */
export async function ed25519Public(seed) {
  const jwk = await subtle.exportKey('jwk', await importEd25519Private(seed, true));
  return fromB64u(/** @type {string} */ (jwk.x));
}

/** @param {CryptoKey | Uint8Array} key private key or its seed @param {Uint8Array} data */
export async function ed25519Sign(key, data) {
  const k = key instanceof Uint8Array ? await importEd25519Private(key) : key;
  return new Uint8Array(await subtle.sign({ name: 'Ed25519' }, k, buf(data)));
}

/** @param {Uint8Array} pub @param {Uint8Array} sig @param {Uint8Array} data */
export async function ed25519Verify(pub, sig, data) {
  if (pub.length !== 32 || sig.length !== 64) return false;
  const k = await subtle.importKey('raw', buf(pub), { name: 'Ed25519' }, false, ['verify']);
  return subtle.verify({ name: 'Ed25519' }, k, buf(sig), buf(data));
}

/** Raw private half of a generated, extractable key. @param {CryptoKey} key @param {Uint8Array} header */
async function rawPrivate(key, header) {
  const der = new Uint8Array(await subtle.exportKey('pkcs8', key));
  if (der.length !== 48 || !bytesEqual(der.subarray(0, 16), header)) throw new Error('unexpected PKCS#8 layout');
  return der.slice(16);
}

/** @typedef {{x25519Secret: Uint8Array, x25519Public: Uint8Array, ed25519Seed: Uint8Array, ed25519Public: Uint8Array}} Identity */

/** Both identity key pairs, freshly generated by WebCrypto. @returns {Promise<Identity>} */
export async function generateIdentity() {
  const x = /** @type {CryptoKeyPair} */ (await subtle.generateKey({ name: 'X25519' }, true, ['deriveBits']));
  const e = /** @type {CryptoKeyPair} */ (await subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify']));
  return {
    x25519Secret: await rawPrivate(x.privateKey, PKCS8_X25519),
    x25519Public: new Uint8Array(await subtle.exportKey('raw', x.publicKey)),
    ed25519Seed: await rawPrivate(e.privateKey, PKCS8_ED25519),
    ed25519Public: new Uint8Array(await subtle.exportKey('raw', e.publicKey)),
  };
}
