// @ts-check
// Settings: the display name contacts see, chat privacy and notifications, and the
// people you blocked.

import { fullDate, timeAgo } from '../core/format.js';
import { chatSettings } from './chats.js';
import { h, keyed, setChildren, uid } from '../ui/dom.js';
import { paneFrame } from '../ui/pane.js';
import { appearanceSettings, dangerSettings, securitySettings, sessionsSettings } from './account.js';
import { profileSettings } from './profile.js';

/** @typedef {import('../core/state.js').State} State */
/** @typedef {import('../core/api.js').Blocked} Blocked */
/** @typedef {import('../contacts/actions.js').PeopleActions} PeopleActions */

/**
 * @param {HTMLElement} root
 * @param {{state: State, people: PeopleActions, chats: import('../chats/actions.js').ChatActions, close: () => void,
 *   account: import('../accounts/actions.js').AccountActions, show: (pane: import('../core/state.js').Pane) => void}} p
 */
export function mountSettings(root, { state, people, chats, close, account, show }) {
  const chatPart = chatSettings({ state, chats });
  const profilePart = profileSettings({ state, account });
  const ids = { blocked: uid('blocked') };
  const blockedError = h('p', { class: 'form-error', role: 'alert' });
  const blockedList = h('ul', { class: 'entries', tabindex: -1, 'aria-labelledby': ids.blocked });
  const blockedEmpty = h('p', { class: 'muted' }, 'You have not blocked anyone.');

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
    profilePart.view,
    appearanceSettings(),
    chatPart.view,
    h('section', { class: 'pane-section', 'aria-labelledby': ids.blocked },
      h('h3', { id: ids.blocked }, 'Blocked users'),
      h('p', { class: 'hint' }, 'Blocked people cannot send you requests. Unblocking does not reconnect you.'),
      blockedError, blockedEmpty, blockedList),
    sessionsSettings({ account }),
    securitySettings({ account, showKey: () => show({ kind: 'key' }) }),
    dangerSettings({ state, account }));
  root.replaceChildren(view);
  heading.focus();

  /** @param {State} s @param {State | null} prev */
  function update(s, prev) {
    if (s.chats.settings !== prev?.chats.settings || s.chats.notify !== prev?.chats.notify) chatPart.update(s);
    if (s.people.blocked !== prev?.people.blocked) {
      keyed(blockedList, s.people.blocked, (b) => b.user_id, blockedEntry);
      blockedEmpty.hidden = s.people.blocked.length > 0;
    }
    profilePart.update(s, prev);
  }
  update(state, null);

  return { update, unmount: () => view.remove() };
}
