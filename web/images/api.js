// @ts-check
// Encrypted attachments over HTTP (docs/protocol.md, "Attachments"). XMLHttpRequest
// rather than fetch: it reports upload progress, which an image on a slow link needs.
// Errors are the same ApiError the rest of the client throws, with the server's own
// sentence (a 413 names the size limit).

import { ApiError } from '../core/api.js';

/** @typedef {{id: string, size: number, expires_at: number}} BlobUploaded */
/** @typedef {(done: number, total: number) => void} Progress */

const NETWORK = 'Can\'t reach the server. Check your connection and try again.';

/** @param {XMLHttpRequest} xhr @param {string} fallback */
function failure(xhr, fallback) {
  let code = `http_${xhr.status}`;
  let message = fallback;
  try {
    const raw = xhr.response instanceof ArrayBuffer ? new TextDecoder().decode(xhr.response) : String(xhr.responseText ?? '');
    const err = JSON.parse(raw)?.error;
    if (typeof err?.code === 'string') code = err.code;
    if (typeof err?.message === 'string') message = err.message;
  } catch {
    // Not our JSON (a proxy's error page): keep the fallback sentence.
  }
  const retry = Number.parseInt(xhr.getResponseHeader('Retry-After') ?? '', 10);
  return new ApiError(xhr.status, code, message, Number.isFinite(retry) ? retry : null);
}

/**
 * @param {XMLHttpRequest} xhr @param {AbortSignal | undefined} signal
 * @param {(xhr: XMLHttpRequest) => any} ok what a 2xx answer resolves to
 * @param {string} fallback a sentence for an error without a body of ours
 * @param {Document | XMLHttpRequestBodyInit | null} body
 */
export function run(xhr, signal, ok, fallback, body) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new DOMException('Aborted', 'AbortError'));
      return;
    }
    const abort = () => xhr.abort();
    signal?.addEventListener('abort', abort, { once: true });
    const done = () => signal?.removeEventListener('abort', abort);
    xhr.onload = () => {
      done();
      if (xhr.status >= 200 && xhr.status < 300) resolve(ok(xhr));
      else reject(failure(xhr, fallback));
    };
    xhr.onerror = () => {
      done();
      reject(new ApiError(0, 'network', NETWORK));
    };
    xhr.ontimeout = xhr.onerror;
    xhr.onabort = () => {
      done();
      reject(new DOMException('Aborted', 'AbortError'));
    };
    xhr.send(body);
  });
}

/**
 * Uploads one sealed blob to a chat. It waits on the server for an hour for the
 * message that takes it.
 * @param {string} chatId @param {Uint8Array} sealed
 * @param {{onProgress?: Progress, signal?: AbortSignal}} [opts]
 * @returns {Promise<BlobUploaded>}
 */
export function uploadBlob(chatId, sealed, { onProgress, signal } = {}) {
  const xhr = new XMLHttpRequest();
  xhr.open('POST', `/api/blobs?chat_id=${encodeURIComponent(chatId)}`);
  xhr.responseType = 'text';
  xhr.setRequestHeader('Content-Type', 'application/octet-stream');
  xhr.setRequestHeader('X-MessGo', '1');
  xhr.setRequestHeader('Accept', 'application/json');
  xhr.upload.onprogress = (e) => onProgress?.(e.loaded, e.lengthComputable ? e.total : sealed.length);
  return run(xhr, signal, (x) => JSON.parse(x.responseText), 'The upload was refused.',
    new Blob([/** @type {Uint8Array<ArrayBuffer>} */ (sealed)]));
}

/**
 * Downloads one sealed blob (only members who may see its message get it).
 * @param {string} id @param {{onProgress?: Progress, signal?: AbortSignal, expected?: number}} [opts]
 *   expected: the size to count progress against when the server does not say
 * @returns {Promise<Uint8Array>}
 */
export function downloadBlob(id, { onProgress, signal, expected = 0 } = {}) {
  const xhr = new XMLHttpRequest();
  xhr.open('GET', `/api/blobs/${encodeURIComponent(id)}`);
  xhr.responseType = 'arraybuffer';
  xhr.onprogress = (e) => onProgress?.(e.loaded, e.lengthComputable ? e.total : expected);
  return run(xhr, signal, (x) => new Uint8Array(x.response), 'This image is no longer available.', null);
}
