// @ts-check
// Matching that ignores case and accents: both sides are NFKD-decomposed, their
// combining marks dropped and lower-cased, so "cafe" finds "Café" and "ﬁle" finds
// "file". The folded text keeps a map back to the original, so what is highlighted is
// exactly what the sender wrote. Pure functions: nothing here is stored anywhere.

/** @typedef {{start: number, end: number}} Range  [start, end) in the original string */

const MARKS = /\p{M}/gu;

/**
 * The folded text, and for each of its UTF-16 units the index of the original unit it
 * came from (plus one entry past the end, for the end of a match).
 * @param {string} text @returns {{folded: string, map: number[]}}
 */
export function foldWithMap(text) {
  let folded = '';
  /** @type {number[]} */
  const map = [];
  let i = 0;
  for (const ch of text) {
    const f = ch.normalize('NFKD').replace(MARKS, '').toLowerCase();
    for (let k = 0; k < f.length; k++) map.push(i);
    folded += f;
    i += ch.length;
  }
  map.push(text.length);
  return { folded, map };
}

/** @param {string} text */
export const fold = (text) => foldWithMap(text).folded;

/** The words of a query, folded; empty when there is nothing to look for. @param {string} query */
export const queryWords = (query) => fold(query).split(/\s+/).filter(Boolean);

/**
 * Where the words of a query occur in a text: every occurrence of each, sorted, or null
 * unless every word occurs at least once.
 * @param {string} text @param {string[]} words from queryWords
 * @returns {Range[] | null}
 */
export function matchRanges(text, words) {
  if (words.length === 0 || !text) return null;
  const { folded, map } = foldWithMap(text);
  /** @type {Range[]} */
  const ranges = [];
  for (const word of words) {
    let at = folded.indexOf(word);
    if (at < 0) return null;
    while (at >= 0) {
      const end = at + word.length;
      // An original character folded into several (a ligature) ends after all of it.
      const last = map[end - 1];
      ranges.push({ start: map[at], end: Math.max(map[end], last + 1) });
      at = folded.indexOf(word, end);
    }
  }
  ranges.sort((a, b) => a.start - b.start || b.end - a.end);
  /** @type {Range[]} */
  const merged = [];
  for (const r of ranges) {
    const prev = merged[merged.length - 1];
    if (prev && r.start <= prev.end) prev.end = Math.max(prev.end, r.end);
    else merged.push({ ...r });
  }
  return merged;
}

/**
 * A text cut into plain and highlighted parts.
 * @param {string} text @param {Range[]} ranges sorted, not overlapping
 * @returns {{text: string, hit: boolean}[]}
 */
export function parts(text, ranges) {
  /** @type {{text: string, hit: boolean}[]} */
  const out = [];
  let at = 0;
  for (const r of ranges) {
    if (r.start > at) out.push({ text: text.slice(at, r.start), hit: false });
    out.push({ text: text.slice(r.start, r.end), hit: true });
    at = r.end;
  }
  if (at < text.length) out.push({ text: text.slice(at), hit: false });
  return out;
}

/**
 * The words around the first match, for a result line: about `width` characters
 * either side, cut at a space where one is near, with "…" where text was left out.
 * Line breaks become spaces.
 * @param {string} text @param {Range[]} ranges @param {number} [width]
 * @returns {{text: string, hit: boolean}[]}
 */
export function snippet(text, ranges, width = 40) {
  const flat = text.replace(/\s/g, ' ');
  const first = ranges[0];
  if (!first) return flat ? [{ text: flat.slice(0, 2 * width), hit: false }] : [];
  let from = Math.max(0, first.start - width);
  let to = Math.min(flat.length, first.end + width);
  if (from > 0) {
    const space = flat.indexOf(' ', from);
    if (space >= 0 && space < first.start) from = space + 1;
  }
  if (to < flat.length) {
    const space = flat.lastIndexOf(' ', to);
    if (space >= first.end) to = space;
  }
  const inside = ranges.filter((r) => r.start >= from && r.end <= to)
    .map((r) => ({ start: r.start - from, end: r.end - from }));
  const out = parts(flat.slice(from, to), inside);
  if (from > 0) out.unshift({ text: '…', hit: false });
  if (to < flat.length) out.push({ text: '…', hit: false });
  return out;
}
