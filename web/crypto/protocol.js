// @ts-check
// The MessGo end-to-end protocol, byte for byte as docs/crypto.md fixes it (the Rust
// crate `messgo-crypto` is the other half; vectors/messgo-v1.json keeps them equal).
// Pure: WebCrypto only, no DOM, so it runs unchanged in the browser and in Node 20.

import {
  bytesEqual, compareBytes, concat, epochBytes, randomBytes, utf8, uuidBytes,
} from './bytes.js';
import {
  aesGcmOpen, aesGcmSeal, ed25519Public, ed25519Sign, ed25519Verify, generateIdentity, hkdfExpand, hkdfExtract,
  pbkdf2Sha256, sha256, sha512, x25519Public,
} from './primitives.js';
import { setupBaseR, setupBaseS } from './hpke.js';

export * from './bytes.js';
export {
  ed25519Public, generateIdentity, importEd25519Private, importX25519Private, x25519Public,
} from './primitives.js';

/** Clients refuse weaker parameters, so a malicious server cannot cheapen a password guess. */
export const MIN_KDF_ITERATIONS = 100_000;

/** @typedef {{alg: string, iterations: number}} KdfParams */
/** @typedef {{masterKey: Uint8Array, authKey: Uint8Array, wrapKey: Uint8Array}} AccountKeys */

/** A distinct error for each way decryption can fail, so callers can say what happened. */
export class CryptoError extends Error {
  /** @param {'weak_kdf' | 'bundle' | 'chat_key' | 'signature' | 'decrypt' | 'padding'} code @param {string} message */
  constructor(code, message) {
    super(message);
    this.name = 'CryptoError';
    this.code = code;
  }
}

/** Whether this runtime has the curves MessGo needs (older browsers lack X25519/Ed25519). */
export async function isSupported() {
  try {
    await generateIdentity();
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------- password → keys

/** SHA-256("messgo kdf v1" || realm_id || username). @param {string} realmId @param {string} username */
export const kdfSalt = (realmId, username) =>
  sha256(concat(utf8('messgo kdf v1'), utf8(realmId), utf8(username.toLowerCase())));

/** @param {unknown} kdf @returns {asserts kdf is KdfParams} */
export function checkKdf(kdf) {
  const k = /** @type {KdfParams} */ (kdf);
  if (!k || k.alg !== 'pbkdf2-sha256') {
    throw new CryptoError('weak_kdf', 'The server asked for an unknown key derivation; refusing.');
  }
  if (!Number.isSafeInteger(k.iterations) || k.iterations < MIN_KDF_ITERATIONS) {
    throw new CryptoError('weak_kdf', 'The server asked for a key derivation too weak to be safe; refusing.');
  }
}

/**
 * master = PBKDF2(NFC(password), salt, iterations); auth_key and wrap_key by HKDF from it.
 * @param {{realmId: string, username: string, password: string, kdf: KdfParams}} p
 * @returns {Promise<AccountKeys>}
 */
export async function deriveAccountKeys({ realmId, username, password, kdf }) {
  checkKdf(kdf);
  const salt = await kdfSalt(realmId, username);
  const masterKey = await pbkdf2Sha256(utf8(password.normalize('NFC')), salt, kdf.iterations);
  const prk = await hkdfExtract(new Uint8Array(0), masterKey);
  return {
    masterKey,
    authKey: await hkdfExpand(prk, utf8('messgo auth v1'), 32),
    wrapKey: await hkdfExpand(prk, utf8('messgo wrap v1'), 32),
  };
}

// ---------------------------------------------------------------- identity key bundle

/** @param {string} userId */
const bundleAad = (userId) => concat(utf8('messgo bundle v1'), uuidBytes(userId));

/**
 * nonce || AES-256-GCM(wrap_key, nonce, x25519_secret || ed25519_seed, aad): 92 bytes.
 * @param {{wrapKey: Uint8Array, userId: string, x25519Secret: Uint8Array, ed25519Seed: Uint8Array, nonce?: Uint8Array}} p
 */
export async function sealBundle({ wrapKey, userId, x25519Secret, ed25519Seed, nonce = randomBytes(12) }) {
  if (x25519Secret.length !== 32 || ed25519Seed.length !== 32) throw new Error('secrets must be 32 bytes each');
  const ct = await aesGcmSeal(wrapKey, nonce, concat(x25519Secret, ed25519Seed), bundleAad(userId));
  return concat(nonce, ct);
}

/**
 * Fails with CryptoError('bundle') for a wrong password, another user's id, or tampering.
 * @param {{wrapKey: Uint8Array, userId: string, bundle: Uint8Array}} p
 * @returns {Promise<{x25519Secret: Uint8Array, ed25519Seed: Uint8Array}>}
 */
export async function openBundle({ wrapKey, userId, bundle }) {
  const fail = new CryptoError('bundle', 'The key bundle could not be opened.');
  if (bundle.length !== 92) throw fail;
  let secrets;
  try {
    secrets = await aesGcmOpen(wrapKey, bundle.subarray(0, 12), bundle.subarray(12), bundleAad(userId));
  } catch {
    throw fail;
  }
  return { x25519Secret: secrets.slice(0, 32), ed25519Seed: secrets.slice(32) };
}

/**
 * Opens a bundle and checks it holds the private halves of the published public keys,
 * so a server cannot pair our secrets with keys of its choosing.
 * @param {{wrapKey: Uint8Array, userId: string, bundle: Uint8Array, x25519Public: Uint8Array, ed25519Public: Uint8Array}} p
 */
export async function openBundleChecked(p) {
  const secrets = await openBundle(p);
  const [x, e] = await Promise.all([x25519Public(secrets.x25519Secret), ed25519Public(secrets.ed25519Seed)]);
  if (!bytesEqual(x, p.x25519Public) || !bytesEqual(e, p.ed25519Public)) {
    throw new CryptoError('bundle', 'The key bundle does not match the account\'s public keys.');
  }
  return secrets;
}

// ---------------------------------------------------------------- chat keys (HPKE)

/** @param {string} chatId @param {number} epoch */
const chatKeyInfo = (chatId, epoch) => concat(utf8('messgo chat key v1'), uuidBytes(chatId), epochBytes(epoch));

/**
 * enc (32) || HPKE Seal(aad = empty, pt = chat_key): 80 bytes.
 * @param {{recipientPublic: Uint8Array, chatId: string, epoch: number, chatKey: Uint8Array, ikmE?: Uint8Array}} p
 *   ikmE makes the ephemeral key deterministic, for test vectors only.
 */
export async function wrapChatKey({ recipientPublic, chatId, epoch, chatKey, ikmE }) {
  if (chatKey.length !== 32) throw new Error('chat key must be 32 bytes');
  const { enc, ctx } = await setupBaseS(recipientPublic, chatKeyInfo(chatId, epoch), ikmE);
  return concat(enc, await ctx.seal(new Uint8Array(0), chatKey));
}

/**
 * @param {{recipientSecret: Uint8Array | CryptoKey, recipientPublic?: Uint8Array, chatId: string, epoch: number, wrapped: Uint8Array}} p
 * @returns {Promise<Uint8Array>} the 32-byte chat key
 */
export async function unwrapChatKey({ recipientSecret, recipientPublic, chatId, epoch, wrapped }) {
  const fail = new CryptoError('chat_key', 'The chat key could not be unwrapped.');
  if (wrapped.length !== 80) throw fail;
  try {
    const ctx = await setupBaseR(wrapped.subarray(0, 32), recipientSecret, chatKeyInfo(chatId, epoch), recipientPublic);
    return await ctx.open(new Uint8Array(0), wrapped.subarray(32));
  } catch {
    throw fail;
  }
}

// ---------------------------------------------------------------- messages

/** @typedef {{chatId: string, epoch: number, senderId: string, messageId: string}} MessageIds */

/** "messgo msg v1" || chat_id || epoch || sender_id || message_id. @param {MessageIds} m */
export const messageAad = ({ chatId, epoch, senderId, messageId }) =>
  concat(utf8('messgo msg v1'), uuidBytes(chatId), epochBytes(epoch), uuidBytes(senderId), uuidBytes(messageId));

const PAD_BLOCK = 256;

/** plaintext || 0x80 || zeros, to the next multiple of 256 (the marker always fits). @param {Uint8Array} plaintext */
export function pad(plaintext) {
  const out = new Uint8Array((Math.floor(plaintext.length / PAD_BLOCK) + 1) * PAD_BLOCK);
  out.set(plaintext);
  out[plaintext.length] = 0x80;
  return out;
}

/** @param {Uint8Array} padded */
export function unpad(padded) {
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  if (end < 0 || padded[end] !== 0x80 || padded.length % PAD_BLOCK !== 0) {
    throw new CryptoError('padding', 'The message padding is invalid.');
  }
  return padded.slice(0, end);
}

/**
 * @param {MessageIds & {chatKey: Uint8Array | CryptoKey, signingKey: CryptoKey | Uint8Array, plaintext: Uint8Array, nonce?: Uint8Array}} p
 *   signingKey: the sender's Ed25519 private key (or its seed, in tests)
 * @returns {Promise<{nonce: Uint8Array, ciphertext: Uint8Array, signature: Uint8Array}>}
 */
export async function sealMessage({ chatKey, signingKey, plaintext, nonce = randomBytes(12), ...ids }) {
  const aad = messageAad(ids);
  const ciphertext = await aesGcmSeal(chatKey, nonce, pad(plaintext), aad);
  const signature = await ed25519Sign(signingKey, concat(aad, nonce, ciphertext));
  return { nonce, ciphertext, signature };
}

/**
 * Verifies the sender's signature first and decrypts only then; a bad signature throws
 * CryptoError('signature') and the text must not be shown.
 * @param {MessageIds & {chatKey: Uint8Array | CryptoKey, senderPublic: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, signature: Uint8Array}} p
 */
export async function openMessage({ chatKey, senderPublic, nonce, ciphertext, signature, ...ids }) {
  const aad = messageAad(ids);
  if (!(await ed25519Verify(senderPublic, signature, concat(aad, nonce, ciphertext)))) {
    throw new CryptoError('signature', 'The message signature is invalid.');
  }
  let padded;
  try {
    padded = await aesGcmOpen(chatKey, nonce, ciphertext, aad);
  } catch {
    throw new CryptoError('decrypt', 'The message could not be decrypted.');
  }
  return unpad(padded);
}

// ---------------------------------------------------------------- safety number

/**
 * Twelve groups of five digits from SHA-512 over both users' (id || ed25519 key), sorted,
 * so both sides compute the same number.
 * @param {{aId: string, aPublic: Uint8Array, bId: string, bPublic: Uint8Array}} p
 */
export async function safetyNumber({ aId, aPublic, bId, bPublic }) {
  const sides = [concat(uuidBytes(aId), aPublic), concat(uuidBytes(bId), bPublic)].sort(compareBytes);
  const digest = await sha512(concat(utf8('messgo safety v1'), sides[0], sides[1]));
  const groups = [];
  for (let i = 0; i < 60; i += 5) {
    let n = 0;
    for (let j = i; j < i + 5; j++) n = n * 256 + digest[j]; // < 2^40: exact in a double
    groups.push(String(n % 100000).padStart(5, '0'));
  }
  return groups.join(' ');
}
