// @ts-check
// Forward: pick a chat (the Ctrl+K switcher's look and keys: type to filter, ↑/↓,
// Enter), then the message goes there as a new one, sealed for that chat, its files
// uploaded again under new keys, marked "forwarded" and naming neither the chat nor
// the person it came from. A reply's reference is left behind (it names a message of
// the other chat).

import { chatTitle, filterChats, orderedChats } from './format.js';
import { openDialog } from '../ui/dialog.js';
import { h, setChildren, uid } from '../ui/dom.js';
import { reuploadFiles } from '../files/forward-files.js';

/** @typedef {import('../core/state.js').State} State */
/** @typedef {import('./state.js').Msg} Msg */
/** @typedef {import('./actions.js').ChatActions} ChatActions */

/**
 * Sends a copy of `msg` to `to`. Resolves with an error sentence, or null when sent.
 * @param {{to: string, msg: Msg, chats: ChatActions}} p @returns {Promise<string | null>}
 */
export async function forwardMessage({ to, msg, chats }) {
  const body = msg.body;
  if (msg.deleted || body?.status !== 'ok') return 'This message can no longer be forwarded.';
  let files;
  try {
    files = await reuploadFiles({ chatId: to, media: chats.media, files: body.files ?? [], images: body.images ?? [] });
  } catch (err) {
    return `Not forwarded: ${err instanceof Error ? err.message : 'its files could not be sent again.'}`;
  }
  const outcome = chats.send(to, body.text, files, { forwarded: true });
  return outcome.ok ? null : outcome.error;
}

/**
 * @param {{state: State, from: string, msg: Msg, chats: ChatActions, opener: HTMLElement,
 *   say: (text: string) => void}} p  say: progress and outcome, in the chat it was forwarded from
 */
export function openForward({ state, msg, chats, opener, say }) {
  const me = state.me?.user_id ?? null;
  const all = orderedChats(state.chats)
    .filter((e) => e.chat.kind !== 'assistant')
    .map((e) => ({ id: e.chat.id, name: chatTitle(e, me, state.people.contacts) }));
  const ids = { input: uid('forward'), list: uid('forward-list') };
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
  async function choose(i) {
    const c = shown[i];
    if (!c) return;
    dialog.close();
    say(`Forwarding to ${c.name}…`);
    const error = await forwardMessage({ to: c.id, msg, chats });
    say(error ?? `Forwarded to ${c.name}.`);
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
    title: 'Forward to…',
    className: 'switcher',
    focus: input,
    returnFocus: opener,
    content: [h('label', { for: ids.input, class: 'visually-hidden' }, 'Chat name'), input, list, none],
  });
  render();
  return dialog;
}
