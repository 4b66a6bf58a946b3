// @ts-check
// How a person reaches a message's menu, whatever they hold: the ⋯ button (mouse),
// right-click or the context-menu key (desktop), a long press (touch), and from the
// keyboard: in the message list ↑/↓ move between messages, Home/End go to the first
// and last, Enter (or the context-menu key, or Shift+F10) opens the menu, and an
// action's letter runs it at once. Only sent messages (with a seq) take part.

// A press held this long without moving is a long press (the platforms use ~500 ms).
const LONG_PRESS_MS = 500;
const MOVE_SLOP_PX = 10;

/** @param {EventTarget | null} t @returns {HTMLElement | null} */
export const messageOf = (t) => (t instanceof Element ? /** @type {HTMLElement | null} */ (t.closest('li.msg[data-seq]')) : null);

/**
 * @param {{list: HTMLElement, scroller: HTMLElement,
 *   open: (li: HTMLElement, anchor: HTMLElement, at?: {x: number, y: number}) => void,
 *   key: (li: HTMLElement, e: KeyboardEvent) => boolean}} p
 *   open: shows the menu of the message `li`; key: runs the action a letter names (true if one ran)
 */
export function bindMessageKeys({ list, scroller, open, key }) {
  // A deleted message (a tombstone) is not focusable and has no actions: the arrows pass it.
  const messages = () => /** @type {HTMLElement[]} */ ([...list.querySelectorAll('li.msg[data-seq][tabindex]')]);

  /** @param {HTMLElement | undefined} li */
  function focus(li) {
    if (!li) return;
    li.focus();
    li.scrollIntoView({ block: 'nearest' });
  }

  scroller.addEventListener('keydown', (e) => {
    const li = messageOf(e.target);
    const all = messages();
    if (e.target === scroller && (e.key === 'ArrowUp' || e.key === 'End')) {
      // Into the list from its container: the latest message first.
      e.preventDefault();
      return focus(all[all.length - 1]);
    }
    if (e.target === scroller && (e.key === 'ArrowDown' || e.key === 'Home')) {
      e.preventDefault();
      return focus(e.key === 'Home' ? all[0] : all[all.length - 1]);
    }
    if (!li || e.target !== li) return;
    const i = all.indexOf(li);
    if (e.key === 'ArrowUp' || e.key === 'ArrowDown') focus(all[e.key === 'ArrowUp' ? Math.max(0, i - 1) : Math.min(all.length - 1, i + 1)]);
    else if (e.key === 'Home') focus(all[0]);
    else if (e.key === 'End') focus(all[all.length - 1]);
    else if (e.key === 'Enter' || e.key === 'ContextMenu' || (e.key === 'F10' && e.shiftKey)) open(li, li);
    else if (!key(li, e)) return;
    e.preventDefault();
  });

  // Right-click, and the context-menu key on a button inside the message.
  list.addEventListener('contextmenu', (e) => {
    const li = messageOf(e.target);
    if (!li || e.target instanceof HTMLAnchorElement) return;
    e.preventDefault();
    open(li, li, e.clientX || e.clientY ? { x: e.clientX, y: e.clientY } : undefined);
  });

  /** @type {{timer: ReturnType<typeof setTimeout>, x: number, y: number} | null} */
  let press = null;
  const cancel = () => {
    if (press) clearTimeout(press.timer);
    press = null;
  };
  list.addEventListener('pointerdown', (e) => {
    const li = messageOf(e.target);
    if (!li || e.pointerType !== 'touch') return;
    cancel();
    const at = { x: e.clientX, y: e.clientY };
    press = { x: e.clientX, y: e.clientY, timer: setTimeout(() => { press = null; open(li, li, at); }, LONG_PRESS_MS) };
  });
  list.addEventListener('pointermove', (e) => {
    if (press && Math.hypot(e.clientX - press.x, e.clientY - press.y) > MOVE_SLOP_PX) cancel();
  });
  for (const type of ['pointerup', 'pointercancel', 'pointerleave']) list.addEventListener(type, cancel);
  return { focus, messages, stop: cancel };
}
