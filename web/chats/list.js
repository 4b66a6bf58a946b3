// @ts-check
// The chats in the sidebar, newest activity first: each with its name, a preview
// decrypted here, the time of the last activity and an unread badge. It follows the
// state live: a message arriving moves its chat to the top.

import { chatTitle, clockTime, dayKey, lastActivity, orderedChats, previewText, unreadOf } from './format.js';
import { avatarBubble, chatPerson } from '../ui/avatars.js';
import { h, keyed, setChildren, uid } from '../ui/dom.js';
import { unreadMention } from './mentions.js';

/** @typedef {import('../core/state.js').State} State */
/** @typedef {import('./state.js').ChatEntry} ChatEntry */

/** A short "when" for the list: the time today, else the date. @param {number} at */
function shortWhen(at) {
  if (!at) return '';
  if (dayKey(at) === dayKey(Date.now())) return clockTime(at);
  return new Date(at).toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
}

/**
 * @param {{state: State, open: (chatId: string) => void, newGroup: (opener: HTMLElement) => void}} p
 * @returns {{view: HTMLElement, title: HTMLElement, update: (s: State, prev: State | null) => void}}
 */
export function chatList({ state, open, newGroup }) {
  const titleId = uid('chats-title');
  const title = h('h2', { id: titleId, tabindex: -1 }, 'Chats');
  const list = h('ul', { class: 'contact-list chats', tabindex: -1, 'aria-labelledby': titleId });
  const newGroupButton = h('button', { type: 'button', class: 'button quiet small', onclick: () => newGroup(newGroupButton) },
    'New group');
  const empty = h('div', { class: 'empty', hidden: true },
    h('span', { class: 'empty-icon', 'aria-hidden': 'true' }),
    h('p', { class: 'empty-title' }, 'No chats yet'),
    h('p', { class: 'muted' }, 'When you connect with someone, your conversation shows up here.'));
  const loading = h('p', { class: 'progress', role: 'status' },
    h('span', { class: 'spinner', 'aria-hidden': 'true' }), 'Loading chats…');
  const error = h('p', { class: 'form-error', role: 'alert' });

  /**
   * What an entry shows, as one value: the element is rebuilt only when it changes.
   * @typedef {{id: string, name: string, preview: string, when: string, unread: number,
   *   person: import('../ui/avatars.js').Pictured | null, groupPicture: string | null, picture: string,
   *   assistant: boolean, mention: boolean}} Row  mention: an unread message mentions me
   */
  /** @type {Map<string, Row>} */
  let rows = new Map();

  /** @param {Row} r */
  function rowAvatar(r) {
    const bubble = avatarBubble();
    bubble.set(r.person, r.name, r.groupPicture, r.assistant);
    return bubble.view;
  }

  /** @param {Row} r */
  function entry(r) {
    const previewId = uid('chat-preview');
    return h('li', null,
      h('button', {
        type: 'button', class: 'contact chat-entry', 'data-chat': r.id, onclick: () => open(r.id),
        'aria-label': `${r.name}${r.unread ? `, ${r.unread} unread` : ''}${r.mention ? ', mentioned you' : ''}`,
        'aria-describedby': previewId,
      },
      rowAvatar(r),
      h('span', { class: 'contact-text' },
        h('span', { class: 'chat-entry-top' },
          h('span', { class: 'contact-name' }, r.name),
          h('span', { class: 'chat-when' }, r.when)),
        h('span', { class: 'chat-entry-bottom' },
          h('span', { id: previewId, class: 'contact-username chat-preview' }, r.preview),
          r.mention ? h('span', { class: 'badge mention-badge', 'aria-hidden': 'true' }, '@') : null,
          r.unread ? h('span', { class: 'badge', 'aria-hidden': 'true' }, String(r.unread)) : null))));
  }

  const view = h('nav', { class: 'chat-list', 'aria-labelledby': titleId },
    h('div', { class: 'list-header' }, title, newGroupButton),
    loading, error, list, empty);

  /** @param {State} s @param {State | null} prev */
  function update(s, prev) {
    const c = s.chats;
    if (c !== prev?.chats || s.people.contacts !== prev?.people.contacts || s.pane !== prev?.pane) {
      loading.hidden = c.loaded || Boolean(c.error);
      setChildren(error, c.loaded ? '' : c.error ?? '');
      const me = s.me?.user_id ?? null;
      const ordered = orderedChats(c);
      // The assistant (pinned above) is no conversation with someone: "No chats yet" still says so.
      empty.hidden = !c.loaded || ordered.some((e) => e.chat.kind !== 'assistant');
      /** @type {Map<string, Row>} */
      const next = new Map();
      // The chat on screen is being read: its count would only flash until the server agrees.
      const reading = s.pane.kind === 'chat' && document.visibilityState === 'visible' ? s.pane.chatId : null;
      const items = ordered.map((e) => {
        const row = {
          id: e.chat.id, name: chatTitle(e, me, s.people.contacts), preview: previewText(e, c, me, s.people.contacts),
          when: shortWhen(lastActivity(e)), unread: e.chat.id === reading ? 0 : unreadOf(e),
          person: chatPerson(e, me, s.people.contacts), groupPicture: e.picture, picture: '',
          assistant: e.chat.kind === 'assistant', mention: e.chat.id !== reading && unreadMention(e, me),
        };
        row.picture = `${row.person?.user_id}:${row.person?.avatar_updated_at ?? ''}:${e.picture ?? ''}`;
        const old = rows.get(row.id);
        const same = old && old.name === row.name && old.preview === row.preview && old.when === row.when
          && old.unread === row.unread && old.picture === row.picture && old.mention === row.mention;
        const kept = same ? old : row;
        next.set(row.id, kept);
        return kept;
      });
      rows = next;
      keyed(list, items, (r) => r.id, entry);
    }
    const selected = s.pane.kind === 'chat' || s.pane.kind === 'group' ? s.pane.chatId : null;
    for (const button of list.querySelectorAll('button.chat-entry')) {
      if (button.getAttribute('data-chat') === selected) button.setAttribute('aria-current', 'page');
      else button.removeAttribute('aria-current');
    }
  }
  update(state, null);
  return { view, title, update };
}
