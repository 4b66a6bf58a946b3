// @ts-check
// One contact: who they are, the safety number to compare in person, and the two ways
// to end the connection. Their display name updates live (contact.updated); the page
// closes itself when the connection ends (the reducer sends the pane home).

import { avatarBubble } from '../ui/avatars.js';
import { findContact } from './state.js';
import { nameOf } from '../core/format.js';
import { confirmDialog } from '../ui/dialog.js';
import { h, setChildren } from '../ui/dom.js';
import { paneFrame } from '../ui/pane.js';
import { safetyNumberView } from './safety.js';

/** @typedef {import('../core/state.js').State} State */
/** @typedef {import('../core/api.js').Contact} Contact */
/** @typedef {import('./actions.js').PeopleActions} PeopleActions */

/**
 * @param {HTMLElement} root
 * @param {{state: State, userId: string, people: PeopleActions, close: () => void,
 *   message: (chatId: string) => Promise<void>}} p
 *   message: opens the direct chat
 */
export function mountContactPage(root, { state, userId, people, close, message }) {
  const contact = /** @type {Contact} */ (findContact(state.people, userId));
  const username = contact.username;
  const alert = h('p', { class: 'form-error', role: 'alert' });
  const shownName = h('span', null, nameOf(contact));
  const removeButton = h('button', { type: 'button', class: 'button danger', onclick: () => end('remove') }, 'Remove contact');
  const blockButton = h('button', { type: 'button', class: 'button danger', onclick: () => end('block') }, 'Block');
  const messageButton = h('button', { type: 'button', class: 'button primary', disabled: !contact.chat_id,
    onclick: () => contact.chat_id && message(contact.chat_id) }, 'Message');

  /** @param {'remove' | 'block'} how */
  async function end(how) {
    const opener = how === 'remove' ? removeButton : blockButton;
    const sure = await confirmDialog(how === 'remove'
      ? {
        title: `Remove ${username}?`,
        text: `You will no longer see each other, and your chat with ${username} is deleted for both of you. `
          + 'Either of you can send a new request later.',
        confirm: 'Remove',
      }
      : {
        title: `Block ${username}?`,
        text: `${username} is removed from your contacts, your chat is deleted for both of you, and they cannot `
          + 'send you requests until you unblock them in Settings.',
        confirm: 'Block',
      });
    if (!sure) return;
    removeButton.disabled = blockButton.disabled = true;
    setChildren(alert);
    const outcome = how === 'remove' ? await people.removeContact(userId) : await people.blockContact(userId);
    // On success the reducer closes this page; only a failure leaves it here.
    removeButton.disabled = blockButton.disabled = false;
    if (!outcome.ok) {
      setChildren(alert, outcome.error);
      opener.focus();
    }
  }

  const picture = avatarBubble('large');
  picture.set(contact, nameOf(contact));
  const bio = h('p', { class: 'contact-bio' }, contact.bio ?? '');
  bio.hidden = !contact.bio;
  const { view, heading } = paneFrame({ title: nameOf(contact), onClose: close },
    h('div', { class: 'contact-card' }, picture.view,
      h('div', null, h('p', { class: 'contact-username muted' }, `@${username}`), bio)),
    h('div', { class: 'entry-actions' }, messageButton),
    alert,
    h('section', { class: 'pane-section', 'aria-label': 'Safety number' },
      h('h3', null, 'Safety number'),
      safetyNumberView(people.safetyNumber(contact), `Safety number with ${username}`),
      h('p', { class: 'hint' },
        `Compare this number with ${username} in person (or on a call where you recognize their voice). `
        + 'If it is the same on both your devices, nobody is reading along in between.')),
    h('section', { class: 'pane-section', 'aria-label': 'Connection' },
      h('div', { class: 'entry-actions' }, removeButton, blockButton)));
  heading.replaceChildren(shownName);
  root.replaceChildren(view);
  heading.focus();

  /** @param {State} s */
  function update(s) {
    const now = findContact(s.people, userId);
    if (!now) return;
    shownName.textContent = nameOf(now);
    picture.set(now, nameOf(now));
    if (bio.textContent !== (now.bio ?? '')) bio.textContent = now.bio ?? '';
    bio.hidden = !now.bio;
  }

  return { update, unmount: () => view.remove() };
}
