// @ts-check
// Links in message text. Only http and https addresses become links; they open in a
// new page that cannot reach back here and is sent no referrer. Nothing is fetched to
// preview them. A link that may not go where it seems asks first, showing the host it
// really goes to: its host has a label that mixes scripts (Latin "paypal" with a
// Cyrillic "а") or is punycode ("xn--…", how a browser writes a non-ASCII name), or
// its text names another address than its target (a Markdown link, the assistant's).
// This module is pure apart from `linkNode` and the dialog, so node --test covers it.

import { openDialog } from '../ui/dialog.js';
import { h } from '../ui/dom.js';

/** @typedef {{t: 'text', v: string} | {t: 'link', href: string, v: string}} Segment */

/** An http(s) URL as a link target, or null. @param {string} raw */
export function safeHref(raw) {
  // eslint-disable-next-line no-control-regex
  if (!raw || /[\s\u0000-\u001f\u007f]/.test(raw)) return null;
  try {
    const url = new URL(raw);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname ? url.href : null;
  } catch {
    return null;
  }
}

/**
 * Text split into plain runs and http(s) URLs. A URL ends before whitespace and quotes,
 * and leaves the sentence's punctuation after it (a closing parenthesis stays only
 * when the URL opened one).
 * @param {string} text @returns {Segment[]}
 */
export function findLinks(text) {
  /** @type {Segment[]} */
  const out = [];
  const re = /\bhttps?:\/\/[^\s<>"'`]+/gi;
  let last = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    let url = m[0];
    for (;;) {
      const end = url[url.length - 1];
      if (/[.,;:!?*_~]/.test(end)) url = url.slice(0, -1);
      else if (end === ')' && (url.match(/\)/g) ?? []).length > (url.match(/\(/g) ?? []).length) url = url.slice(0, -1);
      else break;
    }
    const href = safeHref(url);
    re.lastIndex = m.index + url.length;
    if (!href) continue;
    if (m.index > last) out.push({ t: 'text', v: text.slice(last, m.index) });
    out.push({ t: 'link', href, v: url });
    last = m.index + url.length;
  }
  if (last < text.length) out.push({ t: 'text', v: text.slice(last) });
  return out;
}

const SCRIPTS = ['Latin', 'Cyrillic', 'Greek', 'Armenian', 'Georgian', 'Hebrew', 'Arabic', 'Devanagari', 'Thai',
  'Han', 'Hiragana', 'Katakana', 'Hangul', 'Bopomofo', 'Cherokee'].map((name) => ({ name, re: new RegExp(`\\p{Script=${name}}`, 'u') }));
// Mixes that are how whole languages are written (Unicode's "highly restrictive" profile).
const ALLOWED_MIXES = [['Latin', 'Han', 'Hiragana', 'Katakana'], ['Latin', 'Han', 'Bopomofo'], ['Latin', 'Han', 'Hangul']];

/** The scripts of a label's letters (digits and hyphens belong to none). @param {string} label */
export function scriptsOf(label) {
  /** @type {Set<string>} */
  const found = new Set();
  for (const ch of label) {
    if (!/\p{L}/u.test(ch)) continue;
    found.add(SCRIPTS.find((s) => s.re.test(ch))?.name ?? 'Other');
  }
  return found;
}

/** Whether one label of a host name mixes scripts. @param {string} label */
export function mixesScripts(label) {
  const s = [...scriptsOf(label)];
  return s.length > 1 && !ALLOWED_MIXES.some((mix) => s.every((x) => mix.includes(x)));
}

/** The host as written in a URL's text (before the browser turns it into punycode). @param {string} text */
function writtenHost(text) {
  const m = /^[a-z][a-z0-9+.-]*:\/\/(?:[^/?#@]*@)?(\[[^\]]*\]|[^/?#:]*)/i.exec(text.trim());
  return m ? m[1].toLowerCase() : null;
}

/**
 * Why opening this link deserves a second look, or null. `text` is what the reader
 * sees (the URL itself for a bare link, a Markdown link's label otherwise).
 * @param {string} text @param {string} href an http(s) URL (safeHref)
 * @returns {string | null}
 */
export function linkWarning(text, href) {
  const url = new URL(href);
  const shown = writtenHost(text);
  if (shown !== null || /^[\p{L}\p{N}-]+(\.[\p{L}\p{N}-]+)+\/?$/u.test(text.trim())) {
    // The text names an address: it must be the target's.
    const host = shown ?? text.trim().replace(/\/$/, '').toLowerCase();
    const asUrl = safeHref(`https://${host}`);
    if (!asUrl || new URL(asUrl).hostname !== url.hostname) return 'The link’s text shows a different address than where it goes.';
  }
  const labels = [...(shown ?? '').split('.'), ...url.hostname.split('.')];
  if (labels.some(mixesScripts)) return 'Its address mixes letters of different alphabets, as look-alike addresses do.';
  if (url.hostname.split('.').some((l) => l.startsWith('xn--'))) {
    return 'Its address uses international letters, which can imitate a familiar one.';
  }
  return null;
}

/** Asks before opening a link that may not go where it seems. @param {string} href @param {string} why */
function confirmOpen(href, why) {
  const host = new URL(href).host;
  const textId = `link-why-${Math.random().toString(36).slice(2)}`;
  const dialog = openDialog({
    title: 'Open this link?',
    className: 'confirm',
    describedBy: textId,
    content: [
      h('p', { id: textId }, why),
      h('p', null, 'It goes to ', h('strong', { class: 'link-host' }, host)),
      h('div', { class: 'dialog-actions' },
        h('button', { type: 'button', class: 'button', onclick: () => dialog.close('cancel') }, 'Cancel'),
        h('button', { type: 'button', class: 'button danger', onclick: () => dialog.close('open') }, `Open ${host}`)),
    ],
    onClose: (how) => {
      if (how === 'open') window.open(href, '_blank', 'noopener,noreferrer');
    },
  });
}

/**
 * Makes an <a> that opens in a new page, asking first when linkWarning says so.
 * @param {HTMLAnchorElement} a @param {string} text what the reader sees
 */
export function guardLink(a, text) {
  const href = a.getAttribute('href') ?? '';
  /** @param {MouseEvent} e */
  const check = (e) => {
    const why = linkWarning(text, href);
    if (!why) return;
    e.preventDefault();
    if (e.type === 'click') confirmOpen(href, why);
  };
  a.addEventListener('click', check);
  a.addEventListener('auxclick', check);
  return a;
}

/** Message text with its links. @param {string} text @returns {(string | HTMLElement)[]} */
export function linkify(text) {
  return findLinks(text).map((s) => (s.t === 'text' ? s.v
    : guardLink(h('a', { href: s.href, target: '_blank', rel: 'noopener noreferrer', class: 'msg-link' }, s.v), s.v)));
}
