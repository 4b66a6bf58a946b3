// @ts-check
// Attachments encrypted in fixed chunks (docs/crypto.md, "Attachments"): the STREAM
// construction over AES-256-GCM, with the nonce layout of RustCrypto's StreamBE32
// (7-byte prefix, 32-bit big-endian chunk index, a last-chunk flag byte). The index and
// the flag are in every nonce, so a reader refuses chunks swapped, dropped, cut off or
// taken from another file. Both directions hold one chunk at a time, so a 100 MiB file
// costs no more memory than a small one. Pure WebCrypto: it runs under `node --test`.

import { asBufferSource as buf, randomBytes } from './bytes.js';

export const FILE_KEY_BYTES = 32;
export const PREFIX_BYTES = 7;
/** Plaintext bytes per chunk. */
export const FILE_CHUNK = 65536;
const TAG_BYTES = 16;
/** Bytes of one sealed chunk (but the last, which may be shorter). */
export const SEALED_CHUNK = FILE_CHUNK + TAG_BYTES;
const VERSION = 0x01;
/** The version byte and the nonce prefix. */
export const HEADER_BYTES = 1 + PREFIX_BYTES;
const NO_AAD = new Uint8Array(0);

export class StreamError extends Error {}

/** How many chunks a plaintext of `len` bytes makes (an empty file is one empty chunk). @param {number} len */
export const chunkCount = (len) => Math.max(1, Math.ceil(len / FILE_CHUNK));

/** Bytes of the stream for a plaintext of `len` bytes. @param {number} len */
export const sealedSize = (len) => HEADER_BYTES + len + TAG_BYTES * chunkCount(len);

/** @param {Uint8Array} prefix @param {number} index @param {boolean} last */
function nonce(prefix, index, last) {
  const n = new Uint8Array(12);
  n.set(prefix, 0);
  new DataView(n.buffer).setUint32(PREFIX_BYTES, index, false);
  n[11] = last ? 1 : 0;
  return n;
}

/** @param {Uint8Array} key */
function importKey(key) {
  if (key.length !== FILE_KEY_BYTES) throw new StreamError('a file key is 32 bytes');
  return globalThis.crypto.subtle.importKey('raw', buf(key), 'AES-GCM', false, ['encrypt', 'decrypt']);
}

/**
 * Seals one file's chunks, in any order (a resumed upload re-seals the chunk it
 * stopped in; AES-GCM under the same nonce gives the same bytes).
 */
export class StreamSealer {
  /** @param {Uint8Array} key @param {Uint8Array} [prefix] fixed only by tests */
  constructor(key, prefix = randomBytes(PREFIX_BYTES)) {
    if (prefix.length !== PREFIX_BYTES) throw new StreamError('a nonce prefix is 7 bytes');
    this.prefix = prefix;
    this.key = importKey(key);
  }

  /** The stream's first 8 bytes. */
  header() {
    const h = new Uint8Array(HEADER_BYTES);
    h[0] = VERSION;
    h.set(this.prefix, 1);
    return h;
  }

  /** @param {number} index @param {Uint8Array} chunk at most FILE_CHUNK bytes @param {boolean} last */
  async seal(index, chunk, last) {
    if (chunk.length > FILE_CHUNK || (!last && chunk.length !== FILE_CHUNK)) {
      throw new StreamError('only the last chunk may be shorter than 64 KiB');
    }
    const iv = nonce(this.prefix, index, last);
    const ct = await globalThis.crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: NO_AAD },
      await this.key, buf(chunk));
    return new Uint8Array(ct);
  }
}

/**
 * Opens a stream as its bytes arrive, in pieces of any size. It holds back one sealed
 * chunk, because only the end of the stream says which chunk was the last.
 */
export class StreamOpener {
  /** @param {Uint8Array} key */
  constructor(key) {
    this.key = importKey(key);
    /** @type {Uint8Array | null} */
    this.prefix = null;
    /** Bytes not yet opened: at most one sealed chunk and a header. */
    this.held = new Uint8Array(0);
    this.index = 0;
    this.done = false;
  }

  /** @param {Uint8Array} piece @returns {Promise<Uint8Array[]>} the chunks it completed */
  async push(piece) {
    if (this.done) throw new StreamError('bytes after the end of the stream, or after a chunk that did not open');
    const joined = new Uint8Array(this.held.length + piece.length);
    joined.set(this.held);
    joined.set(piece, this.held.length);
    let at = 0;
    if (!this.prefix) {
      if (joined.length < HEADER_BYTES) {
        this.held = joined;
        return [];
      }
      if (joined[0] !== VERSION) throw new StreamError('not a MessGo file stream (unknown version)');
      this.prefix = joined.slice(1, HEADER_BYTES);
      at = HEADER_BYTES;
    }
    /** @type {Uint8Array[]} */
    const out = [];
    // A full chunk is opened as "not last" only once a byte after it has arrived.
    while (joined.length - at > SEALED_CHUNK) {
      out.push(await this.open(joined.subarray(at, at + SEALED_CHUNK), false));
      at += SEALED_CHUNK;
    }
    this.held = joined.slice(at);
    return out;
  }

  /** Opens the held-back chunk as the last one. @returns {Promise<Uint8Array>} */
  async finish() {
    if (this.done) throw new StreamError('the stream was already finished, or a chunk did not open');
    if (!this.prefix) throw new StreamError('the stream ended before its header');
    if (this.held.length < TAG_BYTES) throw new StreamError('the stream was cut off');
    const last = await this.open(this.held, true);
    this.done = true;
    this.held = new Uint8Array(0);
    return last;
  }

  /** @param {Uint8Array} sealed @param {boolean} last */
  async open(sealed, last) {
    const iv = nonce(/** @type {Uint8Array} */ (this.prefix), this.index, last);
    try {
      const pt = await globalThis.crypto.subtle.decrypt({ name: 'AES-GCM', iv, additionalData: NO_AAD },
        await this.key, buf(sealed));
      this.index += 1;
      return new Uint8Array(pt);
    } catch {
      // A stream that failed once is refused from then on, like the Rust opener.
      this.done = true;
      throw new StreamError('the file does not open: changed, cut off or not this file');
    }
  }
}

/**
 * A whole small plaintext (a thumbnail, a waveform's poster) sealed as one stream.
 * @param {Uint8Array} plaintext @param {{key?: Uint8Array, prefix?: Uint8Array}} [fixed] for tests only
 * @returns {Promise<{key: Uint8Array, sealed: Uint8Array}>}
 */
export async function sealBytes(plaintext, fixed = {}) {
  const key = fixed.key ?? randomBytes(FILE_KEY_BYTES);
  const sealer = new StreamSealer(key, fixed.prefix);
  const n = chunkCount(plaintext.length);
  const sealed = new Uint8Array(sealedSize(plaintext.length));
  sealed.set(sealer.header());
  for (let i = 0, at = HEADER_BYTES; i < n; i++) {
    const part = await sealer.seal(i, plaintext.subarray(i * FILE_CHUNK, (i + 1) * FILE_CHUNK), i === n - 1);
    sealed.set(part, at);
    at += part.length;
  }
  return { key, sealed };
}

/** Opens a whole stream; throws StreamError unless it is intact. @param {Uint8Array} key @param {Uint8Array} sealed */
export async function openBytes(key, sealed) {
  const opener = new StreamOpener(key);
  const parts = await opener.push(sealed);
  parts.push(await opener.finish());
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
