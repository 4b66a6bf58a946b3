// @ts-check
// The contacts list in the sidebar. It changes live as people accept, rename or
// remove; an empty list says how to add someone.

import { avatarBubble } from '../ui/avatars.js';
import { nameOf } from '../core/format.js';
import { h, keyed, setChildren, uid } from '../ui/dom.js';

/** @typedef {import('../core/state.js').State} State */
/** @typedef {import('../core/api.js').Contact} Contact */

/**
 * @param {{state: State, open: (userId: string) => void, add: (opener: HTMLElement) => void}} p
 * @returns {{view: HTMLElement, update: (s: State, prev: State | null) => void}}
 */
export function contactsList({ state, open, add }) {
  const titleId = uid('contacts-title');
  const list = h('ul', { class: 'contact-list', tabindex: -1, 'aria-labelledby': titleId });
  const addButton = h('button', { type: 'button', class: 'link', onclick: () => add(addButton) }, 'Add contact');
  const empty = h('div', { class: 'empty small', hidden: true },
    h('p', { class: 'empty-title' }, 'No contacts yet'),
    h('p', { class: 'muted' }, 'Ask someone for their username or connect key, then use ', addButton,
      '. They appear here once they accept.'));
  const loading = h('p', { class: 'progress', role: 'status' },
    h('span', { class: 'spinner', 'aria-hidden': 'true' }), 'Loading contacts…');
  const error = h('p', { class: 'form-error', role: 'alert' });

  /** @param {Contact} c @param {string} name */
  function avatarOf(c, name) {
    const bubble = avatarBubble();
    bubble.set(c, name);
    return bubble.view;
  }

  /** @param {Contact} c */
  function entry(c) {
    const name = nameOf(c);
    return h('li', null,
      h('button', { type: 'button', class: 'contact', 'data-user': c.user_id, onclick: () => open(c.user_id) },
        avatarOf(c, name),
        h('span', { class: 'contact-text' },
          h('span', { class: 'contact-name' }, name),
          h('span', { class: 'contact-username' }, ` @${c.username}`))));
  }

  const view = h('nav', { class: 'chat-list contacts', 'aria-labelledby': titleId },
    h('h2', { id: titleId }, 'Contacts'),
    loading, error, empty, list);

  /** @param {State} s @param {State | null} prev */
  function update(s, prev) {
    const p = s.people;
    if (p !== prev?.people) {
      loading.hidden = p.loaded || Boolean(p.error);
      setChildren(error, p.loaded ? '' : p.error ?? '');
      empty.hidden = !p.loaded || p.contacts.length > 0;
      if (p.contacts !== prev?.people.contacts) keyed(list, p.contacts, (c) => c.user_id, entry);
    }
    const selected = s.pane.kind === 'contact' ? s.pane.userId : null;
    for (const button of list.querySelectorAll('button.contact')) {
      if (button.getAttribute('data-user') === selected) button.setAttribute('aria-current', 'page');
      else button.removeAttribute('aria-current');
    }
  }
  update(state, null);
  return { view, update };
}
