// @ts-check
// Images of messages, decrypted here: thumbnails are fetched and opened as soon as a
// message shows them and kept as blob: URLs for as long as a message in the state
// carries them; full images are fetched when opened. Whenever the state changes, the
// URLs of images no message carries any more (expired, deleted, chat gone, signed out)
// are revoked, so the decrypted bytes do not outlive their message in this tab.

import { downloadBlob } from './api.js';
import { BLOB_OVERHEAD, openBlob } from './blob-crypto.js';
import { downloadFile } from '../files/transfer.js';
import { fromB64u } from '../crypto/bytes.js';

/** @typedef {import('../core/state.js').Store} Store */
/** @typedef {import('../core/state.js').State} State */
/** @typedef {import('../crypto/plaintext.js').ImageRef} ImageRef */
/** @typedef {import('../crypto/file-ref.js').FileRef} FileRef */
/** @typedef {(done: number, total: number) => void} Progress */

/** A file of the stream format (files) rather than an image of the older, whole-blob one (images). @param {ImageRef | FileRef} ref @returns {ref is FileRef} */
const streamed = (ref) => 'kind' in ref;

/** @typedef {{promise: Promise<string>, url: string | null, dead: boolean, abort: AbortController}} Thumb */

/** Every blob id a message or a pending message in the state still carries. @param {State} s */
export function liveBlobIds(s) {
  /** @type {Set<string>} */
  const ids = new Set();
  for (const e of Object.values(s.chats.byId)) {
    for (const m of e.messages) {
      const ok = m.body?.status === 'ok' && !m.deleted ? m.body : undefined;
      for (const i of ok?.images ?? []) ids.add(i.thumb).add(i.blob);
      for (const f of ok?.files ?? []) ids.add(f.thumb ?? f.blob).add(f.blob);
    }
    for (const p of e.pending) for (const f of p.files ?? []) ids.add(f.thumb ?? f.blob).add(f.blob);
  }
  return ids;
}

/**
 * Downloads a blob and opens it with its key from the message.
 * @param {string} id @param {string} key base64url @param {string} type
 * @param {{onProgress?: (done: number, total: number) => void, signal?: AbortSignal, expected?: number}} [opts]
 */
export async function fetchImage(id, key, type, opts) {
  const sealed = await downloadBlob(id, opts);
  let plain;
  try {
    plain = await openBlob(fromB64u(key), sealed);
  } catch {
    throw new Error('This image could not be decrypted.');
  }
  return new Blob([/** @type {Uint8Array<ArrayBuffer>} */ (plain)], { type });
}

/** @param {{store: Store}} p */
export function createMedia({ store }) {
  /** @type {Map<string, Thumb>} */
  const thumbs = new Map();
  /** @type {(() => void) | null} */
  let unsubscribe = null;

  /** @param {string} id */
  function drop(id) {
    const t = thumbs.get(id);
    if (!t) return;
    thumbs.delete(id);
    t.dead = true;
    t.abort.abort();
    if (t.url) URL.revokeObjectURL(t.url);
  }

  /** @param {State} s @param {State} prev */
  function collect(s, prev) {
    if (s.chats.byId === prev.chats.byId || thumbs.size === 0) return;
    const live = liveBlobIds(s);
    for (const id of [...thumbs.keys()]) if (!live.has(id)) drop(id);
  }

  /** @param {string} id @param {Promise<Blob>} blob @param {AbortController} abort */
  function remember(id, blob, abort) {
    /** @type {Thumb} */
    const t = { promise: Promise.resolve(''), url: null, dead: false, abort };
    t.promise = blob.then((b) => {
      if (t.dead) throw new DOMException('Gone', 'AbortError');
      t.url = URL.createObjectURL(b);
      return t.url;
    });
    // A failed download is not kept: the next look at the message tries again.
    t.promise.catch(() => { if (thumbs.get(id) === t) thumbs.delete(id); });
    thumbs.set(id, t);
    return t.promise;
  }

  return {
    start() {
      unsubscribe ??= store.subscribe(collect);
    },

    /** The thumbnail's (or a video's poster's) blob: URL, fetched and decrypted once. @param {ImageRef | FileRef} ref @returns {Promise<string>} */
    thumb(ref) {
      const { thumb, thumb_key: key } = ref;
      if (!thumb || !key) return Promise.reject(new Error('This file has no thumbnail.'));
      const found = thumbs.get(thumb);
      if (found) return found.promise;
      const abort = new AbortController();
      const type = streamed(ref) && ref.kind === 'video' ? 'image/jpeg' : ref.type;
      const blob = streamed(ref) ? downloadFile(thumb, fromB64u(key), null, { type, signal: abort.signal })
        : fetchImage(thumb, key, type, { signal: abort.signal });
      return remember(thumb, blob, abort);
    },

    /**
     * A video's blob: URL, downloaded and decrypted once, revoked when no message carries it.
     * @param {FileRef} ref @param {{onProgress?: Progress}} [opts] @returns {Promise<string>}
     */
    playable(ref, opts = {}) {
      const found = thumbs.get(ref.blob);
      if (found) return found.promise;
      const abort = new AbortController();
      return remember(ref.blob, downloadFile(ref.blob, fromB64u(ref.key), ref.size,
        { type: ref.type, signal: abort.signal, onProgress: opts.onProgress }), abort);
    },

    /** What this tab just uploaded needs no download to be shown. @param {string} id @param {Blob} blob */
    seedThumb(id, blob) {
      if (!thumbs.has(id)) remember(id, Promise.resolve(blob), new AbortController());
    },

    /**
     * The full image (or any file), decrypted; the caller makes (and revokes) its URL.
     * @param {ImageRef | FileRef} ref @param {{onProgress?: Progress, signal?: AbortSignal}} [opts]
     * @returns {Promise<Blob>}
     */
    full: (ref, opts = {}) => (streamed(ref)
      ? downloadFile(ref.blob, fromB64u(ref.key), ref.size, { type: ref.type, ...opts })
      : fetchImage(ref.blob, ref.key, ref.type, { ...opts, expected: ref.size + BLOB_OVERHEAD })),

    /**
     * Calls `gone` once no message carries the image any more (it expired or was
     * deleted), so whatever shows it can close. @param {ImageRef | FileRef} ref @param {() => void} gone
     * @returns {() => void} stops watching
     */
    onGone(ref, gone) {
      const off = store.subscribe((s, prev) => {
        if (s.chats.byId !== prev.chats.byId && !liveBlobIds(s).has(ref.blob)) {
          off();
          gone();
        }
      });
      return off;
    },

    stop() {
      unsubscribe?.();
      unsubscribe = null;
      for (const id of [...thumbs.keys()]) drop(id);
    },
  };
}

/** @typedef {ReturnType<typeof createMedia>} Media */
