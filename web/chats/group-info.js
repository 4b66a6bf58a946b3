// @ts-check
// A group's page: its members (admins marked) and what admins may change — add one of
// their contacts, remove someone, make someone admin, rename, set its picture — and leaving, after a
// confirmation. Every membership change makes the next message open a new key epoch,
// which the chats actions do by themselves.

import { avatarBubble } from '../ui/avatars.js';
import { chatTitle, personName } from './format.js';
import { nameOf } from '../core/format.js';
import { MAX_GROUP_NAME, MAX_GROUP_PICTURE } from '../crypto/plaintext.js';
import { dataUrl, squareJpeg } from '../images/square.js';
import { confirmDialog } from '../ui/dialog.js';
import { h, setChildren, uid } from '../ui/dom.js';
import { paneFrame } from '../ui/pane.js';

/** @typedef {import('../core/state.js').State} State */
/** @typedef {import('../core/state.js').Pane} Pane */
/** @typedef {import('./actions.js').ChatActions} ChatActions */
/** @typedef {import('../core/outcome.js').Outcome} Outcome */

const PICTURE_SIDE = 128;
// Base64 grows bytes by 4/3; the rest of the limit is the "data:image/jpeg;base64," prefix.
const PICTURE_BYTES = Math.floor((MAX_GROUP_PICTURE - 64) * 3 / 4);

/** @param {File} file @returns {Promise<string>} the picture as a small JPEG data: URL */
const groupPicture = async (file) => dataUrl(await squareJpeg(file, { side: PICTURE_SIDE, maxBytes: PICTURE_BYTES }));

/**
 * @param {HTMLElement} root
 * @param {{state: State, chatId: string, chats: ChatActions, show: (pane: Pane) => void, close: () => void}} p
 */
export function mountGroupInfo(root, { state, chatId, chats, show }) {
  const back = () => show({ kind: 'chat', chatId });
  const ids = { name: uid('rename'), add: uid('add-member'), members: uid('members') };
  const alert = h('p', { class: 'form-error', role: 'alert' });
  const done = h('p', { class: 'hint', role: 'status', 'aria-live': 'polite' });
  const shownName = h('span');
  const members = h('ul', { class: 'entries', 'aria-labelledby': ids.members });
  const nameInput = h('input', { id: ids.name, type: 'text', maxlength: MAX_GROUP_NAME, autocomplete: 'off' });
  const addSelect = h('select', { id: ids.add });
  const addSection = h('section', { class: 'pane-section', 'aria-label': 'Add member' },
    h('h3', null, 'Add member'),
    h('form', { class: 'inline-form', onsubmit: (/** @type {SubmitEvent} */ e) => {
      e.preventDefault();
      if (addSelect.value) run(() => chats.addMember(chatId, addSelect.value), 'Added. New messages use a new key that includes them.');
    } },
    h('label', { for: ids.add, class: 'visually-hidden' }, 'Contact to add'), addSelect,
    h('button', { type: 'submit', class: 'button' }, 'Add')),
    h('p', { class: 'hint' }, 'They will see messages from now on, not the ones before.'));
  const renameSection = h('section', { class: 'pane-section', 'aria-label': 'Rename' },
    h('h3', null, 'Name'),
    h('form', { class: 'inline-form', onsubmit: (/** @type {SubmitEvent} */ e) => {
      e.preventDefault();
      run(() => chats.rename(chatId, nameInput.value), 'Renamed.');
    } },
    h('label', { for: ids.name, class: 'visually-hidden' }, 'Group name'), nameInput,
    h('button', { type: 'submit', class: 'button' }, 'Rename')));
  const bubble = avatarBubble('large');
  const fileInput = h('input', { type: 'file', accept: 'image/jpeg,image/png,image/webp,image/gif',
    class: 'visually-hidden', tabindex: -1, 'aria-label': 'Group picture file' });
  fileInput.addEventListener('change', () => {
    const file = fileInput.files?.[0];
    fileInput.value = '';
    if (!file) return;
    run(async () => {
      let picture;
      try {
        picture = await groupPicture(file);
      } catch (err) {
        return { ok: false, error: err instanceof Error ? err.message : String(err) };
      }
      return chats.setPicture(chatId, picture);
    }, 'Picture saved.');
  });
  const removePicture = h('button', { type: 'button', class: 'button quiet',
    onclick: () => run(() => chats.setPicture(chatId, null), 'Picture removed.') }, 'Remove picture');
  const pictureSection = h('section', { class: 'pane-section', 'aria-label': 'Picture' },
    h('h3', null, 'Picture'),
    h('div', { class: 'profile-picture' },
      bubble.view,
      h('div', null,
        h('div', { class: 'entry-actions' }, fileInput,
          h('button', { type: 'button', class: 'button', onclick: () => fileInput.click() }, 'Set picture'), removePicture),
        h('p', { class: 'hint' }, `Cropped to a square of ${PICTURE_SIDE} px and sealed with the name: only members see it.`))));
  const leaveButton = h('button', { type: 'button', class: 'button danger', onclick: leave }, 'Leave group');

  /** @param {() => Promise<Outcome>} action @param {string} [success] */
  async function run(action, success) {
    setChildren(alert);
    setChildren(done);
    for (const b of view.querySelectorAll('button, select, input')) /** @type {HTMLButtonElement} */ (b).disabled = true;
    const outcome = await action();
    for (const b of view.querySelectorAll('button, select, input')) /** @type {HTMLButtonElement} */ (b).disabled = false;
    render(current);
    if (!outcome.ok) setChildren(alert, outcome.error);
    else if (success) setChildren(done, success);
    return outcome;
  }

  async function leave() {
    const sure = await confirmDialog({
      title: 'Leave this group?',
      text: 'You will no longer see its messages, and someone must add you again to come back.',
      confirm: 'Leave group',
      returnFocus: leaveButton,
    });
    if (sure) await run(() => chats.leave(chatId));
    // On success the chat is gone and the page with it.
  }

  const { view, heading } = paneFrame({ title: 'Group', onClose: back },
    alert, done,
    h('section', { class: 'pane-section', 'aria-labelledby': ids.members },
      h('h3', { id: ids.members }, 'Members'), members),
    addSection, renameSection, pictureSection,
    h('section', { class: 'pane-section', 'aria-label': 'Leave' }, h('div', { class: 'entry-actions' }, leaveButton)));
  heading.replaceChildren(shownName);

  /** @param {State} s */
  function render(s) {
    const e = s.chats.byId[chatId];
    if (!e) return;
    const me = s.me?.user_id ?? null;
    const contacts = s.people.contacts;
    const title = chatTitle(e, me, contacts);
    shownName.textContent = title;
    if (document.activeElement !== nameInput) nameInput.value = e.name ?? '';
    const admin = e.chat.members.some((m) => m.user_id === me && m.role === 'admin');
    addSection.hidden = renameSection.hidden = pictureSection.hidden = !admin;
    bubble.set(null, title, e.picture);
    removePicture.hidden = !e.picture;
    setChildren(members, [...e.chat.members]
      .sort((a, b) => Number(b.role === 'admin') - Number(a.role === 'admin') || a.username.localeCompare(b.username))
      .map((m) => {
        const name = m.user_id === me ? 'You' : personName(e, m.user_id, contacts);
        const actions = admin && m.user_id !== me ? [
          m.role !== 'admin' ? h('button', { type: 'button', class: 'button', 'aria-label': `Make ${m.username} an admin`,
            onclick: () => run(() => chats.promote(chatId, m.user_id)) }, 'Make admin') : null,
          h('button', { type: 'button', class: 'button danger', 'aria-label': `Remove ${m.username}`,
            onclick: async () => {
              const sure = await confirmDialog({ title: `Remove ${m.username}?`, text: `${m.username} will no longer see new messages of ${title}.`, confirm: 'Remove' });
              if (sure) run(() => chats.removeMember(chatId, m.user_id));
            } }, 'Remove'),
        ] : [];
        return h('li', { class: 'entry' },
          h('div', { class: 'entry-head' },
            h('strong', { class: 'entry-name' }, name, h('span', { class: 'muted' }, ` @${m.username}`)),
            m.role === 'admin' ? h('span', { class: 'tag' }, 'Admin') : null),
          actions.length ? h('div', { class: 'entry-actions' }, actions) : null);
      }));
    const candidates = contacts.filter((c) => !e.chat.members.some((m) => m.user_id === c.user_id));
    const chosen = addSelect.value;
    setChildren(addSelect, candidates.length
      ? candidates.map((c) => h('option', { value: c.user_id, selected: c.user_id === chosen }, `${nameOf(c)} (@${c.username})`))
      : h('option', { value: '' }, 'All your contacts are in this group'));
    addSelect.disabled = candidates.length === 0;
  }

  let current = state;
  root.replaceChildren(view);
  render(state);
  heading.focus();

  /** @param {State} s @param {State | null} prev */
  function update(s, prev) {
    current = s;
    if (s.chats.byId[chatId] !== prev?.chats.byId[chatId] || s.people.contacts !== prev?.people.contacts) render(s);
  }

  return { update, unmount: () => view.remove() };
}
