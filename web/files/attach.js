// @ts-check
// Files attached in a composer, from the pick to the upload: each is prepared here
// (prepare.js: images re-encoded, a video's poster drawn), then sealed chunk by chunk
// as it goes up through a resumable upload (transfer.js), its thumbnail first. One
// file is prepared at a time, so ten large photos do not hold ten decoded bitmaps at
// once. A dropped connection waits for the browser to be back online and continues
// where the server says it stopped; Retry does the same by hand; Cancel drops the
// upload on the server. One set per chat, so switching chats neither loses nor mixes
// them (uploads belong to one chat). `sendAttachment` sends one file by itself (a voice
// note), with the same progress in the tray.

import { ApiError } from '../core/api.js';
import { FileUpload } from './transfer.js';
import { reduceAttachments, noAttachments, room, sendable } from './attach-state.js';
import { MAX_FILES, fileRef, safeName, safeType } from '../crypto/file-ref.js';
import { toB64u } from '../crypto/bytes.js';
import { ImageError } from '../images/process.js';
import { prepareFile } from './prepare.js';
import { kindFor } from './format.js';
import { createStore } from '../core/state.js';

/** @typedef {import('./attach-state.js').Attachment} Attachment */
/** @typedef {import('./attach-state.js').AttachEvent} AttachEvent */
/** @typedef {import('../crypto/file-ref.js').FileRef} FileRef */
/** @typedef {import('../crypto/file-ref.js').FileKind} FileKind */
/** @typedef {import('../images/media.js').Media} Media */
/** @typedef {import('./prepare.js').Prepared} Prepared */
/** @typedef {{kind: FileKind, duration?: number, waveform?: string}} SendMeta */
/** @typedef {(chatId: string, text: string, files: FileRef[]) => {ok: true} | {ok: false, error: string}} Send */
/**
 * @typedef {{file: File, meta?: SendMeta, abort: AbortController, preview?: string, prep?: Prepared,
 *   thumbUp?: FileUpload, mainUp?: FileUpload, online?: () => void,
 *   sent?: {resolve: () => void, reject: (err: unknown) => void}}} Work
 */

/** A sentence for a failed preparation or upload; a refusal names the server's limit. @param {unknown} err @param {(err: unknown) => string} say */
export function uploadError(err, say) {
  if (err instanceof ImageError) return err.message;
  if (err instanceof ApiError) {
    // The server's sentence names the limit and its value (largest file, quota, rate).
    if (err.status === 413) return `Too large to send. ${err.message}`;
    if (err.status === 0) return 'Not uploaded: cannot reach the server. Check your connection.';
    if (err.status === 404) return 'Not uploaded: you are no longer in this chat.';
    if (err.status === 429) return `Not uploaded: ${err.message}`;
    return `Not uploaded: ${say(err)}`;
  }
  return `Not uploaded: ${say(err)}`;
}

const isAbort = (/** @type {unknown} */ err) => err instanceof DOMException && err.name === 'AbortError';
// Only a network failure is worth waiting for; a refusal says why and waits for the user.
const offline = (/** @type {unknown} */ err) => err instanceof ApiError && err.status === 0;

/**
 * The message's entry for an uploaded file, checked as receivers will check it (a
 * field they refuse would make the whole message unreadable to them): what does not
 * pass is left out, and the entry without it must pass.
 * @param {Prepared} p @param {Work} w @returns {FileRef}
 */
function refOf(p, w) {
  const main = /** @type {FileUpload} */ (w.mainUp);
  /** @type {FileRef} */
  const ref = { blob: /** @type {string} */ (main.id), key: toB64u(main.key), size: p.main.size, name: safeName(p.name),
    type: safeType(p.type), kind: p.kind };
  if (w.thumbUp?.id) Object.assign(ref, { thumb: w.thumbUp.id, thumb_key: toB64u(w.thumbUp.key) });
  for (const extra of [{ width: p.width, height: p.height }, { duration: p.duration }, { waveform: p.waveform }]) {
    if (Object.values(extra).every((v) => v !== undefined) && fileRef({ ...ref, ...extra })) Object.assign(ref, extra);
  }
  const checked = fileRef(ref);
  if (!checked) throw new Error('This file could not be described for sending.');
  return checked;
}

/** @param {{chatId: string, media: Media, say: (err: unknown) => string, send: Send}} p */
function createAttachments({ chatId, media, say, send }) {
  const store = createStore(reduceAttachments, noAttachments);
  /** @type {Map<string, Work>} */
  const work = new Map();
  /** Preparing is one file at a time; uploads overlap with the next file's preparing. @type {Promise<unknown>} */
  let queue = Promise.resolve();
  /**
   * Uploads go one file at a time too: the server allows a few unfinished uploads per
   * account at once (429 beyond), and one at full speed finishes sooner than ten sharing.
   * A voice note does not wait behind them. @type {Promise<unknown>}
   */
  let uploads = Promise.resolve();
  const dispatch = (/** @type {AttachEvent} */ e) => store.dispatch(e);

  /** @param {string} id @param {Work} w */
  async function prepare(id, w) {
    const p = await prepareFile(w.file, w.meta);
    if (work.get(id) !== w) return false;
    w.prep = p;
    if (p.thumb) {
      w.preview = URL.createObjectURL(p.thumb);
      w.thumbUp = new FileUpload(chatId, p.thumb);
    }
    w.mainUp = new FileUpload(chatId, p.main);
    dispatch({ type: 'prepared', id, preview: w.preview ?? null, total: (w.thumbUp?.total ?? 0) + w.mainUp.total,
      kind: p.kind, name: safeName(p.name) });
    return true;
  }

  /** @param {string} id @param {Work} w */
  async function upload(id, w) {
    const main = /** @type {FileUpload} */ (w.mainUp);
    const base = w.thumbUp?.total ?? 0;
    const total = base + main.total;
    const opts = (/** @type {number} */ before) => ({
      signal: w.abort.signal,
      onProgress: (/** @type {number} */ done) => dispatch({ type: 'progress', id, sent: before + done, total }),
      onRetry: (/** @type {ApiError} */ err) => { if (err.status === 0) dispatch({ type: 'waiting', id }); },
    });
    if (w.thumbUp && !w.thumbUp.complete) await w.thumbUp.run(opts(0));
    if (!main.complete) await main.run(opts(base));
    const ref = refOf(/** @type {Prepared} */ (w.prep), w);
    dispatch({ type: 'uploaded', id, ref });
    if (w.sent) finishSolo(id, w, ref);
  }

  /** A voice note goes by itself as soon as it is up. @param {string} id @param {Work} w @param {FileRef} ref */
  function finishSolo(id, w, ref) {
    const outcome = send(chatId, '', [ref]);
    if (!outcome.ok) {
      dispatch({ type: 'failed', id, error: outcome.error });
      w.sent?.reject(new Error(outcome.error));
      return;
    }
    w.sent?.resolve();
    forgetWork(id, false);
    dispatch({ type: 'removed', id });
  }

  /** Back online: the upload continues by itself. @param {string} id @param {Work} w */
  function waitOnline(id, w) {
    dispatch({ type: 'waiting', id });
    w.online = () => {
      w.online = undefined;
      if (work.get(id) === w) retry(id);
    };
    globalThis.addEventListener?.('online', w.online, { once: true });
  }

  /** @param {string} id */
  function schedule(id) {
    const w = work.get(id);
    if (!w) return;
    const prepared = w.prep ? Promise.resolve(true) : (queue = queue.then(() => prepare(id, w)));
    /** @param {unknown} ok whether it was prepared (and still wanted) @returns {Promise<unknown>} */
    const inTurn = (ok) => {
      if (!ok) return Promise.resolve(false);
      if (w.sent) return upload(id, w);
      const mine = uploads.then(() => (work.get(id) === w ? upload(id, w) : undefined));
      uploads = mine.catch(() => undefined);
      return mine;
    };
    prepared
      .then(inTurn)
      .catch((err) => {
        if (work.get(id) !== w || isAbort(err)) return;
        // Offline: it goes on by itself when the browser is back; online but unreachable
        // (the server restarting, say): Retry is the user's.
        if (offline(err) && w.prep && globalThis.navigator?.onLine === false) return waitOnline(id, w);
        dispatch({ type: 'failed', id, error: uploadError(err, say) });
      });
    // One file's failure does not hold up the next.
    queue = queue.catch(() => false);
  }

  /** @param {string} id */
  function retry(id) {
    const w = work.get(id);
    if (!w) return;
    if (w.online) globalThis.removeEventListener?.('online', w.online);
    w.online = undefined;
    w.abort = new AbortController();
    dispatch({ type: 'retrying', id });
    schedule(id);
  }

  /** @param {string} id @param {boolean} drop whether its uploads are dropped on the server too (not when a message took them) */
  function forgetWork(id, drop) {
    const w = work.get(id);
    if (!w) return;
    work.delete(id);
    w.abort.abort();
    if (w.online) globalThis.removeEventListener?.('online', w.online);
    if (w.preview) URL.revokeObjectURL(w.preview);
    if (drop) {
      w.thumbUp?.cancel();
      w.mainUp?.cancel();
      w.sent?.reject(new DOMException('Cancelled', 'AbortError'));
    }
  }

  /** @param {File[]} files @param {SendMeta} [meta] */
  function start(files, meta) {
    const items = files.map((file) => ({
      id: crypto.randomUUID(), name: safeName(file.name || 'file'), size: file.size, type: file.type,
      kind: meta?.kind ?? kindFor(file.type), solo: Boolean(meta), file,
    }));
    for (const i of items) work.set(i.id, { file: i.file, meta, abort: new AbortController() });
    if (items.length) dispatch({ type: 'added', items: items.map(({ file, ...rest }) => rest) });
    for (const i of items) schedule(i.id);
    return items;
  }

  return {
    getState: store.getState,
    subscribe: store.subscribe,

    /**
     * Starts preparing and uploading picked, pasted or dropped files; those beyond ten
     * per message are left out with a word saying so.
     * @param {Iterable<File>} files @returns {{ok: true} | {ok: false, error: string}}
     */
    add(files) {
      const all = [...files];
      const taken = all.slice(0, room(store.getState()));
      start(taken);
      if (all.length > taken.length) return { ok: false, error: `A message can carry at most ${MAX_FILES} files.` };
      return { ok: true };
    },

    /**
     * Uploads one file and sends it in a message of its own (a voice note).
     * @param {File} file @param {SendMeta} meta @returns {Promise<void>} once the message is handed to the sender
     */
    sendNow(file, meta) {
      return new Promise((resolve, reject) => {
        const [item] = start([file], meta);
        const w = work.get(item.id);
        if (w) w.sent = { resolve, reject };
      });
    },

    /** Continues a failed one where the server says it stopped. @param {string} id */
    retry,

    /** Cancels (or removes) one: its upload is dropped on the server. @param {string} id */
    remove(id) {
      forgetWork(id, true);
      dispatch({ type: 'removed', id });
    },

    /** The files a send may carry now, or why not yet. */
    take() {
      const ready = sendable(store.getState());
      if (!ready.ok) return ready;
      // The own message shows at once from the thumbnails made here.
      for (const a of store.getState()) {
        const w = work.get(a.id);
        if (w?.prep?.thumb && a.ref?.thumb) media.seedThumb(a.ref.thumb, w.prep.thumb);
      }
      return ready;
    },

    /** After the message with them was handed to the sender (its uploads are the message's now). */
    clear() {
      for (const a of store.getState()) if (!a.solo) forgetWork(a.id, false);
      dispatch({ type: 'cleared' });
    },

    dispose() {
      for (const id of [...work.keys()]) forgetWork(id, false);
    },
  };
}

/** @typedef {ReturnType<typeof createAttachments>} Attachments */

/** The shelf of the account signed in in this tab, for `sendAttachment`. @type {ReturnType<typeof createAttachmentShelf> | null} */
let active = null;

/**
 * The composers' attachments of one signed-in account.
 * @param {{media: Media, say: (err: unknown) => string, send: Send}} deps
 */
export function createAttachmentShelf(deps) {
  /** @type {Map<string, Attachments>} */
  const byChat = new Map();
  const shelf = {
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
      if (active === shelf) active = null;
    },
  };
  active = shelf;
  return shelf;
}

/**
 * Sends one file (a recorded voice note, say) into a chat as a message of its own:
 * uploaded with its progress in that chat's tray, then sent. Resolves once the message
 * is handed to the sender; rejects when the upload is refused or cancelled.
 * @param {string} chatId @param {File} file @param {SendMeta} meta
 * @returns {Promise<void>}
 */
export function sendAttachment(chatId, file, meta) {
  if (!active) return Promise.reject(new Error('Sign in to send files.'));
  return active.forChat(chatId).sendNow(file, meta);
}

/** @typedef {ReturnType<typeof createAttachmentShelf>} AttachmentShelf */
