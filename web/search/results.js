// @ts-check
// Messages in the Ctrl+K switcher: what was typed is also looked for in every chat's
// decrypted messages; each result says which chat, who and when, and shows the
// matching words in their context.

import { chatTitle, personName } from '../chats/format.js';
import { h } from '../ui/dom.js';
import { searchAll } from './find.js';
import { snippet } from './fold.js';

/** @typedef {import('../core/state.js').State} State */

/**
 * @typedef {{chatId: string, id: string, chat: string, sender: string, at: number,
 *   parts: {text: string, hit: boolean}[]}} MessageResult
 */

// Fewer than two characters match nearly everything: the chat names are enough then.
const MIN_QUERY = 2;

/**
 * @param {State} state @param {string} query @param {number} [limit]
 * @returns {MessageResult[]} newest first
 */
export function messageResults(state, query, limit = 30) {
  if (query.trim().length < MIN_QUERY) return [];
  const me = state.me?.user_id ?? null;
  const contacts = state.people.contacts;
  return searchAll(state.chats, query, limit).flatMap((hit) => {
    const e = state.chats.byId[hit.chatId];
    if (!e) return [];
    return [{
      chatId: hit.chatId, id: hit.id, chat: chatTitle(e, me, contacts), at: hit.at,
      sender: hit.sender === me ? 'You' : personName(e, hit.sender, contacts),
      parts: snippet(hit.text, hit.ranges),
    }];
  });
}

/** @param {number} at */
const when = (at) => new Date(at).toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });

/** The inside of one result's option. @param {MessageResult} r */
export const resultContent = (r) => [
  h('span', { class: 'result-head' },
    h('span', { class: 'result-chat' }, r.chat), ' ',
    h('span', { class: 'result-meta muted' }, `${r.sender}, `, h('time', { datetime: new Date(r.at).toISOString() }, when(r.at)))),
  h('span', { class: 'result-text' }, r.parts.map((p) => (p.hit ? h('mark', null, p.text) : p.text))),
];
