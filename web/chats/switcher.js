// @ts-check
// Ctrl+K: a quick switcher. Type part of a chat's name, move with the arrow keys, Enter
// opens it. What is typed is also looked for in the messages of every chat (web/search),
// older pages loading meanwhile; choosing a message opens its chat at it. A combobox
// over a listbox, so screen readers follow the highlighted entry while the focus stays
// in the field.

import { chatTitle, filterChats, orderedChats } from './format.js';
import { openDialog } from '../ui/dialog.js';
import { h, setChildren, uid } from '../ui/dom.js';
import { messageResults, resultContent } from '../search/results.js';
import { loadAllOlder } from '../search/older.js';
import { requestJump } from '../search/jump.js';

/** @typedef {import('../core/state.js').State} State */
/** @typedef {{kind: 'chat', id: string, name: string} | ({kind: 'message'} & import('../search/results.js').MessageResult)} Option */

/**
 * @param {{state: State, open: (chatId: string) => void, live?: () => State,
 *   loadOlder?: (chatId: string) => Promise<unknown>}} p
 *   live: the state as it is now (messages open and pages arrive while the switcher is up)
 */
export function openSwitcher({ state, open, live = () => state, loadOlder }) {
  const me = state.me?.user_id ?? null;
  const all = orderedChats(state.chats).map((e) => ({ id: e.chat.id, name: chatTitle(e, me, state.people.contacts) }));
  const ids = { input: uid('switch'), list: uid('switch-list') };
  const input = h('input', {
    id: ids.input, type: 'text', role: 'combobox', autocomplete: 'off', 'aria-autocomplete': 'list',
    'aria-controls': ids.list, 'aria-expanded': 'true', placeholder: 'Type a name or words of a message',
  });
  const list = h('ul', { id: ids.list, class: 'switch-list', role: 'listbox', 'aria-label': 'Chats and messages' });
  const none = h('p', { class: 'muted', hidden: true }, 'No chat or message matches.');
  const older = h('p', { class: 'progress', role: 'status', hidden: true },
    h('span', { class: 'spinner', 'aria-hidden': 'true' }), 'Searching older messages…');
  /** @type {Option[]} */
  let shown = [];
  let active = 0;
  let searched = false;

  function render() {
    const chats = filterChats(all, input.value).map((c) => /** @type {Option} */ ({ kind: 'chat', ...c }));
    const messages = messageResults(live(), input.value).map((r) => /** @type {Option} */ ({ kind: 'message', ...r }));
    shown = [...chats, ...messages];
    active = Math.min(active, Math.max(0, shown.length - 1));
    setChildren(list, shown.map((c, i) => h('li', {
      id: `${ids.list}-${i}`, role: 'option', class: `switch-option${c.kind === 'message' ? ' switch-message' : ''}`,
      'aria-selected': String(i === active), onclick: () => choose(i),
    }, c.kind === 'chat' ? c.name : resultContent(c))));
    none.hidden = shown.length > 0 || !older.hidden;
    if (shown.length) input.setAttribute('aria-activedescendant', `${ids.list}-${active}`);
    else input.removeAttribute('aria-activedescendant');
    list.children[active]?.scrollIntoView({ block: 'nearest' });
  }

  /** @param {number} i */
  function choose(i) {
    const c = shown[i];
    if (!c) return;
    if (c.kind === 'message') {
      // After the dialog has put the focus back where it was: the jump takes it to the message.
      dialog.dialog.addEventListener('close', () => requestJump(c.chatId, c.id), { once: true });
      dialog.close();
      open(c.chatId);
    } else {
      dialog.close();
      open(c.id);
    }
  }

  /** Once words are typed, every chat's older pages come in, so the whole 72 hours are searched. */
  async function searchOlder() {
    if (searched || !loadOlder || input.value.trim().length < 2) return;
    searched = true;
    const byId = () => live().chats.byId;
    if (!Object.values(byId()).some((e) => e.hasOlder)) return;
    older.hidden = false;
    render();
    await loadAllOlder({
      ids: () => Object.keys(byId()), hasOlder: (id) => Boolean(byId()[id]?.hasOlder),
      oldest: (id) => byId()[id]?.messages[0]?.seq ?? null, loadOlder, alive: () => dialog.dialog.isConnected,
    });
    older.hidden = true;
    if (dialog.dialog.isConnected) render();
  }

  input.addEventListener('input', () => {
    active = 0;
    render();
    searchOlder();
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
    content: [h('label', { for: ids.input, class: 'visually-hidden' }, 'Chat name or message words'), input, older, list, none],
  });
  render();
  return {
    ...dialog,
    /** The state changed: results may have opened or loaded since. */
    update() {
      if (dialog.dialog.isConnected && input.value.trim()) render();
    },
  };
}
