// @ts-check
// Ctrl+K: a quick switcher. Type part of a chat's name, move with the arrow keys, Enter
// opens it. A combobox over a listbox, so screen readers follow the highlighted entry
// while the focus stays in the field.

import { chatTitle, filterChats, orderedChats } from './format.js';
import { openDialog } from '../ui/dialog.js';
import { h, setChildren, uid } from '../ui/dom.js';

/** @typedef {import('../core/state.js').State} State */

/** @param {{state: State, open: (chatId: string) => void}} p */
export function openSwitcher({ state, open }) {
  const me = state.me?.user_id ?? null;
  const all = orderedChats(state.chats).map((e) => ({ id: e.chat.id, name: chatTitle(e, me, state.people.contacts) }));
  const ids = { input: uid('switch'), list: uid('switch-list') };
  const input = h('input', {
    id: ids.input, type: 'text', role: 'combobox', autocomplete: 'off', 'aria-autocomplete': 'list',
    'aria-controls': ids.list, 'aria-expanded': 'true', placeholder: 'Type a name',
  });
  const list = h('ul', { id: ids.list, class: 'switch-list', role: 'listbox', 'aria-label': 'Chats' });
  const none = h('p', { class: 'muted', hidden: true }, 'No chat matches.');
  let shown = all;
  let active = 0;

  function render() {
    shown = filterChats(all, input.value);
    active = Math.min(active, Math.max(0, shown.length - 1));
    setChildren(list, shown.map((c, i) => h('li', {
      id: `${ids.list}-${i}`, role: 'option', class: 'switch-option', 'aria-selected': String(i === active),
      onclick: () => choose(i),
    }, c.name)));
    none.hidden = shown.length > 0;
    if (shown.length) input.setAttribute('aria-activedescendant', `${ids.list}-${active}`);
    else input.removeAttribute('aria-activedescendant');
    list.children[active]?.scrollIntoView({ block: 'nearest' });
  }

  /** @param {number} i */
  function choose(i) {
    const c = shown[i];
    if (!c) return;
    dialog.close();
    open(c.id);
  }

  input.addEventListener('input', () => {
    active = 0;
    render();
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      if (shown.length) active = (active + (e.key === 'ArrowDown' ? 1 : shown.length - 1)) % shown.length;
      render();
    } else if (e.key === 'Enter') {
      e.preventDefault();
      choose(active);
    }
  });

  const dialog = openDialog({
    title: 'Go to chat',
    className: 'switcher',
    focus: input,
    content: [h('label', { for: ids.input, class: 'visually-hidden' }, 'Chat name'), input, list, none],
  });
  render();
  return dialog;
}
