// @ts-check
// A safety number on screen: 12 groups of 5 digits, in a grid that is easy to read out
// loud group by group. Computing it takes a moment (SHA-512 in WebCrypto), so the
// element appears at once and fills in.

import { h, setChildren } from '../ui/dom.js';

/**
 * @param {Promise<string>} number
 * @param {string} label e.g. "Safety number with bob"
 */
export function safetyNumberView(number, label) {
  const el = h('p', { class: 'safety-number', role: 'group', 'aria-label': label, 'aria-busy': 'true' }, 'Computing…');
  number.then((digits) => {
    // Spaces between the groups keep the text (and a copy of it) the canonical form.
    const groups = digits.split(' ');
    setChildren(el, groups.flatMap((g, i) => [h('span', { class: 'safety-group' }, g), i < groups.length - 1 ? ' ' : null]));
    el.removeAttribute('aria-busy');
  }, () => {
    setChildren(el, 'The safety number could not be computed: this contact\'s key is malformed.');
    el.removeAttribute('aria-busy');
  });
  return el;
}
