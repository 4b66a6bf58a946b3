// @ts-check
// Settings: the disappearing timer new chats start with (stored on the server with the
// other chat settings; a direct chat takes the shorter of its two people's defaults).

import { TIMERS, timerLabel } from './timers.js';
import { h, setChildren, uid } from '../ui/dom.js';

/** @typedef {import('../core/state.js').State} State */
/** @typedef {import('../chats/actions.js').ChatActions} ChatActions */

/** @param {{state: State, chats: ChatActions}} p */
export function timerSettings({ state, chats }) {
  const id = uid('default-timer');
  const hintId = uid('default-timer-hint');
  const select = h('select', { id, 'aria-describedby': hintId },
    TIMERS.map((s) => h('option', { value: s }, timerLabel(s))));
  const alert = h('p', { class: 'form-error', role: 'alert' });
  const saved = h('p', { class: 'hint', role: 'status', 'aria-live': 'polite' });
  const view = h('div', { class: 'field' },
    h('label', { for: id }, 'Default timer for new chats'), select,
    h('p', { id: hintId, class: 'hint' }, 'How long messages last in chats you start from now on. Each chat can change its own.'),
    alert, saved);

  select.addEventListener('change', async () => {
    setChildren(alert);
    setChildren(saved);
    select.disabled = true;
    const outcome = await chats.saveSettings({ default_timer_secs: Number(select.value) });
    select.disabled = false;
    if (outcome.ok) setChildren(saved, 'Saved.');
    else setChildren(alert, outcome.error);
    update(current);
  });

  let current = state;
  /** @param {State} s */
  function update(s) {
    current = s;
    const secs = s.chats.settings?.default_timer_secs;
    view.hidden = !secs;
    if (secs && document.activeElement !== select) select.value = String(secs);
  }
  update(state);
  return { view, update };
}
