// @ts-check
// RFC 9180 HPKE, base mode only, for the one suite MessGo uses:
// DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 / AES-128-GCM (0x0020, 0x0001, 0x0001).
// WebCrypto has X25519, HMAC and AES-GCM but no HPKE, so the labeled KDF and key
// schedule are spelled out here; the RFC's A.1.1 vectors pin every step.

import { concat, randomBytes, utf8 } from './bytes.js';
import { aesGcmOpen, aesGcmSeal, hkdfExpand, hkdfExtract, x25519, x25519Public } from './primitives.js';

const KEM_ID = 0x0020;
const KDF_ID = 0x0001;
const AEAD_ID = 0x0001;
const N_SECRET = 32;
const N_KEY = 16;
const N_NONCE = 12;
const MODE_BASE = 0x00;

/** @param {number} n @param {number} len */
function i2osp(n, len) {
  const out = new Uint8Array(len);
  for (let i = len - 1, v = n; i >= 0 && v > 0; i--, v = Math.floor(v / 256)) out[i] = v % 256;
  return out;
}

const HPKE_V1 = utf8('HPKE-v1');
const KEM_SUITE = concat(utf8('KEM'), i2osp(KEM_ID, 2));
const HPKE_SUITE = concat(utf8('HPKE'), i2osp(KEM_ID, 2), i2osp(KDF_ID, 2), i2osp(AEAD_ID, 2));
const EMPTY = new Uint8Array(0);

/** @param {Uint8Array} suite @param {Uint8Array} salt @param {string} label @param {Uint8Array} ikm */
const labeledExtract = (suite, salt, label, ikm) =>
  hkdfExtract(salt, concat(HPKE_V1, suite, utf8(label), ikm));

/** @param {Uint8Array} suite @param {Uint8Array} prk @param {string} label @param {Uint8Array} info @param {number} len */
const labeledExpand = (suite, prk, label, info, len) =>
  hkdfExpand(prk, concat(i2osp(len, 2), HPKE_V1, suite, utf8(label), info), len);

/**
 * DeriveKeyPair for X25519 (RFC 9180 §7.1.3): no rejection sampling, the scalar is clamped
 * by X25519 itself.
 * @param {Uint8Array} ikm
 * @returns {Promise<{sk: Uint8Array, pk: Uint8Array}>}
 */
export async function deriveKeyPair(ikm) {
  const dkpPrk = await labeledExtract(KEM_SUITE, EMPTY, 'dkp_prk', ikm);
  const sk = await labeledExpand(KEM_SUITE, dkpPrk, 'sk', EMPTY, N_SECRET);
  return { sk, pk: await x25519Public(sk) };
}

/** @param {Uint8Array} dh @param {Uint8Array} kemContext */
async function extractAndExpand(dh, kemContext) {
  const eaePrk = await labeledExtract(KEM_SUITE, EMPTY, 'eae_prk', dh);
  return labeledExpand(KEM_SUITE, eaePrk, 'shared_secret', kemContext, N_SECRET);
}

/**
 * @param {Uint8Array} pkR
 * @param {Uint8Array} [ikmE] deterministic ephemeral key material, for test vectors only
 */
export async function encap(pkR, ikmE = randomBytes(N_SECRET)) {
  const { sk: skE, pk: pkE } = await deriveKeyPair(ikmE);
  const dh = await x25519(skE, pkR);
  return { sharedSecret: await extractAndExpand(dh, concat(pkE, pkR)), enc: pkE };
}

/**
 * @param {Uint8Array} enc
 * @param {Uint8Array | CryptoKey} skR raw secret or the non-extractable private key
 * @param {Uint8Array} [pkR] the recipient's public key; computed from skR when absent
 */
export async function decap(enc, skR, pkR) {
  const dh = await x25519(skR, enc);
  return extractAndExpand(dh, concat(enc, pkR ?? (await x25519Public(skR))));
}

/** An HPKE encryption context: key, base nonce and the sequence number that varies it. */
export class HpkeContext {
  /** @param {Uint8Array} key @param {Uint8Array} baseNonce @param {Uint8Array} exporterSecret */
  constructor(key, baseNonce, exporterSecret) {
    this.key = key;
    this.baseNonce = baseNonce;
    this.exporterSecret = exporterSecret;
    this.seq = 0;
  }

  /** base_nonce XOR I2OSP(seq, Nn). @param {number} seq */
  nonce(seq) {
    const n = i2osp(seq, N_NONCE);
    for (let i = 0; i < N_NONCE; i++) n[i] ^= this.baseNonce[i];
    return n;
  }

  /** @param {Uint8Array} aad @param {Uint8Array} pt */
  async seal(aad, pt) {
    const ct = await aesGcmSeal(this.key, this.nonce(this.seq), pt, aad);
    this.seq += 1;
    return ct;
  }

  /** @param {Uint8Array} aad @param {Uint8Array} ct */
  async open(aad, ct) {
    const pt = await aesGcmOpen(this.key, this.nonce(this.seq), ct, aad);
    this.seq += 1;
    return pt;
  }
}

/** KeySchedule for mode_base (empty psk and psk_id). @param {Uint8Array} sharedSecret @param {Uint8Array} info */
export async function keySchedule(sharedSecret, info) {
  const pskIdHash = await labeledExtract(HPKE_SUITE, EMPTY, 'psk_id_hash', EMPTY);
  const infoHash = await labeledExtract(HPKE_SUITE, EMPTY, 'info_hash', info);
  const context = concat(Uint8Array.of(MODE_BASE), pskIdHash, infoHash);
  const secret = await labeledExtract(HPKE_SUITE, sharedSecret, 'secret', EMPTY);
  return new HpkeContext(
    await labeledExpand(HPKE_SUITE, secret, 'key', context, N_KEY),
    await labeledExpand(HPKE_SUITE, secret, 'base_nonce', context, N_NONCE),
    await labeledExpand(HPKE_SUITE, secret, 'exp', context, N_SECRET),
  );
}

/** @param {Uint8Array} pkR @param {Uint8Array} info @param {Uint8Array} [ikmE] */
export async function setupBaseS(pkR, info, ikmE) {
  const { sharedSecret, enc } = await encap(pkR, ikmE);
  return { enc, ctx: await keySchedule(sharedSecret, info) };
}

/** @param {Uint8Array} enc @param {Uint8Array | CryptoKey} skR @param {Uint8Array} info @param {Uint8Array} [pkR] */
export async function setupBaseR(enc, skR, info, pkR) {
  return keySchedule(await decap(enc, skR, pkR), info);
}
