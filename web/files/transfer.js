// @ts-check
// Attachments on the wire (docs/protocol.md, "Resumable uploads"; docs/crypto.md,
// "Attachments"). A file is sealed chunk by chunk as it goes up, a few MiB per
// request, so neither a 100 MiB file nor its ciphertext is ever whole in memory; a
// dropped connection asks the server what it kept and goes on from there, re-sealing
// the chunk it stopped in (the same key and nonce give the same bytes). A download is
// opened as it arrives and handed to the browser as a Blob, which Chromium keeps out
// of the page's heap (and on disk when it is large); a cut continues with a Range.

import { ApiError, request } from '../core/api.js';
import { run } from '../images/api.js';
import {
  FILE_CHUNK, FILE_KEY_BYTES, HEADER_BYTES, SEALED_CHUNK, StreamOpener, StreamSealer, chunkCount, sealedSize,
} from '../crypto/stream.js';
import { randomBytes } from '../crypto/bytes.js';

/** @typedef {(done: number, total: number) => void} Progress */
/** @typedef {{id: string, size: number, offset: number, expires_at: number}} UploadState */

/** Stream bytes per request: 64 server chunks, so a cut loses at most one piece's tail. */
export const PIECE = 4 * 1024 * 1024;
/** Tries in a row that may fail (network, stall, server busy) before the upload gives up. */
const TRIES = 6;
/** Downloaded plaintext handed to a Blob at a time, so the page holds at most this much. */
const FLUSH = 8 * 1024 * 1024;

const abortError = () => new DOMException('Aborted', 'AbortError');

/** Waits `ms`, or less when the browser comes back online; rejects on abort. @param {number} ms @param {AbortSignal | undefined} signal */
function pause(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError());
    const done = () => {
      clearTimeout(timer);
      globalThis.removeEventListener?.('online', done);
      signal?.removeEventListener('abort', stop);
      resolve(undefined);
    };
    const stop = () => {
      clearTimeout(timer);
      globalThis.removeEventListener?.('online', done);
      reject(abortError());
    };
    const timer = setTimeout(done, ms);
    globalThis.addEventListener?.('online', done, { once: true });
    signal?.addEventListener('abort', stop, { once: true });
  });
}

/** Whether trying again may help (the network, a stall, a busy or restarting server). @param {unknown} err */
const transient = (err) => err instanceof ApiError
  && (err.status === 0 || err.status === 408 || err.status === 429 || err.status >= 500 || err.code === 'upload_busy');

/**
 * One file going up. `run()` uploads it; after a failure `run()` again continues where
 * the server says it stopped; `cancel()` drops it on the server.
 */
export class FileUpload {
  /** @param {string} chatId @param {Blob} source */
  constructor(chatId, source) {
    this.chatId = chatId;
    this.source = source;
    this.key = randomBytes(FILE_KEY_BYTES);
    this.sealer = new StreamSealer(this.key);
    this.total = sealedSize(source.size);
    /** @type {string | null} */
    this.id = null;
    this.offset = 0;
    this.complete = false;
  }

  /** Stream bytes [from, to): the header and the chunks that cover them, sealed now. @param {number} from @param {number} to */
  async streamBytes(from, to) {
    const out = new Uint8Array(to - from);
    const n = chunkCount(this.source.size);
    if (from < HEADER_BYTES) out.set(this.sealer.header().subarray(from, Math.min(HEADER_BYTES, to)), 0);
    const first = Math.max(0, Math.floor((from - HEADER_BYTES) / SEALED_CHUNK));
    for (let i = first; i < n; i++) {
      const start = HEADER_BYTES + i * SEALED_CHUNK;
      if (start >= to) break;
      const plain = new Uint8Array(await this.source.slice(i * FILE_CHUNK, (i + 1) * FILE_CHUNK).arrayBuffer());
      const sealed = await this.sealer.seal(i, plain, i === n - 1);
      const lo = Math.max(from, start);
      const hi = Math.min(to, start + sealed.length);
      out.set(sealed.subarray(lo - start, hi - start), lo - from);
    }
    return out;
  }

  /** @param {Uint8Array} bytes @param {{onProgress?: Progress, signal?: AbortSignal}} opts @returns {Promise<UploadState>} */
  patch(bytes, { onProgress, signal }) {
    const xhr = new XMLHttpRequest();
    xhr.open('PATCH', `/api/uploads/${encodeURIComponent(/** @type {string} */ (this.id))}`);
    xhr.responseType = 'text';
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    xhr.setRequestHeader('Upload-Offset', String(this.offset));
    xhr.setRequestHeader('X-MessGo', '1');
    xhr.setRequestHeader('Accept', 'application/json');
    const base = this.offset;
    xhr.upload.onprogress = (e) => onProgress?.(base + e.loaded, this.total);
    return run(xhr, signal, (x) => JSON.parse(x.responseText), 'The upload was refused.',
      new Blob([/** @type {Uint8Array<ArrayBuffer>} */ (bytes)]));
  }

  /**
   * Uploads what is left; resolves when the server holds the whole stream.
   * @param {{onProgress?: Progress, signal?: AbortSignal, onRetry?: (err: ApiError) => void}} [opts]
   */
  async run(opts = {}) {
    const { signal } = opts;
    let failures = 0;
    while (!this.complete) {
      if (signal?.aborted) throw abortError();
      try {
        if (!this.id) {
          /** @type {UploadState} */
          const made = await request('POST', `/api/uploads?chat_id=${encodeURIComponent(this.chatId)}`, { size: this.total });
          this.id = made.id;
          this.offset = made.offset;
        } else if (failures > 0) {
          /** @type {UploadState} */
          const now = await request('GET', `/api/uploads/${encodeURIComponent(this.id)}`);
          this.offset = now.offset;
        }
        if (this.offset < this.total) {
          const bytes = await this.streamBytes(this.offset, Math.min(this.total, this.offset + PIECE));
          const after = await this.patch(bytes, opts);
          this.offset = after.offset;
        }
        this.complete = this.offset >= this.total;
        opts.onProgress?.(this.offset, this.total);
        failures = 0;
      } catch (err) {
        if (err instanceof ApiError && err.code === 'offset_mismatch') {
          failures = 1;
          continue;
        }
        if (!transient(err) || ++failures >= TRIES) throw err;
        opts.onRetry?.(/** @type {ApiError} */ (err));
        const wait = err instanceof ApiError && err.retryAfter ? err.retryAfter * 1000 : 500 * 2 ** failures;
        await pause(Math.min(wait, 15_000), signal);
      }
    }
    return { id: /** @type {string} */ (this.id), key: this.key, size: this.source.size };
  }

  /** Drops the upload on the server (its chunks are erased); nothing happens if it never started. */
  async cancel() {
    if (!this.id) return;
    try {
      await request('DELETE', `/api/uploads/${encodeURIComponent(this.id)}`);
    } catch {
      // Unreachable or already gone: the server drops it within the hour anyway.
    }
  }
}

/**
 * Downloads a blob and opens it as it arrives.
 * @param {string} id @param {Uint8Array} key
 * @param {number | null} size the plaintext's size; null for a thumbnail or poster, whose
 *   size the message does not carry: the server's Content-Length says it then
 * @param {{type?: string, onProgress?: Progress, signal?: AbortSignal}} [opts]
 * @returns {Promise<Blob>}
 */
export async function downloadFile(id, key, size, { type = '', onProgress, signal } = {}) {
  let total = size === null ? -1 : sealedSize(size);
  const opener = new StreamOpener(key);
  /** @type {BlobPart[]} */
  let parts = [];
  let pending = 0;
  let acc = new Blob([]);
  let received = 0;
  let failures = 0;
  const keep = (/** @type {Uint8Array[]} */ chunks) => {
    for (const c of chunks) {
      parts.push(/** @type {Uint8Array<ArrayBuffer>} */ (c));
      pending += c.length;
    }
    if (pending >= FLUSH) {
      acc = new Blob([acc, ...parts]);
      parts = [];
      pending = 0;
    }
  };
  while (total < 0 || received < total) {
    try {
      /** @type {Record<string, string>} */
      const headers = received > 0 ? { Range: `bytes=${received}-` } : {};
      const res = await fetchBlob(id, headers, signal);
      if (total < 0) total = lengthOf(res);
      const reader = /** @type {ReadableStream<Uint8Array>} */ (res.body).getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        received += value.length;
        keep(await opener.push(value));
        onProgress?.(received, total);
        failures = 0;
      }
      if (received < total) throw new ApiError(0, 'network', 'The download broke off.');
    } catch (err) {
      if (signal?.aborted) throw abortError();
      if (!transient(err) || ++failures >= TRIES) throw err;
      await pause(500 * 2 ** failures, signal);
    }
  }
  keep([await opener.finish()]);
  return new Blob([acc, ...parts], { type });
}

/** A whole blob's length from its first answer (a thumbnail's size is not in the message). @param {Response} res */
function lengthOf(res) {
  const n = Number(res.headers.get('Content-Length') ?? '');
  if (res.status !== 200 || !Number.isSafeInteger(n) || n < HEADER_BYTES) {
    throw new ApiError(res.status, 'invalid_blob', 'This file could not be downloaded.');
  }
  return n;
}

/** @param {string} id @param {Record<string, string>} headers @param {AbortSignal | undefined} signal */
async function fetchBlob(id, headers, signal) {
  let res;
  try {
    res = await fetch(`/api/blobs/${encodeURIComponent(id)}`, { credentials: 'same-origin', headers, signal });
  } catch (err) {
    if (signal?.aborted) throw err;
    throw new ApiError(0, 'network', 'Can\'t reach the server. Check your connection and try again.');
  }
  if (res.status === 200 || res.status === 206) return res;
  let code = `http_${res.status}`;
  let message = 'This file is no longer available.';
  try {
    const e = (await res.json())?.error;
    if (typeof e?.code === 'string') code = e.code;
    if (typeof e?.message === 'string') message = e.message;
  } catch {
    // Not our JSON: keep the sentence.
  }
  throw new ApiError(res.status, code, message);
}
