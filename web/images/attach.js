// @ts-check
// Images attached in a composer, from the pick to the upload: each file is re-encoded
// here (process.js), sealed under fresh keys (blob-crypto.js) and uploaded with
// progress, one file prepared at a time so ten large photos do not hold ten decoded
// bitmaps at once. What was prepared and sealed is kept until the message goes, so a
// failed upload is retried without picking the file again. One set per chat, so
// switching chats neither loses nor mixes them (uploads belong to one chat).

import { ApiError } from '../core/api.js';
import { sealBlob } from './blob-crypto.js';
import { uploadBlob } from './api.js';
import { reduceAttachments, noAttachments, room, sendable } from './attach-state.js';
import { toB64u } from '../crypto/bytes.js';
import { ImageError, processImage } from './process.js';
import { MAX_IMAGES } from '../crypto/plaintext.js';
import { createStore } from '../core/state.js';

/** @typedef {import('./attach-state.js').Attachment} Attachment */
/** @typedef {import('./attach-state.js').AttachEvent} AttachEvent */
/** @typedef {import('../crypto/plaintext.js').ImageRef} ImageRef */
/** @typedef {import('./media.js').Media} Media */
/** @typedef {{key: Uint8Array, sealed: Uint8Array}} SealedBlob */
/**
 * @typedef {{file: File, abort: AbortController, preview?: string, thumbBlob?: Blob,
 *   sealed?: {full: SealedBlob, thumb: SealedBlob, type: string, width: number, height: number, size: number},
 *   thumbId?: string, fullId?: string}} Work
 */

/** A sentence for a failed preparation or upload. @param {unknown} err @param {(err: unknown) => string} say */
export function uploadError(err, say) {
  if (err instanceof ImageError) return err.message;
  if (err instanceof ApiError) {
    if (err.status === 413) return `Too large to send. ${err.message}`;
    if (err.status === 0) return 'Not uploaded: cannot reach the server. Check your connection.';
    if (err.status === 404) return 'Not uploaded: you are no longer in this chat.';
    if (err.status === 429) return 'Not uploaded: too many uploads just now. Retry in a moment.';
    return `Not uploaded: ${say(err)}`;
  }
  return `Not uploaded: ${say(err)}`;
}

/** @param {{chatId: string, media: Media, say: (err: unknown) => string}} p */
function createAttachments({ chatId, media, say }) {
  const store = createStore(reduceAttachments, noAttachments);
  /** @type {Map<string, Work>} */
  const work = new Map();
  /** Preparing is one file at a time; uploads overlap with the next file's preparing. @type {Promise<unknown>} */
  let queue = Promise.resolve();

  const dispatch = (/** @type {AttachEvent} */ e) => store.dispatch(e);
  const isAbort = (/** @type {unknown} */ err) => err instanceof DOMException && err.name === 'AbortError';

  /** @param {string} id @param {Work} w */
  async function prepare(id, w) {
    const p = await processImage(w.file);
    const [full, thumb] = await Promise.all([sealBlob(p.full), sealBlob(p.thumb)]);
    if (work.get(id) !== w) return false;
    w.thumbBlob = new Blob([/** @type {Uint8Array<ArrayBuffer>} */ (p.thumb)], { type: p.type });
    w.preview = URL.createObjectURL(w.thumbBlob);
    w.sealed = { full, thumb, type: p.type, width: p.width, height: p.height, size: p.full.length };
    dispatch({ type: 'prepared', id, preview: w.preview, total: full.sealed.length + thumb.sealed.length });
    return true;
  }

  /** @param {string} id @param {Work} w */
  async function upload(id, w) {
    const s = /** @type {NonNullable<Work['sealed']>} */ (w.sealed);
    const total = s.full.sealed.length + s.thumb.sealed.length;
    const signal = w.abort.signal;
    if (!w.thumbId) {
      const up = await uploadBlob(chatId, s.thumb.sealed,
        { signal, onProgress: (done) => dispatch({ type: 'progress', id, sent: done, total }) });
      w.thumbId = up.id;
    }
    if (!w.fullId) {
      const base = s.thumb.sealed.length;
      const up = await uploadBlob(chatId, s.full.sealed,
        { signal, onProgress: (done) => dispatch({ type: 'progress', id, sent: base + done, total }) });
      w.fullId = up.id;
    }
    dispatch({
      type: 'uploaded', id,
      ref: {
        blob: w.fullId, thumb: w.thumbId, key: toB64u(s.full.key), thumb_key: toB64u(s.thumb.key), type: s.type,
        width: s.width, height: s.height, size: s.size,
      },
    });
  }

  /** @param {string} id */
  function schedule(id) {
    const w = work.get(id);
    if (!w) return;
    const prepared = w.sealed ? Promise.resolve(true) : (queue = queue.then(() => prepare(id, w)));
    prepared
      .then((ok) => ok && upload(id, w))
      .catch((err) => {
        if (work.get(id) === w && !isAbort(err)) dispatch({ type: 'failed', id, error: uploadError(err, say) });
      });
    // One file's failure does not hold up the next.
    queue = queue.catch(() => false);
  }

  /** @param {string} id */
  function forgetWork(id) {
    const w = work.get(id);
    if (!w) return;
    work.delete(id);
    w.abort.abort();
    if (w.preview) URL.revokeObjectURL(w.preview);
  }

  return {
    getState: store.getState,
    subscribe: store.subscribe,

    /**
     * Starts preparing and uploading picked or pasted files. Files that are not images,
     * and those beyond ten per message, are left out with a word saying so.
     * @param {Iterable<File>} files @returns {{ok: true} | {ok: false, error: string}}
     */
    add(files) {
      const all = [...files];
      const images = all.filter((f) => !f.type || f.type.startsWith('image/'));
      const free = room(store.getState());
      const taken = images.slice(0, free);
      const items = taken.map((file) => ({ id: crypto.randomUUID(), name: file.name || 'image', file }));
      for (const i of items) work.set(i.id, { file: i.file, abort: new AbortController() });
      if (items.length) dispatch({ type: 'added', items: items.map(({ id, name }) => ({ id, name })) });
      for (const i of items) schedule(i.id);
      if (images.length > taken.length) return { ok: false, error: `A message can carry at most ${MAX_IMAGES} images.` };
      if (images.length < all.length) return { ok: false, error: 'Only images can be attached.' };
      return { ok: true };
    },

    /** Tries a failed one again, with the file already picked. @param {string} id */
    retry(id) {
      const w = work.get(id);
      if (!w) return;
      w.abort = new AbortController();
      dispatch({ type: 'retrying', id });
      schedule(id);
    },

    /** @param {string} id */
    remove(id) {
      forgetWork(id);
      dispatch({ type: 'removed', id });
    },

    /** The images a send may carry now, or why not yet. */
    take() {
      const ready = sendable(store.getState());
      if (!ready.ok) return ready;
      // The own message shows at once from the thumbnails made here.
      for (const a of store.getState()) {
        const w = work.get(a.id);
        if (w?.thumbBlob && a.ref) media.seedThumb(a.ref.thumb, w.thumbBlob);
      }
      return ready;
    },

    /** After the message with them was handed to the sender. */
    clear() {
      for (const id of [...work.keys()]) forgetWork(id);
      dispatch({ type: 'cleared' });
    },

    dispose() {
      for (const id of [...work.keys()]) forgetWork(id);
    },
  };
}

/** @typedef {ReturnType<typeof createAttachments>} Attachments */

/** The composers' attachments of one signed-in account. @param {{media: Media, say: (err: unknown) => string}} deps */
export function createAttachmentShelf(deps) {
  /** @type {Map<string, Attachments>} */
  const byChat = new Map();
  return {
    /** @param {string} chatId @returns {Attachments} */
    forChat(chatId) {
      let found = byChat.get(chatId);
      if (!found) {
        found = createAttachments({ chatId, ...deps });
        byChat.set(chatId, found);
      }
      return found;
    },
    forget() {
      for (const a of byChat.values()) a.dispose();
      byChat.clear();
    },
  };
}

/** @typedef {ReturnType<typeof createAttachmentShelf>} AttachmentShelf */
