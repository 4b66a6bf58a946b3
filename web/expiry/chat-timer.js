// @ts-check
// A chat's disappearing-message timer, in its header: how long new messages last, and
// a dialog to change it (either person of a direct chat, only admins of a group; the
// server says so to everyone with a system line). Messages already sent keep theirs.

import { TIMERS, timerLabel } from './timers.js';
import { openDialog } from '../ui/dialog.js';
import { h, setChildren, uid } from '../ui/dom.js';

/** @typedef {import('../core/state.js').State} State */
/** @typedef {import('../chats/state.js').ChatEntry} ChatEntry */
/** @typedef {import('../chats/actions.js').ChatActions} ChatActions */

/** @param {ChatEntry} e @param {string | null} me */
export const mayChangeTimer = (e, me) =>
  e.chat.kind !== 'group' || e.chat.members.some((m) => m.user_id === me && m.role === 'admin');

/** @param {{chatId: string, chats: ChatActions}} p */
export function chatTimer({ chatId, chats }) {
  const shown = h('span', { class: 'timer-value' });
  const button = h('button', { type: 'button', class: 'button quiet small chat-timer', onclick: () => openChooser() },
    h('span', { class: 'timer-icon', 'aria-hidden': 'true' }), shown);
  /** @type {ChatEntry | null} */
  let entry = null;
  let me = /** @type {string | null} */ (null);

  function openChooser() {
    const e = entry;
    if (!e) return;
    const current = e.chat.timer_secs ?? 0;
    const allowed = mayChangeTimer(e, me);
    const selectId = uid('timer');
    const hintId = uid('timer-hint');
    const select = h('select', { id: selectId, disabled: !allowed, 'aria-describedby': hintId },
      TIMERS.map((s) => h('option', { value: s, selected: s === current }, timerLabel(s))));
    const error = h('p', { class: 'form-error', role: 'alert' });
    const save = h('button', { type: 'submit', class: 'button primary', disabled: !allowed }, 'Save');
    const form = h('form', {
      class: 'auth-form', novalidate: true,
      async onsubmit(/** @type {SubmitEvent} */ ev) {
        ev.preventDefault();
        const seconds = Number(select.value);
        if (seconds === current) return dialog.close();
        save.disabled = true;
        setChildren(error);
        const outcome = await chats.setTimer(chatId, seconds);
        save.disabled = false;
        if (outcome.ok) dialog.close();
        else setChildren(error, outcome.error);
      },
    },
    h('div', { class: 'field' }, h('label', { for: selectId }, 'New messages disappear after'), select,
      h('p', { id: hintId, class: 'hint' }, allowed
        ? 'For everyone in this chat, from the next message on. The server never keeps messages longer than 3 days.'
        : 'Only the group\'s admins can change this.')),
    error,
    h('div', { class: 'dialog-actions' },
      h('button', { type: 'button', class: 'button', onclick: () => dialog.close() }, 'Cancel'), save));
    const dialog = openDialog({ title: 'Disappearing messages', content: [form], returnFocus: button });
  }

  return {
    view: button,
    /** @param {State} s @param {ChatEntry} e */
    update(s, e) {
      entry = e;
      me = s.me?.user_id ?? null;
      const secs = e.chat.timer_secs;
      button.hidden = !secs;
      const label = secs ? timerLabel(secs) : '';
      if (shown.textContent !== label) {
        shown.textContent = label;
        button.setAttribute('aria-label', `Disappearing messages: ${label}`);
        button.setAttribute('title', `New messages disappear after ${label}`);
      }
    },
  };
}
