// @ts-check
// One entry of the message view: a message bubble, a centred system line or a day
// separator. Message text is only ever a text node; a message whose signature fails
// shows a warning in its place and never the text.

import { bodyText, clockTime } from './format.js';
import { fullDate } from '../core/format.js';
import { countdown } from '../expiry/countdown.js';
import { h } from '../ui/dom.js';
import { linkify } from './links.js';
import { mentionParts } from './mentions.js';

/** @typedef {import('./state.js').Msg} Msg */
/** @typedef {import('./state.js').Pending} Pending */
/** @typedef {import('../crypto/plaintext.js').ImageRef} ImageRef */
/** @typedef {import('../crypto/file-ref.js').FileRef} FileRef */

/**
 * What a row shows, computed by the view: rows whose inputs did not change keep their
 * element, so a new message does not redraw (or lose the focus of) the others.
 * @typedef {{kind: 'day', key: string, at: number, label: string}
 *   | {kind: 'system', key: string, msg: Msg, text: string}
 *   | {kind: 'msg', key: string, msg: Msg, own: boolean, sender: string | null, state: string, quote: Quote | null,
 *      edit?: Msg | null, chips?: import('../reactions/chips.js').ChipView[], mention?: string | null}
 *   | {kind: 'pending', key: string, pending: Pending, quote: Quote | null}} Row
 */
/** @typedef {import('./quote.js').Quote} Quote */

/** "Forwarded", then the quote of what it replies to, at the top of the bubble.
 * @param {boolean} forwarded @param {Quote | null} quote @param {RowActions} actions
 */
const head = (forwarded, quote, actions) => [
  forwarded ? h('p', { class: 'msg-forwarded' }, 'Forwarded') : null,
  quote && actions.quote ? actions.quote(quote) : null,
];

/**
 * @typedef {object} RowActions
 * @property {(msg: Msg, opener: HTMLElement) => void} menu   opens the message's actions menu (actions-menu.js)
 * @property {(id: string) => void} retry
 * @property {(id: string) => void} discard
 * @property {(images: ImageRef[]) => HTMLElement} [images]  the thumbnails of a message (the older form)
 * @property {(files: FileRef[]) => HTMLElement} [files]  its files: images, videos, voice notes, cards
 * @property {(quote: Quote) => HTMLElement} [quote]  the quote of the message a reply answers
 * @property {(row: Extract<Row, {kind: 'msg'}>) => HTMLElement | null} [reactions]  the chips under it
 */

/** @param {number} at */
const time = (at) => h('time', { class: 'msg-time', datetime: new Date(at).toISOString(), title: fullDate(at) }, clockTime(at));

/**
 * A text with "@me" marked when it mentions me (chats/mentions.js), and its http(s)
 * links made links when `links` (only in what a sender wrote, never in this client's
 * own notes).
 * @param {string} text @param {string | null | undefined} name @param {boolean} links
 * @returns {(string | HTMLElement)[]}
 */
const rich = (text, name, links) => (name ? mentionParts(text, name) : [{ text, hit: false }])
  .flatMap((p) => (p.hit ? [h('mark', { class: 'mention' }, p.text)] : links ? linkify(p.text) : [p.text]));

/** @param {Row} row @param {RowActions} actions @returns {HTMLElement} */
export function buildRow(row, actions) {
  switch (row.kind) {
    case 'day':
      return h('li', { class: 'day-separator' }, h('span', null, row.label));
    case 'system':
      return h('li', { class: 'system-line' }, h('span', null, row.text), ' ', time(row.msg.created_at));
    case 'pending': {
      const p = row.pending;
      const failed = p.status === 'failed';
      return h('li', { class: `msg own${failed ? ' failed' : ''}`, 'data-id': p.id },
        h('div', { class: 'bubble' },
          head(Boolean(p.extra?.forwarded), row.quote, actions),
          p.files?.length && actions.files ? actions.files(p.files) : null,
          p.text.trim() || !p.files?.length ? h('p', { class: 'msg-text' }, linkify(p.text)) : null,
          h('p', { class: 'msg-meta' }, time(p.at), ' ', h('span', { class: 'msg-state' }, failed ? 'Failed' : 'Sending…'))),
        failed ? h('div', { class: 'msg-failed', role: 'alert' },
          h('span', null, p.error ?? 'Not sent.'), ' ',
          h('button', { type: 'button', class: 'link', onclick: () => actions.retry(p.id) }, 'Retry'), ' ',
          h('button', { type: 'button', class: 'link', onclick: () => actions.discard(p.id) }, 'Discard')) : null);
    }
    default: {
      // The latest edit's content, in the message's own place (web/reactions/state.js).
      const m = row.edit?.body && !row.msg.deleted ? { ...row.msg, body: row.edit.body } : row.msg;
      const edited = !m.deleted && Boolean(row.edit || m.edited);
      const status = m.deleted ? 'deleted' : m.body?.status ?? 'opening';
      const problem = status === 'unverified' || status === 'unreadable' || status === 'unsupported';
      const images = m.body?.status === 'ok' && !m.deleted ? m.body.images ?? [] : [];
      const files = m.body?.status === 'ok' && !m.deleted ? m.body.files ?? [] : [];
      // A caption is optional: an image or a file alone has no text line under it.
      const shown = (images.length || files.length) && m.body?.status === 'ok' ? m.body.text : bodyText(m);
      // Links only in what the sender wrote, never in this client's own notes.
      const text = shown ? h('p', { class: `msg-text${m.deleted ? ' tombstone' : ''}${problem ? ' msg-warning' : ''}`,
        role: problem ? 'note' : null }, rich(shown, row.mention, m.body?.status === 'ok' && !m.deleted)) : null;
      const menu = h('button', { type: 'button', class: 'msg-action', 'aria-label': 'Message actions', title: 'Actions',
        'aria-haspopup': 'menu', onclick: () => actions.menu(m, menu) }, '⋯');
      // Focusable from the list's arrow keys (message-keys.js), not a Tab stop of its own.
      return h('li', { class: `msg ${row.own ? 'own' : 'theirs'}${row.mention ? ' mentions-me' : ''}`, 'data-id': m.id, 'data-seq': m.seq,
        tabindex: m.deleted ? null : -1 },
        row.sender ? h('p', { class: 'msg-sender' }, row.sender) : null,
        h('div', { class: 'bubble' },
          head(m.body?.status === 'ok' && !m.deleted && Boolean(m.body.forwarded), row.quote, actions),
          images.length && actions.images ? actions.images(images) : null,
          files.length && actions.files ? actions.files(files) : null,
          text,
          h('p', { class: 'msg-meta' }, m.expires_at && !m.deleted ? [countdown(m.expires_at), ' '] : null,
            edited ? [h('span', { class: 'msg-edited' }, 'edited'), ' '] : null,
            time(m.created_at), row.state ? ' ' : null,
            row.state ? h('span', { class: 'msg-state' }, row.state) : null)),
        m.deleted ? null : menu,
        m.deleted || !actions.reactions ? null : actions.reactions(row));
    }
  }
}
