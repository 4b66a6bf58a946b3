// @ts-check
// The chat part of Settings: typing indicators and read receipts (stored on the server,
// both off by default, and only ever shared with people who share theirs), and desktop
// notifications (this browser only; message text in them is a separate choice, since a
// notification shows on a locked screen).

import { h, setChildren, uid } from '../ui/dom.js';
import { timerSettings } from '../expiry/timer-settings.js';

/** @typedef {import('../core/state.js').State} State */
/** @typedef {import('../chats/actions.js').ChatActions} ChatActions */
/** @typedef {import('../core/outcome.js').Outcome} Outcome */

/** @param {string} label @param {string} hint */
function toggle(label, hint) {
  const id = uid('toggle');
  const hintId = uid('toggle-hint');
  const box = h('input', { id, type: 'checkbox', class: 'check', 'aria-describedby': hintId });
  const row = h('div', { class: 'toggle-row' }, box,
    h('div', null, h('label', { for: id }, label), h('p', { id: hintId, class: 'hint' }, hint)));
  return { box, row };
}

/** @param {{state: State, chats: ChatActions}} p */
export function chatSettings({ state, chats }) {
  const alert = h('p', { class: 'form-error', role: 'alert' });
  const typing = toggle('Typing indicators', 'Show when you are typing, and see when others are. Only between people who both turn it on.');
  const receipts = toggle('Read receipts', 'Let others see when you have read their messages, and see when they read yours. Only between people who both turn it on.');
  const unavailable = h('p', { class: 'muted', hidden: true }, 'This server does not offer these settings yet.');
  const notify = toggle('Desktop notifications', 'A notification when a message arrives while MessGo is in the background.');
  const showText = toggle('Show message text in notifications', 'Otherwise a notification only says "New message".');
  const timer = timerSettings({ state, chats });

  /** @param {HTMLInputElement} box @param {() => Promise<Outcome>} run */
  async function change(box, run) {
    setChildren(alert);
    box.disabled = true;
    const outcome = await run();
    box.disabled = false;
    if (!outcome.ok) setChildren(alert, outcome.error);
    update(current);
  }

  typing.box.addEventListener('change', () => change(typing.box, () => chats.saveSettings({ typing_indicators: typing.box.checked })));
  receipts.box.addEventListener('change', () => change(receipts.box, () => chats.saveSettings({ read_receipts: receipts.box.checked })));
  notify.box.addEventListener('change', () => change(notify.box, () => chats.setNotify({ enabled: notify.box.checked })));
  showText.box.addEventListener('change', () => change(showText.box, () => chats.setNotify({ showText: showText.box.checked })));

  const view = [
    h('section', { class: 'pane-section', 'aria-label': 'Privacy' },
      h('h3', null, 'Privacy'), unavailable, typing.row, receipts.row, timer.view),
    h('section', { class: 'pane-section', 'aria-label': 'Notifications' },
      h('h3', null, 'Notifications'), notify.row, showText.row),
    alert,
  ];

  let current = state;
  /** @param {State} s */
  function update(s) {
    current = s;
    const settings = s.chats.settings;
    unavailable.hidden = Boolean(settings);
    typing.row.hidden = receipts.row.hidden = !settings;
    typing.box.checked = Boolean(settings?.typing_indicators);
    receipts.box.checked = Boolean(settings?.read_receipts);
    notify.box.checked = s.chats.notify.enabled;
    showText.box.checked = s.chats.notify.showText;
    showText.box.disabled = !s.chats.notify.enabled;
    timer.update(s);
  }
  update(state);
  return { view, update };
}
