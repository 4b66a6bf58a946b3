// @ts-check
// The quote above a reply. Its sender, first line and thumbnail come from this
// browser's own copy of the original (docs/crypto.md, "Messages"): a reply carries only
// the original's id. When that copy is gone (expired, deleted, hidden here, from before
// this person joined) the quote says so and shows nothing of the original.

import { filesText, isHidden, personName } from './format.js';
import { h } from '../ui/dom.js';

/** @typedef {import('./state.js').Msg} Msg */
/** @typedef {import('./state.js').ChatEntry} ChatEntry */
/** @typedef {import('./state.js').Chats} Chats */
/** @typedef {import('../crypto/file-ref.js').FileRef} FileRef */
/** @typedef {import('../crypto/plaintext.js').ImageRef} ImageRef */

/**
 * `older`: not among the messages loaded here, but earlier history is still to page in.
 * @typedef {{id: string, missing: true, older?: true} | {id: string, missing: false, msg: Msg, sender: string, text: string,
 *   thumb: ImageRef | FileRef | null}} Quote
 */

// A quote shows one line; a very long first line is cut here (CSS ellipsizes the rest).
const MAX_QUOTE_CHARS = 160;

/**
 * What a message's first line says, or what it carries when it has no text.
 * @param {{text: string, images?: ImageRef[], files?: FileRef[]}} body
 */
export function summary(body) {
  const line = body.text.split('\n').find((l) => l.trim()) ?? '';
  if (line) return [...line.trim()].slice(0, MAX_QUOTE_CHARS).join('');
  if (body.images?.length) return body.images.length === 1 ? 'Photo' : `${body.images.length} photos`;
  return filesText(body.files ?? []);
}

/**
 * The original a reply names, as this browser has it.
 * @param {ChatEntry} entry @param {Chats} chats @param {string} id
 * @param {import('../core/api.js').Contact[]} contacts @param {string | null} me
 * @returns {Quote}
 */
export function quoteOf(entry, chats, id, contacts, me) {
  const msg = entry.messages.find((m) => m.id === id);
  // Not loaded yet is not gone: the quote offers to fetch earlier history.
  if (!msg && entry.hasOlder) return { id, missing: true, older: true };
  const body = msg?.body;
  if (!msg || msg.deleted || msg.kind !== 'message' || body?.status !== 'ok' || isHidden(chats, entry.chat.id, id)) {
    return { id, missing: true };
  }
  const thumb = [...(body.images ?? []), ...(body.files ?? [])].find((f) => f.thumb && f.thumb_key) ?? null;
  return { id, missing: false, msg, sender: msg.sender === me ? 'You' : personName(entry, msg.sender, contacts),
    text: summary(body), thumb };
}

/**
 * @param {Quote} q
 * @param {{jump: (id: string) => void, thumb?: (ref: ImageRef | FileRef) => Promise<string>}} p
 */
export function quoteView(q, { jump, thumb }) {
  if (q.missing && q.older) {
    return h('button', { type: 'button', class: 'quote missing', onclick: () => jump(q.id) }, 'Earlier message: show it');
  }
  if (q.missing) return h('p', { class: 'quote missing' }, 'Message not available');
  const img = q.thumb && thumb ? h('img', { class: 'quote-thumb', alt: '' }) : null;
  if (img && q.thumb && thumb) thumb(q.thumb).then((url) => { img.src = url; }, () => img.remove());
  return h('button', { type: 'button', class: 'quote', title: 'Show the message', onclick: () => jump(q.id) },
    img, h('span', { class: 'quote-text' }, h('span', { class: 'visually-hidden' }, 'In reply to '),
      h('strong', null, q.sender), h('span', null, q.text)));
}

/**
 * What the composer shows while a reply is being written: the quote and a ✕.
 * @param {Quote} q @param {{cancel: () => void, thumb?: (ref: ImageRef | FileRef) => Promise<string>}} p
 */
export function replyBar(q, { cancel, thumb }) {
  if (q.missing) return null;
  const img = q.thumb && thumb ? h('img', { class: 'quote-thumb', alt: '' }) : null;
  if (img && q.thumb && thumb) thumb(q.thumb).then((url) => { img.src = url; }, () => img.remove());
  return h('div', { class: 'reply-bar', role: 'group', 'aria-label': `Replying to ${q.sender}` },
    img,
    h('span', { class: 'quote-text' }, h('strong', null, `Replying to ${q.sender}`), h('span', null, q.text)),
    h('button', { type: 'button', class: 'msg-action reply-cancel', 'aria-label': 'Cancel reply', title: 'Cancel reply (Esc)',
      onclick: cancel }, '✕'));
}
