// @ts-check
// Encrypted attachments over HTTP (docs/protocol.md, "Attachments"). XMLHttpRequest
// rather than fetch: it reports upload progress (files/transfer.js's pieces go up
// through `run`). Images of the older form, sealed whole, are still downloaded here.
// Errors are the same ApiError the rest of the client throws, with the server's own
// sentence (a 413 names the size limit).

import { ApiError } from '../core/api.js';

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
