// @ts-check
// Emoji lookups over the vendored data (emoji-data.js, from scripts/vendor-emoji): the
// quick row, shortcodes (`+:thumbsup:`) and search by name. Pure.

import { EMOJI, EMOJI_GROUPS } from './emoji-data.js';

/** The quick row of reactions, first in the menu and the picker. */
export const QUICK = Object.freeze(['👍', '❤️', '😂', '😮', '😢', '🙏']);

/** @typedef {{emoji: string, name: string, group: number, codes: string[]}} Emoji */

/** @type {Emoji[]} */
export const ALL = EMOJI.map(([emoji, name, group, codes]) => ({ emoji, name, group, codes: codes ? codes.split(' ') : [] }));
export const GROUPS = EMOJI_GROUPS;

/** @type {Map<string, Emoji>} */
const byCode = new Map();
for (const e of ALL) for (const c of e.codes) if (!byCode.has(c)) byCode.set(c, e);
/** @type {Map<string, Emoji>} */
const byEmoji = new Map(ALL.map((e) => [e.emoji, e]));

/** @param {string} code without colons @returns {string | null} */
export const emojiByShortcode = (code) => byCode.get(code.toLowerCase())?.emoji ?? null;

/** A name for an emoji, for screen readers and tooltips. @param {string} emoji */
export const emojiName = (emoji) => byEmoji.get(emoji)?.name ?? byEmoji.get(emoji.replace(/\uFE0F/g, ''))?.name ?? emoji;

/**
 * `+:shortcode:` alone in the composer means "react to the latest message with it".
 * @param {string} text @returns {string | null} the emoji, or null when the text is a message
 */
export function reactCommand(text) {
  const m = /^\+:([a-z0-9_+-]+):$/i.exec(text.trim());
  return m ? emojiByShortcode(m[1]) : null;
}

/**
 * Emoji whose name or a shortcode holds every word of the query; names starting with
 * the query first.
 * @param {string} query @param {number} [limit] @returns {Emoji[]}
 */
export function searchEmoji(query, limit = 200) {
  const words = query.toLowerCase().replace(/:/g, ' ').split(/\s+/).filter(Boolean);
  if (words.length === 0) return [];
  const hits = ALL.filter((e) => words.every((w) => e.name.includes(w) || e.codes.some((c) => c.includes(w))));
  const first = words[0];
  const rank = (/** @type {Emoji} */ e) => (e.name.startsWith(first) || e.codes.includes(first) ? 0 : 1);
  return hits.sort((a, b) => rank(a) - rank(b)).slice(0, limit);
}
