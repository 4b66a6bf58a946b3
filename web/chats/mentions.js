// @ts-check
// Mentions in groups (docs/crypto.md, "Messages"): the text says `@username`, and the
// plaintext carries the mentioned members' ids in "mentions". The ids come from the
// text as it is sent, matched against the chat's members, so a mention the sender
// deleted from the text before sending is not sent. A receiver trusts the ids only
// for people who are members of the chat.

import { MAX_MENTIONS } from '../crypto/plaintext.js';

/** @typedef {import('./state.js').ChatEntry} ChatEntry */
/** @typedef {import('./state.js').Msg} Msg */
/** @typedef {{user_id: string, username: string}} Member */

// What may follow "@": a username's characters; anything else ends the mention.
const TOKEN = /(^|[^\w@])@([\w.-]+)/gu;

/**
 * The ids of the members a text mentions, in the order first mentioned, without the
 * sender and at most MAX_MENTIONS.
 * @param {string} text @param {Member[]} members @param {string | null} me
 * @returns {string[]}
 */
export function mentionIds(text, members, me) {
  const byName = new Map(members.map((m) => [m.username.toLowerCase(), m.user_id]));
  /** @type {string[]} */
  const ids = [];
  for (const found of text.matchAll(TOKEN)) {
    const id = byName.get(found[2].replace(/[.-]+$/, '').toLowerCase());
    if (id && id !== me && !ids.includes(id)) ids.push(id);
    if (ids.length >= MAX_MENTIONS) break;
  }
  return ids;
}

/**
 * What a message sent to a chat mentions: only a group's messages mention anyone.
 * @param {ChatEntry | undefined} entry @param {string} text @param {string | null} me
 */
export const groupMentions = (entry, text, me) => (entry?.chat.kind === 'group' ? mentionIds(text, entry.chat.members, me) : []);

/**
 * The mention being typed at the caret: where its "@" is and what follows it so far,
 * or null when the caret is not right after "@word" that starts a word.
 * @param {string} value @param {number} caret
 * @returns {{start: number, query: string} | null}
 */
export function mentionAt(value, caret) {
  const before = value.slice(0, caret);
  const found = /(^|\s)@([\w.-]*)$/u.exec(before);
  if (!found) return null;
  return { start: caret - found[2].length - 1, query: found[2] };
}

/**
 * The members a picker offers for what was typed after "@": names that start with it
 * first, then names that contain it; never oneself.
 * @param {Member[]} members @param {string} query @param {string | null} me
 * @returns {Member[]}
 */
export function candidates(members, query, me) {
  const q = query.toLowerCase();
  const others = members.filter((m) => m.user_id !== me);
  const starts = others.filter((m) => m.username.toLowerCase().startsWith(q));
  const contains = others.filter((m) => !starts.includes(m) && m.username.toLowerCase().includes(q));
  return [...starts, ...contains];
}

/**
 * The text after a pick: "@query" at `start` becomes "@username " and the caret goes
 * after it.
 * @param {string} value @param {{start: number, query: string}} at @param {string} username
 * @returns {{value: string, caret: number}}
 */
export function insertMention(value, at, username) {
  const end = at.start + 1 + at.query.length;
  const inserted = `@${username} `;
  const rest = value.slice(end).replace(/^ /, '');
  return { value: value.slice(0, at.start) + inserted + rest, caret: at.start + inserted.length };
}

/**
 * Whether a message mentions `me`, from someone else, in a chat I am a member of.
 * @param {Msg} m @param {ChatEntry} entry @param {string | null} me
 */
export function mentionsMe(m, entry, me) {
  if (!me || m.sender === me || m.deleted || m.body?.status !== 'ok') return false;
  const ids = /** @type {{mentions?: string[]}} */ (m.body).mentions;
  return Boolean(ids?.includes(me)) && entry.chat.members.some((x) => x.user_id === me);
}

/** Whether a chat holds an unread message that mentions `me`. @param {ChatEntry} entry @param {string | null} me */
export function unreadMention(entry, me) {
  const read = entry.chat.last_read_seq ?? 0;
  return entry.messages.some((m) => m.seq > read && mentionsMe(m, entry, me));
}

/**
 * A text cut where it says "@name": the parts to highlight.
 * @param {string} text @param {string} name
 * @returns {{text: string, hit: boolean}[]}
 */
export function mentionParts(text, name) {
  /** @type {{text: string, hit: boolean}[]} */
  const out = [];
  let at = 0;
  const want = name.toLowerCase();
  for (const found of text.matchAll(TOKEN)) {
    const token = found[2].replace(/[.-]+$/, '');
    if (token.toLowerCase() !== want) continue;
    const start = /** @type {number} */ (found.index) + found[1].length;
    const end = start + 1 + token.length;
    if (start > at) out.push({ text: text.slice(at, start), hit: false });
    out.push({ text: text.slice(start, end), hit: true });
    at = end;
  }
  if (at < text.length) out.push({ text: text.slice(at), hit: false });
  return out;
}
