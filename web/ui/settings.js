// @ts-check
// Settings: the display name contacts see, chat privacy and notifications, and the
// people you blocked.

import { fullDate, timeAgo } from '../format.js';
import { chatSettings } from './chat-settings.js';
import { h, keyed, setChildren, uid } from './dom.js';
import { paneFrame } from './pane.js';

/** @typedef {import('../state.js').State} State */
/** @typedef {import('../api.js').Blocked} Blocked */
/** @typedef {import('../contacts.js').PeopleActions} PeopleActions */

const DISPLAY_NAME_MAX = 64;

/**
 * @param {HTMLElement} root
 * @param {{state: State, people: PeopleActions, chats: import('../chats.js').ChatActions, close: () => void}} p
 */
export function mountSettings(root, { state, people, chats, close }) {
  const chatPart = chatSettings({ state, chats });
  const ids = { name: uid('display-name'), hint: uid('display-name-hint'), error: uid('display-name-error'),
    blocked: uid('blocked') };
  const nameInput = h('input', {
    id: ids.name, name: 'display_name', type: 'text', autocomplete: 'nickname', maxlength: DISPLAY_NAME_MAX,
    'aria-describedby': ids.hint, value: state.me?.display_name ?? '',
  });
  const save = h('button', { type: 'submit', class: 'button primary' }, 'Save');
  const saved = h('p', { class: 'hint', role: 'status', 'aria-live': 'polite' });
  const nameError = h('p', { id: ids.error, class: 'form-error', role: 'alert' });
  const blockedError = h('p', { class: 'form-error', role: 'alert' });
  const blockedList = h('ul', { class: 'entries', tabindex: -1, 'aria-labelledby': ids.blocked });
  const blockedEmpty = h('p', { class: 'muted' }, 'You have not blocked anyone.');

  /** @param {SubmitEvent} e */
  async function onSubmit(e) {
    e.preventDefault();
    save.disabled = true;
    setChildren(saved);
    setChildren(nameError);
    const outcome = await people.saveDisplayName(nameInput.value);
    save.disabled = false;
    if (outcome.ok) {
      setChildren(saved, 'Saved. Your contacts see the new name now.');
      nameInput.removeAttribute('aria-invalid');
    } else {
      setChildren(nameError, outcome.error);
      nameInput.setAttribute('aria-invalid', 'true');
      nameInput.setAttribute('aria-errormessage', ids.error);
      nameInput.focus();
    }
  }

  /** @param {Blocked} b */
  function blockedEntry(b) {
    const unblock = h('button', { type: 'button', class: 'button', 'aria-label': `Unblock ${b.username}`,
      async onclick() {
        unblock.disabled = true;
        setChildren(blockedError);
        const outcome = await people.unblock(b.user_id);
        unblock.disabled = false;
        if (!outcome.ok) setChildren(blockedError, outcome.error);
      } }, 'Unblock');
    return h('li', { class: 'entry' },
      h('div', { class: 'entry-head' },
        h('strong', { class: 'entry-name' }, b.username),
        h('time', { class: 'age', datetime: new Date(b.blocked_at).toISOString(), title: fullDate(b.blocked_at) },
          `blocked ${timeAgo(b.blocked_at)}`)),
      h('div', { class: 'entry-actions' }, unblock));
  }

  const { view, heading } = paneFrame({ title: 'Settings', onClose: close },
    h('section', { class: 'pane-section', 'aria-label': 'Profile' },
      h('h3', null, 'Profile'),
      h('form', { class: 'auth-form', novalidate: true, onsubmit: onSubmit },
        h('div', { class: 'field' },
          h('label', { for: ids.name }, 'Display name'),
          nameInput,
          h('p', { id: ids.hint, class: 'hint' },
            `Up to ${DISPLAY_NAME_MAX} characters. Only your contacts see it; leave it empty to show your username.`)),
        h('div', { class: 'entry-actions' }, save),
        saved, nameError)),
    chatPart.view,
    h('section', { class: 'pane-section', 'aria-labelledby': ids.blocked },
      h('h3', { id: ids.blocked }, 'Blocked users'),
      h('p', { class: 'hint' }, 'Blocked people cannot send you requests. Unblocking does not reconnect you.'),
      blockedError, blockedEmpty, blockedList));
  root.replaceChildren(view);
  heading.focus();

  /** @param {State} s @param {State | null} prev */
  function update(s, prev) {
    if (s.chats.settings !== prev?.chats.settings || s.chats.notify !== prev?.chats.notify) chatPart.update(s);
    if (s.people.blocked !== prev?.people.blocked) {
      keyed(blockedList, s.people.blocked, (b) => b.user_id, blockedEntry);
      blockedEmpty.hidden = s.people.blocked.length > 0;
    }
    // Another session renamed us: show it, unless the user is typing here.
    const name = s.me?.display_name ?? '';
    if (name !== (prev?.me?.display_name ?? '') && document.activeElement !== nameInput) nameInput.value = name;
  }
  update(state, null);

  return { update, unmount: () => view.remove() };
}
