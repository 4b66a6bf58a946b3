// @ts-check
// The profile menu in the header: who is signed in, the connect key and settings
// pages, the theme, and logging out. A disclosure, not a modal: Esc or a click
// elsewhere closes it.

import { avatarBubble } from '../ui/avatars.js';
import { h, uid } from '../ui/dom.js';
import { PREFERENCES, preference, setPreference } from './theme.js';

/** @typedef {import('../core/state.js').State} State */

const THEME_LABELS = { system: 'System', light: 'Light', dark: 'Dark' };

/**
 * @param {{state: State, logout: () => void, showKey: () => void, showSettings: () => void,
 *   showInvites?: () => void}} p
 *   showInvites: the invite links page (absent where only the operator invites)
 */
export function profileMenu({ state, logout, showKey, showSettings, showInvites }) {
  const username = state.me?.username ?? '';
  const menuId = uid('profile-menu');
  const themeId = uid('theme');

  const avatar = avatarBubble();
  const shownName = h('span', { class: 'profile-name' });
  const button = h('button', {
    type: 'button', class: 'profile-button', 'aria-expanded': 'false', 'aria-controls': menuId,
    'aria-label': `Profile menu for ${username}`,
  }, avatar.view, shownName);

  const themeSelect = h('select', {
    id: themeId,
    onchange: () => setPreference(/** @type {import('./theme.js').ThemePreference} */ (themeSelect.value)),
  }, PREFERENCES.map((p) => h('option', { value: p, selected: p === preference() }, THEME_LABELS[p])));

  /** @param {() => void} go */
  const item = (go) => () => {
    setOpen(false);
    go();
  };

  const menu = h('div', { id: menuId, class: 'menu', role: 'group', 'aria-label': 'Profile', hidden: true },
    h('p', { class: 'menu-user' }, 'Signed in as ', h('strong', null, username)),
    h('div', { class: 'menu-items' },
      h('button', { type: 'button', class: 'menu-item', onclick: item(showKey) }, 'Your connect key'),
      showInvites && h('button', { type: 'button', class: 'menu-item', onclick: item(showInvites) }, 'Invite links'),
      h('button', { type: 'button', class: 'menu-item', onclick: item(showSettings) }, 'Settings')),
    h('div', { class: 'field inline' }, h('label', { for: themeId }, 'Theme'), themeSelect),
    h('button', { type: 'button', class: 'button danger', onclick: () => logout() }, 'Log out'));

  /** @param {boolean} open @param {boolean} [refocus] */
  function setOpen(open, refocus = false) {
    menu.hidden = !open;
    button.setAttribute('aria-expanded', String(open));
    if (open) themeSelect.focus();
    else if (refocus) button.focus();
  }
  button.addEventListener('click', () => setOpen(menu.hidden));

  const view = h('div', { class: 'profile' }, button, menu);
  /** @param {KeyboardEvent} e */
  const onKey = (e) => {
    if (e.key === 'Escape' && !menu.hidden) setOpen(false, true);
  };
  /** @param {MouseEvent | FocusEvent} e */
  const onOutside = (e) => {
    if (!menu.hidden && e.target instanceof Node && !view.contains(e.target)) setOpen(false);
  };
  document.addEventListener('keydown', onKey);
  document.addEventListener('pointerdown', onOutside);
  document.addEventListener('focusin', onOutside);

  return {
    view,
    /** @param {State} s */
    update(s) {
      // Contacts see the display name; here it reminds you what they see.
      const name = s.me?.display_name || s.me?.username || '';
      if (shownName.textContent !== name) {
        shownName.textContent = name;
        // The visible name starts the accessible one (WCAG 2.5.3, label in name).
        button.setAttribute('aria-label', name === username ? `Profile menu for ${username}` : `${name}, profile menu for ${username}`);
      }
      avatar.set(s.me, name);
    },
    unmount() {
      document.removeEventListener('keydown', onKey);
      document.removeEventListener('pointerdown', onOutside);
      document.removeEventListener('focusin', onOutside);
    },
  };
}
