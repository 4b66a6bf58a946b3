// @ts-check
// The images waiting in a chat's composer, each on its way from the picked file to an
// encrypted upload: preparing (re-encoded here), uploading (with progress), ready, or
// failed (with the reason, and a retry that needs no new pick). Pure, so the rules of
// what may be sent when are tested in Node.

import { MAX_IMAGES } from '../crypto/plaintext.js';

/** @typedef {import('../crypto/plaintext.js').ImageRef} ImageRef */

/**
 * @typedef {object} Attachment
 * @property {string} id          local only
 * @property {string} name        the file's name, for labels
 * @property {'preparing' | 'uploading' | 'ready' | 'failed'} status
 * @property {number} sent        bytes uploaded so far
 * @property {number} total       bytes to upload (image and thumbnail, encrypted)
 * @property {string | null} error
 * @property {string | null} preview  a blob: URL of the local thumbnail
 * @property {ImageRef | null} ref    what the message carries, once both blobs are up
 */

/**
 * @typedef {{type: 'added', items: {id: string, name: string}[]}
 *   | {type: 'prepared', id: string, preview: string, total: number}
 *   | {type: 'progress', id: string, sent: number, total?: number}
 *   | {type: 'uploaded', id: string, ref: ImageRef}
 *   | {type: 'failed', id: string, error: string}
 *   | {type: 'retrying', id: string}
 *   | {type: 'removed', id: string}
 *   | {type: 'cleared'}} AttachEvent
 */

// Never changed in place: the reducer always makes a new list.
export const noAttachments = /** @type {Attachment[]} */ ([]);

/** How many more may be picked. @param {Attachment[]} items */
export const room = (items) => Math.max(0, MAX_IMAGES - items.length);

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

/** @param {Attachment[]} items @param {AttachEvent} event @returns {Attachment[]} */
export function reduceAttachments(items, event) {
  switch (event.type) {
    case 'added': {
      const fresh = event.items.slice(0, room(items)).map((i) => ({
        id: i.id, name: i.name, status: /** @type {const} */ ('preparing'), sent: 0, total: 0, error: null, preview: null, ref: null,
      }));
      return fresh.length ? [...items, ...fresh] : items;
    }
    case 'prepared':
      return update(items, event.id, (a) => ({ ...a, status: 'uploading', preview: event.preview, total: event.total, sent: 0 }));
    case 'progress':
      return update(items, event.id, (a) => (a.status !== 'uploading' ? a
        : { ...a, sent: Math.min(event.sent, event.total ?? a.total), total: event.total ?? a.total }));
    case 'uploaded':
      return update(items, event.id, (a) => ({ ...a, status: 'ready', sent: a.total, error: null, ref: event.ref }));
    case 'failed':
      return update(items, event.id, (a) => ({ ...a, status: 'failed', error: event.error }));
    case 'retrying':
      return update(items, event.id, (a) => (a.status !== 'failed' ? a
        : { ...a, status: a.preview ? 'uploading' : 'preparing', error: null }));
    case 'removed': {
      const next = items.filter((a) => a.id !== event.id);
      return next.length === items.length ? items : next;
    }
    case 'cleared':
      return items.length ? noAttachments : items;
    default:
      return items;
  }
}

/**
 * What a send may take: every image uploaded, or a sentence saying why not yet.
 * @param {Attachment[]} items
 * @returns {{ok: true, images: ImageRef[]} | {ok: false, error: string}}
 */
export function sendable(items) {
  if (items.some((a) => a.status === 'failed')) {
    return { ok: false, error: 'An image could not be uploaded. Retry it or remove it first.' };
  }
  if (items.some((a) => a.status !== 'ready' || !a.ref)) {
    return { ok: false, error: 'The images are still uploading. Send again when they are done.' };
  }
  return { ok: true, images: items.map((a) => /** @type {ImageRef} */ (a.ref)) };
}

/** "Preparing…", "Uploading 42%", "Ready", or the error. @param {Attachment} a */
export function statusText(a) {
  switch (a.status) {
    case 'preparing': return 'Preparing…';
    case 'uploading': return `Uploading ${a.total ? Math.floor((100 * a.sent) / a.total) : 0}%`;
    case 'ready': return 'Ready';
    default: return a.error ?? 'Not uploaded.';
  }
}
