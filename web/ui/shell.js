// @ts-check
// The logged-in frame: a header with the profile menu, the chat list, and the
// conversation pane. Chats arrive in a later issue; for now the list is empty.

import { h, uid } from './dom.js';
import { PREFERENCES, preference, setPreference } from '../theme.js';

/** @typedef {import('../state.js').State} State */
/** @typedef {{logout: () => void}} ShellActions */

const THEME_LABELS = { system: 'System', light: 'Light', dark: 'Dark' };

/** @param {HTMLElement} root @param {{state: State, actions: ShellActions}} p */
export function mountShell(root, { state, actions }) {
  const username = state.me?.username ?? '';
  const menuId = uid('profile-menu');
  const themeId = uid('theme');

  const menuButton = h('button', {
    type: 'button', class: 'profile-button', 'aria-expanded': 'false', 'aria-controls': menuId,
    'aria-label': `Profile menu for ${username}`,
  },
  h('span', { class: 'avatar', 'aria-hidden': 'true' }, username.slice(0, 1).toUpperCase()),
  h('span', { class: 'profile-name' }, username));

  const themeSelect = h('select', {
    id: themeId,
    onchange: () => setPreference(/** @type {import('../theme.js').ThemePreference} */ (themeSelect.value)),
  }, PREFERENCES.map((p) => h('option', { value: p, selected: p === preference() }, THEME_LABELS[p])));

  const logoutButton = h('button', { type: 'button', class: 'button danger', onclick: () => actions.logout() }, 'Log out');

  const menu = h('div', { id: menuId, class: 'menu', role: 'group', 'aria-label': 'Profile', hidden: true },
    h('p', { class: 'menu-user' }, 'Signed in as ', h('strong', null, username)),
    h('div', { class: 'field inline' }, h('label', { for: themeId }, 'Theme'), themeSelect),
    logoutButton);

  /** @param {boolean} open @param {boolean} [refocus] */
  function setOpen(open, refocus = false) {
    menu.hidden = !open;
    menuButton.setAttribute('aria-expanded', String(open));
    if (open) themeSelect.focus();
    else if (refocus) menuButton.focus();
  }
  menuButton.addEventListener('click', () => setOpen(menu.hidden));

  const profile = h('div', { class: 'profile' }, menuButton, menu);
  /** @param {KeyboardEvent} e */
  const onKey = (e) => {
    if (e.key === 'Escape' && !menu.hidden) setOpen(false, true);
  };
  /** @param {MouseEvent | FocusEvent} e */
  const onOutside = (e) => {
    if (!menu.hidden && e.target instanceof Node && !profile.contains(e.target)) setOpen(false);
  };
  document.addEventListener('keydown', onKey);
  document.addEventListener('pointerdown', onOutside);
  document.addEventListener('focusin', onOutside);

  const listTitle = h('h2', { tabindex: -1 }, 'Chats');
  const view = h('div', { class: 'shell' },
    h('header', { class: 'topbar' },
      h('p', { class: 'brand' }, h('img', { src: '/favicon.svg', alt: '', width: 24, height: 24 }), 'MessGo'),
      profile),
    h('div', { class: 'layout' },
      h('nav', { class: 'chat-list', 'aria-label': 'Chats' },
        listTitle,
        h('div', { class: 'empty' },
          h('span', { class: 'empty-icon', 'aria-hidden': 'true' }),
          h('p', { class: 'empty-title' }, 'No chats yet'),
          h('p', { class: 'muted' }, 'When you connect with someone, your conversation shows up here.'))),
      h('main', { class: 'conversation', 'aria-label': 'Conversation' },
        h('div', { class: 'placeholder' },
          h('p', { class: 'empty-title' }, 'Private by design'),
          h('p', { class: 'muted' }, 'Messages are end-to-end encrypted and disappear from the server within 72 hours.')))));
  root.replaceChildren(view);
  listTitle.focus();

  return {
    /** @param {State} _s */
    update(_s) {},
    unmount() {
      document.removeEventListener('keydown', onKey);
      document.removeEventListener('pointerdown', onOutside);
      document.removeEventListener('focusin', onOutside);
      view.remove();
    },
  };
}
