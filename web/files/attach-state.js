// @ts-check
// The files waiting in a chat's composer, each on its way from the picked file to an
// encrypted, resumable upload: preparing (an image re-encoded, a video's poster drawn),
// uploading (with progress), waiting (the connection dropped: it goes on by itself when
// the browser is back online), ready, or failed (with the reason, and a retry that
// continues where it stopped). A `solo` file (a voice note) is sent on its own as soon
// as it is up and never joins the composer's message. Pure, so the rules of what may
// be sent when are tested in Node.

import { MAX_FILES } from '../crypto/file-ref.js';

/** @typedef {import('../crypto/file-ref.js').FileRef} FileRef */
/** @typedef {import('../crypto/file-ref.js').FileKind} FileKind */

/**
 * @typedef {object} Attachment
 * @property {string} id          local only
 * @property {string} name        the file's name, for labels
 * @property {number} size        the picked file's bytes
 * @property {string} type        its MIME type ('' when the browser does not know)
 * @property {FileKind} kind
 * @property {boolean} solo       sent by itself once uploaded (voice notes)
 * @property {'preparing' | 'uploading' | 'waiting' | 'ready' | 'failed'} status
 * @property {number} sent        bytes uploaded so far
 * @property {number} total       bytes to upload (the file and its thumbnail, encrypted)
 * @property {string | null} error
 * @property {string | null} preview  a blob: URL of the local thumbnail or poster
 * @property {FileRef | null} ref    what the message carries, once every blob is up
 */

/** @typedef {{id: string, name: string, size: number, type: string, kind: FileKind, solo?: boolean}} NewItem */

/**
 * @typedef {{type: 'added', items: NewItem[]}
 *   | {type: 'prepared', id: string, preview: string | null, total: number, kind?: FileKind, name?: string}
 *   | {type: 'progress', id: string, sent: number, total?: number}
 *   | {type: 'waiting', id: string}
 *   | {type: 'uploaded', id: string, ref: FileRef}
 *   | {type: 'failed', id: string, error: string}
 *   | {type: 'retrying', id: string}
 *   | {type: 'removed', id: string}
 *   | {type: 'cleared'}} AttachEvent
 */

// Never changed in place: the reducer always makes a new list.
export const noAttachments = /** @type {Attachment[]} */ ([]);

/** How many more may be picked for the next message. @param {Attachment[]} items */
export const room = (items) => Math.max(0, MAX_FILES - items.filter((a) => !a.solo).length);

/** @param {Attachment[]} items @param {string} id @param {(a: Attachment) => Attachment} fn */
function update(items, id, fn) {
  let changed = false;
  const next = items.map((a) => {
    if (a.id !== id) return a;
    const b = fn(a);
    if (b !== a) changed = true;
    return b;
  });
  return changed ? next : items;
}

/** @param {Attachment[]} items @param {NewItem[]} added */
function add(items, added) {
  let free = room(items);
  /** @type {Attachment[]} */
  const fresh = [];
  for (const i of added) {
    if (!i.solo && free-- <= 0) continue;
    fresh.push({ id: i.id, name: i.name, size: i.size, type: i.type, kind: i.kind, solo: Boolean(i.solo),
      status: 'preparing', sent: 0, total: 0, error: null, preview: null, ref: null });
  }
  return fresh.length ? [...items, ...fresh] : items;
}

const moving = (/** @type {Attachment} */ a) => a.status === 'uploading' || a.status === 'waiting';

/** @param {Attachment[]} items @param {AttachEvent} event @returns {Attachment[]} */
export function reduceAttachments(items, event) {
  switch (event.type) {
    case 'added':
      return add(items, event.items);
    case 'prepared':
      return update(items, event.id, (a) => ({ ...a, status: 'uploading', preview: event.preview, total: event.total, sent: 0,
        kind: event.kind ?? a.kind, name: event.name ?? a.name }));
    case 'progress':
      return update(items, event.id, (a) => (!moving(a) ? a
        : { ...a, status: 'uploading', sent: Math.min(event.sent, event.total ?? a.total), total: event.total ?? a.total }));
    case 'waiting':
      return update(items, event.id, (a) => (a.status === 'uploading' || a.status === 'failed' ? { ...a, status: 'waiting', error: null } : a));
    case 'uploaded':
      return update(items, event.id, (a) => ({ ...a, status: 'ready', sent: a.total, error: null, ref: event.ref }));
    case 'failed':
      return update(items, event.id, (a) => ({ ...a, status: 'failed', error: event.error }));
    case 'retrying':
      return update(items, event.id, (a) => (a.status !== 'failed' && a.status !== 'waiting' ? a
        : { ...a, status: a.total ? 'uploading' : 'preparing', error: null }));
    case 'removed': {
      const next = items.filter((a) => a.id !== event.id);
      return next.length === items.length ? items : next;
    }
    case 'cleared': {
      // Voice notes on their way go on: they were never part of the composer's message.
      const next = items.filter((a) => a.solo);
      return next.length === items.length ? items : next;
    }
    default:
      return items;
  }
}

/**
 * What a send may take: every file of the composer uploaded, or a sentence saying why not yet.
 * @param {Attachment[]} items
 * @returns {{ok: true, files: FileRef[]} | {ok: false, error: string}}
 */
export function sendable(items) {
  const mine = items.filter((a) => !a.solo);
  if (mine.some((a) => a.status === 'failed')) {
    return { ok: false, error: 'A file could not be uploaded. Retry it or remove it first.' };
  }
  if (mine.some((a) => a.status !== 'ready' || !a.ref)) {
    return { ok: false, error: 'The files are still uploading. Send again when they are done.' };
  }
  return { ok: true, files: mine.map((a) => /** @type {FileRef} */ (a.ref)) };
}

/** "Preparing…", "Uploading 42%", "Waiting for the connection…", "Ready", or the error. @param {Attachment} a */
export function statusText(a) {
  switch (a.status) {
    case 'preparing': return 'Preparing…';
    case 'uploading': return `Uploading ${percent(a.sent, a.total)}%`;
    case 'waiting': return `Paused at ${percent(a.sent, a.total)}%: waiting for the connection…`;
    case 'ready': return 'Ready';
    default: return a.error ?? 'Not uploaded.';
  }
}

/** @param {number} done @param {number} total */
export const percent = (done, total) => (total > 0 ? Math.min(100, Math.floor((100 * done) / total)) : 0);
