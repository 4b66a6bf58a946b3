// @ts-check
// Searching what this browser has decrypted: a message's text and its files' names,
// in one chat or in all of them. Runs over the state in memory only; no index is
// built, kept or written anywhere (all of 72 hours of messages fit in memory).

import { matchRanges, queryWords } from './fold.js';
import { isHidden } from '../chats/format.js';

/** @typedef {import('../chats/state.js').Msg} Msg */
/** @typedef {import('../chats/state.js').ChatEntry} ChatEntry */
/** @typedef {import('../chats/state.js').Chats} Chats */
/** @typedef {import('./fold.js').Range} Range */

/**
 * What of a message can be searched: its text, then its files' names, one a line.
 * Nothing for a deleted, unreadable or not yet opened message.
 * @param {Msg} m @returns {string}
 */
export function searchableText(m) {
  if (m.deleted || m.kind !== 'message' || m.body?.status !== 'ok') return '';
  const names = (m.body.files ?? []).map((f) => f.name);
  return [m.body.text, ...names].filter(Boolean).join('\n');
}

/** @typedef {{chatId: string, id: string, seq: number, sender: string | null, at: number, text: string, ranges: Range[]}} Hit */

/**
 * The messages of a chat that match, oldest first.
 * @param {ChatEntry} entry @param {Chats} chats @param {string} query
 * @returns {Hit[]}
 */
export function searchChat(entry, chats, query) {
  const words = queryWords(query);
  if (words.length === 0) return [];
  /** @type {Hit[]} */
  const hits = [];
  for (const m of entry.messages) {
    if (isHidden(chats, entry.chat.id, m.id)) continue;
    const text = searchableText(m);
    const ranges = matchRanges(text, words);
    if (ranges) hits.push({ chatId: entry.chat.id, id: m.id, seq: m.seq, sender: m.sender, at: m.created_at, text, ranges });
  }
  return hits;
}

/**
 * Matches in every chat, newest first, at most `limit` of them.
 * @param {Chats} chats @param {string} query @param {number} [limit]
 * @returns {Hit[]}
 */
export function searchAll(chats, query, limit = 50) {
  const all = Object.values(chats.byId).flatMap((e) => searchChat(e, chats, query));
  return all.sort((a, b) => b.at - a.at).slice(0, limit);
}

/** Whether some chat may still hold older messages than the ones loaded. @param {Chats} chats */
export const olderToLoad = (chats) => Object.values(chats.byId).filter((e) => e.hasOlder || e.top === null);
