// @ts-check
// Markdown for the assistant's replies, built as DOM with h() and never parsed as HTML:
// whatever a model writes (raw HTML, script links, odd nesting) can only become text or
// one of the few elements made here. Two steps: parseMarkdown() makes a small tree
// (pure, tested in Node); renderMarkdown() turns it into elements. The grammar is the
// everyday subset models use: paragraphs (a single newline is a line break, as in
// chat), **bold**, *italic*, ~~struck~~, `code`, fenced code, lists, quotes, headings,
// rules and links. Links are made only for http(s) URLs; anything else stays text.

import { h } from '../ui/dom.js';
import { guardLink } from '../chats/links.js';

/**
 * @typedef {{t: 'text', v: string} | {t: 'br'} | {t: 'code', v: string}
 *   | {t: 'strong' | 'em' | 'del', c: Inline[]} | {t: 'link', href: string, c: Inline[]}} Inline
 */
/**
 * @typedef {{t: 'p', c: Inline[]} | {t: 'h', level: number, c: Inline[]} | {t: 'pre', lang: string, v: string}
 *   | {t: 'list', ordered: boolean, start: number, items: Block[][]} | {t: 'quote', c: Block[]} | {t: 'hr'}} Block
 */

// Deeper nesting than this is shown flat: it is never meaningful in a reply, and it
// keeps a hostile "> > > > …" or "- - - - …" from recursing without end.
const MAX_BLOCK_DEPTH = 8;
const MAX_INLINE_DEPTH = 8;
// How far an opening "*", "[" or "(" looks for its partner. Longer spans are not meant
// as markup, and the bound keeps a reply full of unmatched delimiters linear to parse
// (it is parsed again as every token streams in).
const MAX_SPAN = 4_000;

const FENCE = /^ {0,3}(`{3,}|~{3,})[ \t]*([^\s`]*)[^`]*$/;
const HEADING = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const RULE = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const QUOTE = /^ {0,3}>[ \t]?(.*)$/;
const ITEM = /^( *)([-*+]|\d{1,9}[.)])(?:[ \t]+(.*))?$/;
const ESCAPABLE = /[\\`*_{}[\]()#+\-.!~<>|"']/;

/**
 * Whether a line is a URL the page may link to, and its normalized form. `new URL`
 * also drops the tabs and newlines some tricks hide in "java\tscript:".
 * @param {string} raw @returns {string | null}
 */
export function safeUrl(raw) {
  const text = raw.trim();
  if (!text || /[\s\u0000-\u001f\u007f]/.test(text)) return null;
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

/** @param {string} line */
const indentOf = (line) => line.length - line.trimStart().length;
/** @param {string} line */
const blank = (line) => line.trim() === '';

/** Whether a line starts a block of its own (so a paragraph ends before it). @param {string} line @param {number} depth */
function startsBlock(line, depth) {
  if (FENCE.test(line) || HEADING.test(line) || RULE.test(line)) return true;
  if (depth >= MAX_BLOCK_DEPTH) return false;
  if (QUOTE.test(line)) return true;
  const item = ITEM.exec(line);
  // Only "1." starts a list inside a paragraph: "2024. was a good year" is a sentence.
  return Boolean(item && item[3] && (!/\d/.test(item[2]) || Number.parseInt(item[2], 10) === 1));
}

/**
 * @param {string} text
 * @returns {Block[]}
 */
export function parseMarkdown(text) {
  const lines = String(text).replace(/\r\n?/g, '\n').replace(/\t/g, '    ').split('\n');
  return parseBlocks(lines, 0);
}

/** @param {string[]} lines @param {number} depth @returns {Block[]} */
function parseBlocks(lines, depth) {
  /** @type {Block[]} */
  const out = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (blank(line)) {
      i++;
      continue;
    }
    const fence = FENCE.exec(line);
    if (fence) {
      const mark = fence[1];
      const closing = new RegExp(`^ {0,3}${mark[0] === '`' ? '`' : '~'}{${mark.length},}[ \\t]*$`);
      const body = [];
      i++;
      while (i < lines.length && !closing.test(lines[i])) body.push(lines[i++]);
      i++; // the closing fence (or the end: an unclosed fence runs to the end, as it would in a stream)
      out.push({ t: 'pre', lang: fence[2] ?? '', v: body.join('\n') });
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      out.push({ t: 'h', level: heading[1].length, c: parseInline(heading[2] ?? '', 0, false) });
      i++;
      continue;
    }
    if (RULE.test(line)) {
      out.push({ t: 'hr' });
      i++;
      continue;
    }
    if (depth < MAX_BLOCK_DEPTH && QUOTE.test(line)) {
      const body = [];
      while (i < lines.length && !blank(lines[i])) {
        const q = QUOTE.exec(lines[i]);
        // A line without ">" continues the quote's paragraph ("lazy" continuation).
        if (q) body.push(q[1]);
        else if (!startsBlock(lines[i], depth)) body.push(lines[i]);
        else break;
        i++;
      }
      out.push({ t: 'quote', c: parseBlocks(body, depth + 1) });
      continue;
    }
    const item = depth < MAX_BLOCK_DEPTH ? ITEM.exec(line) : null;
    if (item && item[3]) {
      i = parseList(lines, i, depth, out);
      continue;
    }
    const para = [line.trim()];
    i++;
    while (i < lines.length && !blank(lines[i]) && !startsBlock(lines[i], depth)) para.push(lines[i++].trim());
    out.push({ t: 'p', c: parseInline(para.join('\n'), 0, false) });
  }
  return out;
}

/**
 * A list from line i: items at the first item's indentation, each with the lines
 * indented below it (nested lists, more paragraphs). Appends it to `out`.
 * @param {string[]} lines @param {number} i @param {number} depth @param {Block[]} out @returns {number} the next line
 */
function parseList(lines, i, depth, out) {
  const first = /** @type {RegExpExecArray} */ (ITEM.exec(lines[i]));
  const indent = first[1].length;
  const ordered = /\d/.test(first[2]);
  /** @type {Block[][]} */
  const items = [];
  while (i < lines.length) {
    const m = ITEM.exec(lines[i]);
    if (!m || !m[3] || m[1].length !== indent || /\d/.test(m[2]) !== ordered) break;
    const contentIndent = indent + m[2].length + 1;
    const body = [m[3]];
    i++;
    while (i < lines.length) {
      const l = lines[i];
      if (blank(l)) {
        let j = i;
        while (j < lines.length && blank(lines[j])) j++;
        if (j < lines.length && indentOf(lines[j]) > indent) {
          for (; i < j; i++) body.push('');
          continue;
        }
        break;
      }
      if (indentOf(l) > indent) body.push(l.slice(Math.min(indentOf(l), contentIndent)));
      else if (!startsBlock(l, depth) && !ITEM.test(l)) body.push(l.trim());
      else break;
      i++;
    }
    items.push(parseBlocks(body, depth + 1));
  }
  out.push({ t: 'list', ordered, start: ordered ? Number.parseInt(first[2], 10) : 1, items });
  return i;
}

const WORD = /[\p{L}\p{N}]/u;

/**
 * The closing delimiter of an emphasis run opened at `from`, or -1. A closer follows
 * a non-space character; an underscore closer is not inside a word (snake_case stays
 * as it is); a single "*" skips over "**" runs, which belong to bold. `seen` remembers,
 * per delimiter, up to where a failed search found nothing: openers come in order, so
 * a later one need not look there again (this keeps "**a **a **a …" linear).
 * @param {string} s @param {string} d @param {number} from @param {Map<string, number>} seen
 */
function closer(s, d, from, seen) {
  const limit = from + MAX_SPAN;
  let j = Math.max(from, seen.get(d) ?? 0);
  while ((j = s.indexOf(d, j)) !== -1 && j <= limit) {
    let end = j;
    while (s[end + d.length] === d[0]) end++; // "***": the closer is the last of the run
    const ok = !/\s/.test(s[j - 1] ?? ' ') && j > from
      && (d[0] !== '_' || !WORD.test(s[end + d.length] ?? ''))
      && (d.length > 1 || (s[j - 1] !== d && end === j));
    if (ok) return end;
    j = end + d.length;
  }
  seen.set(d, j === -1 ? s.length : limit);
  return -1;
}

/**
 * The link target in "(…)" after a label: nested parentheses are allowed (Wikipedia
 * URLs have them), and an optional "title" or <angle brackets> are dropped.
 * @param {string} s @param {number} open index of "(" @returns {{url: string, end: number} | null}
 */
function linkTarget(s, open) {
  let depth = 0;
  for (let k = open; k < s.length && k - open <= MAX_SPAN; k++) {
    if (s[k] === '\n') return null;
    if (s[k] === '(') depth++;
    else if (s[k] === ')' && --depth === 0) {
      let url = s.slice(open + 1, k).trim().replace(/\s+"[^"]*"$/, '');
      if (url.startsWith('<') && url.endsWith('>')) url = url.slice(1, -1);
      return { url, end: k + 1 };
    }
  }
  return null;
}

/** @param {string} s @param {number} open index of "[" */
function labelEnd(s, open) {
  let depth = 0;
  for (let k = open; k < s.length && k - open <= MAX_SPAN; k++) {
    if (s[k] === '\\') k++;
    else if (s[k] === '[') depth++;
    else if (s[k] === ']' && --depth === 0) return k;
  }
  return -1;
}

/**
 * A bare URL (an http(s) address in the text), without the sentence's punctuation
 * after it; a closing parenthesis stays only when the URL opened one.
 * @param {string} s @param {number} i
 */
function bareUrl(s, i) {
  const m = /^https?:\/\/[^\s<>"'`]+/i.exec(s.slice(i));
  if (!m) return null;
  let url = m[0];
  for (;;) {
    const last = url[url.length - 1];
    if (/[.,;:!?*_~]/.test(last)) url = url.slice(0, -1);
    else if (last === ')' && (url.match(/\)/g) ?? []).length > (url.match(/\(/g) ?? []).length) url = url.slice(0, -1);
    else break;
  }
  return url;
}

/**
 * @param {string} s @param {number} depth @param {boolean} inLink no links inside a link's label
 * @returns {Inline[]}
 */
export function parseInline(s, depth = 0, inLink = false) {
  /** @type {Inline[]} */
  const out = [];
  let buf = '';
  /** @type {Map<string, number>} */
  const seen = new Map();
  // Where the next "]" is (-1: none): a "[" with none near it cannot start a link.
  let nextClose = s.indexOf(']');
  const flush = () => {
    if (buf) out.push({ t: 'text', v: buf });
    buf = '';
  };
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === '\\' && i + 1 < s.length && ESCAPABLE.test(s[i + 1])) {
      buf += s[i + 1];
      i += 2;
      continue;
    }
    if (c === '\n') {
      flush();
      out.push({ t: 'br' });
      i++;
      continue;
    }
    if (c === '`') {
      let run = 1;
      while (s[i + run] === '`') run++;
      const ticks = '`'.repeat(run);
      let close = s.indexOf(ticks, i + run);
      while (close !== -1 && s[close + run] === '`') close = s.indexOf(ticks, close + run + 1);
      if (close === -1) {
        buf += ticks;
        i += run;
        continue;
      }
      let code = s.slice(i + run, close).replace(/\n/g, ' ');
      if (code.length > 2 && code.startsWith(' ') && code.endsWith(' ')) code = code.slice(1, -1);
      flush();
      out.push({ t: 'code', v: code });
      i = close + run;
      continue;
    }
    if (depth < MAX_INLINE_DEPTH) {
      const pair = s.slice(i, i + 2);
      const opensWord = c !== '_' || !WORD.test(s[i - 1] ?? '');
      if ((pair === '**' || pair === '__' || pair === '~~') && opensWord && s[i + 2] && !/\s/.test(s[i + 2])) {
        const end = closer(s, pair, i + 2, seen);
        if (end !== -1) {
          flush();
          out.push({ t: pair === '~~' ? 'del' : 'strong', c: parseInline(s.slice(i + 2, end), depth + 1, inLink) });
          i = end + 2;
          continue;
        }
      }
      if ((c === '*' || c === '_') && opensWord && s[i + 1] && !/\s/.test(s[i + 1])) {
        const end = closer(s, c, i + 1, seen);
        if (end !== -1) {
          flush();
          out.push({ t: 'em', c: parseInline(s.slice(i + 1, end), depth + 1, inLink) });
          i = end + 1;
          continue;
        }
      }
      if (c === '[' && nextClose !== -1 && nextClose < i) nextClose = s.indexOf(']', i);
      if (c === '[' && !inLink && nextClose !== -1 && nextClose - i <= MAX_SPAN) {
        const close = labelEnd(s, i);
        const target = close !== -1 && s[close + 1] === '(' ? linkTarget(s, close + 1) : null;
        if (target) {
          flush();
          const href = safeUrl(target.url);
          // Anything but http(s) (javascript:, data:, relative paths) stays visible as the text it was.
          if (href) out.push({ t: 'link', href, c: parseInline(s.slice(i + 1, close), depth + 1, true) });
          else out.push({ t: 'text', v: s.slice(i, target.end) });
          i = target.end;
          continue;
        }
      }
    }
    if (c === '<' && !inLink) {
      const m = /^<(https?:\/\/[^\s<>]+)>/i.exec(s.slice(i));
      const href = m && safeUrl(m[1]);
      if (m && href) {
        flush();
        out.push({ t: 'link', href, c: [{ t: 'text', v: m[1] }] });
        i += m[0].length;
        continue;
      }
    }
    if ((c === 'h' || c === 'H') && !inLink && !WORD.test(s[i - 1] ?? '')) {
      const url = bareUrl(s, i);
      const href = url && safeUrl(url);
      if (url && href) {
        flush();
        out.push({ t: 'link', href, c: [{ t: 'text', v: url }] });
        i += url.length;
        continue;
      }
    }
    // A run of delimiters that opened nothing is text as a whole: trying each of its
    // characters again would only repeat the same failed search.
    let run = 1;
    if (c === '*' || c === '_' || c === '~') while (s[i + run] === c) run++;
    buf += s.slice(i, i + run);
    i += run;
  }
  flush();
  return out;
}

// ---------------------------------------------------------------- DOM

/** What a link's label reads as. @param {Inline[]} nodes @returns {string} */
const plain = (nodes) => nodes.map((n) => (n.t === 'text' || n.t === 'code' ? n.v : n.t === 'br' ? ' ' : plain(n.c))).join('');

/** @param {Inline[]} nodes @returns {(Node | string)[]} */
function inlines(nodes) {
  return nodes.map((n) => {
    switch (n.t) {
      case 'text': return n.v;
      case 'br': return h('br');
      case 'code': return h('code', null, n.v);
      case 'link': {
        const host = new URL(n.href).host;
        // A new tab that cannot reach back into this page, sends no referrer, and is
        // marked as leaving MessGo both to the eye (↗, the host on hover) and to screen readers.
        // A label that names another address than the target asks first (chats/links.js).
        return guardLink(h('a', { href: n.href, target: '_blank', rel: 'noopener noreferrer external', class: 'md-link', title: n.href },
          inlines(n.c),
          h('span', { class: 'external-mark', 'aria-hidden': 'true' }, '↗'),
          h('span', { class: 'visually-hidden' }, ` (external link to ${host}, opens in a new tab)`)), plain(n.c));
      }
      default: return h(n.t, null, inlines(n.c));
    }
  });
}

/** @param {Block[]} blocks @returns {HTMLElement[]} */
function blocksToDom(blocks) {
  return blocks.map((b) => {
    switch (b.t) {
      case 'p': return h('p', null, inlines(b.c));
      // The chat's own title is an h2: a reply's headings sit below it.
      case 'h': return h(/** @type {'h3' | 'h4' | 'h5' | 'h6'} */ (`h${Math.min(6, b.level + 2)}`), null, inlines(b.c));
      case 'pre': return h('pre', { class: 'md-code' }, h('code', null, b.v));
      case 'hr': return h('hr');
      case 'quote': return h('blockquote', null, blocksToDom(b.c));
      default: {
        const items = b.items.map((item) => {
          // A tight item (one paragraph, maybe a nested list) holds its text directly,
          // without a paragraph's margins.
          const [first, ...rest] = item;
          const tight = first?.t === 'p' && rest.every((x) => x.t === 'list');
          return h('li', null, tight ? [inlines(first.c), blocksToDom(rest)] : blocksToDom(item));
        });
        return b.ordered ? h('ol', { start: b.start === 1 ? null : b.start }, items) : h('ul', null, items);
      }
    }
  });
}

/**
 * The reply as elements, in a `div.markdown`.
 * @param {string} text @returns {HTMLElement}
 */
export function renderMarkdown(text) {
  return h('div', { class: 'markdown' }, blocksToDom(parseMarkdown(text)));
}
