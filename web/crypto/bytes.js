// @ts-check
// Byte helpers shared by the crypto modules: encodings, ids and constant-time compare.

const enc = new TextEncoder();

/** @param {...Uint8Array} parts */
export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** @param {string} s */
export const utf8 = (s) => enc.encode(s);

/** @param {Uint8Array} bytes */
export const toHex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/** @param {string} hex */
export function fromHex(hex) {
  if (hex.length % 2 !== 0 || /[^0-9a-f]/i.test(hex)) throw new Error('invalid hex');
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Base64url without padding: the wire form of every binary field. @param {Uint8Array} bytes */
export function toB64u(bytes) {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** @param {string} s */
export function fromB64u(s) {
  if (typeof s !== 'string' || /[^A-Za-z0-9_-]/.test(s) || s.length % 4 === 1) throw new Error('invalid base64url');
  const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

/** The 16 raw bytes of a hyphenated UUID. @param {string} uuid */
export function uuidBytes(uuid) {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(uuid)) {
    throw new Error(`invalid uuid: ${uuid}`);
  }
  return fromHex(uuid.replace(/-/g, ''));
}

/** 4-byte big-endian epoch. @param {number} epoch */
export function epochBytes(epoch) {
  if (!Number.isInteger(epoch) || epoch < 0 || epoch > 0xffffffff) throw new Error('invalid epoch');
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, epoch);
  return out;
}

/** @param {number} n */
export const randomBytes = (n) => globalThis.crypto.getRandomValues(new Uint8Array(n));

/** @param {Uint8Array} a @param {Uint8Array} b */
export function bytesEqual(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** Bytewise (lexicographic) order, as Rust's `[u8]` Ord. @param {Uint8Array} a @param {Uint8Array} b */
export function compareBytes(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** @param {Uint8Array} bytes @returns {bytes is Uint8Array<ArrayBuffer>} */
const overArrayBuffer = (bytes) => bytes.buffer instanceof ArrayBuffer;

/**
 * The bytes as WebCrypto's BufferSource: a view of an ArrayBuffer. Every array this
 * client makes is one and comes back as it is; a view of a SharedArrayBuffer, which
 * WebCrypto refuses, is copied (WebCrypto copies what it is given anyway).
 * @param {Uint8Array} bytes @returns {Uint8Array<ArrayBuffer>}
 */
export const asBufferSource = (bytes) => (overArrayBuffer(bytes) ? bytes : new Uint8Array(bytes));
