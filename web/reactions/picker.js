// @ts-check
// The emoji picker: the quick row, a search by name or shortcode, and every emoji by
// group, in a modal dialog. Keyboard: type to search, Down moves into the emoji, the
// arrow keys move between them (Up and Down by rows, as they are laid out), Home/End,
// Enter or a click picks, Esc closes. Each emoji button is labelled with its name.

import { ALL, GROUPS, QUICK, emojiName, searchEmoji } from './emoji.js';
import { openDialog } from '../ui/dialog.js';
import { h, setChildren, uid } from '../ui/dom.js';

/**
 * @param {{onPick: (emoji: string) => void, returnFocus?: HTMLElement | null, title?: string}} p
 */
export function openEmojiPicker({ onPick, returnFocus, title = 'Add a reaction' }) {
  /** @param {string} emoji @param {string} name */
  const cell = (emoji, name) => h('button', { type: 'button', class: 'emoji-cell', 'aria-label': name, title: name,
    'data-emoji': emoji, onclick: () => pick(emoji) }, emoji);
  const searchId = uid('emoji-search');
  const search = h('input', { id: searchId, type: 'search', class: 'emoji-search', placeholder: 'Search emoji',
    'aria-label': 'Search emoji', autocomplete: 'off' });
  const quick = h('div', { class: 'emoji-quick', role: 'group', 'aria-label': 'Frequent reactions' },
    QUICK.map((e) => cell(e, emojiName(e))));
  const results = h('div', { class: 'emoji-results', 'aria-live': 'polite' });
  const sections = GROUPS.map((g, i) => {
    const headingId = uid('emoji-group');
    return h('section', { class: 'emoji-group', 'aria-labelledby': headingId, 'data-group': g.key },
      h('h3', { id: headingId, class: 'emoji-group-name' }, g.name),
      h('div', { class: 'emoji-grid' }, ALL.filter((e) => e.group === i).map((e) => cell(e.emoji, e.name))));
  });
  const all = h('div', { class: 'emoji-all' }, sections);
  const tabs = h('div', { class: 'emoji-tabs', role: 'group', 'aria-label': 'Emoji groups' },
    GROUPS.map((g, i) => h('button', { type: 'button', class: 'emoji-tab', title: g.name, 'aria-label': g.name,
      onclick: () => {
        sections[i].scrollIntoView({ block: 'start' });
        /** @type {HTMLElement | null} */ (sections[i].querySelector('.emoji-cell'))?.focus();
      } }, ALL.find((e) => e.group === i)?.emoji ?? g.name)));
  const body = h('div', { class: 'emoji-body' }, results, all);

  let picked = false;
  const dialog = openDialog({
    title, className: 'emoji-picker', focus: search, returnFocus,
    content: [quick, search, tabs, body,
      h('div', { class: 'dialog-actions' }, h('button', { type: 'button', class: 'button', onclick: () => dialog.close('cancel') }, 'Cancel'))],
  });

  /** @param {string} emoji */
  function pick(emoji) {
    if (picked) return;
    picked = true;
    dialog.close('picked');
    onPick(emoji);
  }

  search.addEventListener('input', () => {
    const q = search.value.trim();
    all.hidden = Boolean(q);
    tabs.hidden = Boolean(q);
    if (!q) return setChildren(results);
    const found = searchEmoji(q);
    setChildren(results, found.length
      ? h('div', { class: 'emoji-grid', role: 'group', 'aria-label': `${found.length} found` }, found.map((e) => cell(e.emoji, e.name)))
      : h('p', { class: 'muted' }, 'No emoji found.'));
  });
  search.addEventListener('keydown', (e) => {
    const first = visibleCells()[QUICK.length];
    if (e.key === 'ArrowDown' && first) {
      e.preventDefault();
      first.focus();
    } else if (e.key === 'Enter') {
      e.preventDefault();
      if (search.value.trim() && first) pick(first.getAttribute('data-emoji') ?? '');
    }
  });
  dialog.dialog.addEventListener('keydown', (e) => {
    const target = /** @type {HTMLElement} */ (e.target);
    if (!target.classList.contains('emoji-cell')) return;
    const next = neighbour(visibleCells(), target, e.key);
    if (next === undefined) return;
    e.preventDefault();
    (next ?? search).focus();
  });

  /** @returns {HTMLElement[]} the quick row, then the search results or every group */
  function visibleCells() {
    return [...dialog.dialog.querySelectorAll('.emoji-cell')]
      .filter((c) => /** @type {HTMLElement} */ (c).offsetParent !== null).map((c) => /** @type {HTMLElement} */ (c));
  }
  return dialog;
}

/**
 * The cell an arrow key goes to, as laid out on screen; null means "back to the search
 * field" (Up from the top rows), undefined "not a key of the grid".
 * @param {HTMLElement[]} cells @param {HTMLElement} from @param {string} key
 * @returns {HTMLElement | null | undefined}
 */
function neighbour(cells, from, key) {
  const i = cells.indexOf(from);
  switch (key) {
    case 'ArrowLeft': return cells[Math.max(0, i - 1)];
    case 'ArrowRight': return cells[Math.min(cells.length - 1, i + 1)];
    case 'Home': return cells[0];
    case 'End': return cells[cells.length - 1];
    case 'ArrowUp':
    case 'ArrowDown': {
      const here = from.getBoundingClientRect();
      const down = key === 'ArrowDown';
      const rows = cells.filter((c) => {
        const r = c.getBoundingClientRect();
        return down ? r.top > here.top + 2 : r.top < here.top - 2;
      });
      if (rows.length === 0) return down ? from : null;
      const rowTop = down ? Math.min(...rows.map((c) => c.getBoundingClientRect().top))
        : Math.max(...rows.map((c) => c.getBoundingClientRect().top));
      const row = rows.filter((c) => Math.abs(c.getBoundingClientRect().top - rowTop) < 2);
      return row.reduce((best, c) => (Math.abs(c.getBoundingClientRect().left - here.left)
        < Math.abs(best.getBoundingClientRect().left - here.left) ? c : best));
    }
    default: return undefined;
  }
}
