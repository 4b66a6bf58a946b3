// @ts-check
// The member picker of a group's composer: typing "@" (at the start of a word) lists
// the other members, filtered by what follows; ↑/↓ move, Enter or Tab writes
// "@username ", Esc closes it. The field keeps the focus and points at the highlighted
// member (aria-activedescendant), so screen readers follow along.

import { candidates, insertMention, mentionAt } from './mentions.js';
import { h, setChildren, uid } from '../ui/dom.js';

/** @typedef {import('./mentions.js').Member} Member */

const MAX_SHOWN = 8;

/**
 * @param {{input: HTMLTextAreaElement, members: () => Member[], me: () => string | null}} p
 *   members: whom the chat lets one mention (none outside groups)
 */
export function mentionPicker({ input, members, me }) {
  const listId = uid('mention-list');
  const list = h('ul', { id: listId, class: 'mention-list switch-list', role: 'listbox', 'aria-label': 'Mention someone',
    hidden: true });
  /** @type {Member[]} */
  let shown = [];
  let active = 0;
  /** @type {{start: number, query: string} | null} */
  let at = null;

  function hide() {
    at = null;
    shown = [];
    list.hidden = true;
    input.removeAttribute('aria-activedescendant');
    input.removeAttribute('aria-controls');
  }

  function render() {
    setChildren(list, shown.map((m, i) => h('li', {
      id: `${listId}-${i}`, role: 'option', class: 'switch-option', 'aria-selected': String(i === active),
      // mousedown, not click: the field must not lose its focus (and caret) first.
      onmousedown: (/** @type {MouseEvent} */ e) => {
        e.preventDefault();
        pick(i);
      },
    }, `@${m.username}`)));
    list.hidden = false;
    input.setAttribute('aria-controls', listId);
    input.setAttribute('aria-activedescendant', `${listId}-${active}`);
  }

  function refresh() {
    const all = members();
    at = all.length ? mentionAt(input.value, input.selectionStart ?? input.value.length) : null;
    shown = at ? candidates(all, at.query, me()).slice(0, MAX_SHOWN) : [];
    if (!at || !shown.length) return hide();
    active = Math.min(active, shown.length - 1);
    render();
  }

  /** @param {number} i */
  function pick(i) {
    const m = shown[i];
    if (!m || !at) return;
    const next = insertMention(input.value, at, m.username);
    input.value = next.value;
    input.setSelectionRange(next.caret, next.caret);
    hide();
    input.dispatchEvent(new Event('input', { bubbles: true }));
  }

  input.addEventListener('input', () => {
    active = 0;
    refresh();
  });
  input.addEventListener('click', refresh);
  input.addEventListener('blur', hide);
  // Capture: this runs before the composer's own Enter (send) and the chat's Esc (close).
  input.addEventListener('keydown', (e) => {
    if (list.hidden || e.isComposing) return;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      active = (active + (e.key === 'ArrowDown' ? 1 : shown.length - 1)) % shown.length;
      render();
    } else if ((e.key === 'Enter' || e.key === 'Tab') && !e.shiftKey) {
      pick(active);
    } else if (e.key === 'Escape') {
      hide();
    } else {
      return;
    }
    e.preventDefault();
    e.stopImmediatePropagation();
  }, true);

  return { view: list };
}
