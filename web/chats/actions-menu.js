// @ts-check
// What can be done to one message, and the menu that offers it. Actions are registered
// (registerAction) by whichever module owns them, so the message row knows none of
// them: it only asks for a menu. The menu is a WAI-ARIA menu: arrow keys move, Enter
// or Space runs, Esc or Tab closes and gives the focus back to the message. On a
// focused message an action's `key` runs it directly (view.js).

import { h } from '../ui/dom.js';

/** @typedef {import('./state.js').Msg} Msg */
/** @typedef {import('./state.js').ChatEntry} ChatEntry */

/**
 * What an action needs from the open chat. `view` holds what the chat view offers
 * (its composer, its dialogs); other modules may add their own entries.
 * @typedef {object} ActionCtx
 * @property {string} chatId
 * @property {string | null} me
 * @property {boolean} own                 the message is the signed-in user's
 * @property {ChatEntry} entry
 * @property {import('./actions.js').ChatActions} chats
 * @property {HTMLElement} opener          where the focus goes back to (the message or its button)
 * @property {Record<string, (msg: Msg, opener: HTMLElement) => void>} view
 */

/**
 * @typedef {object} MessageAction
 * @property {string} id
 * @property {string} label                       shown in the menu (a verb: "Reply")
 * @property {string} [key]                       one lowercase letter that runs it on a focused message
 * @property {number} [order]                     lower first; 100 when absent
 * @property {(msg: Msg, ctx: ActionCtx) => boolean} when   offered for this message?
 * @property {(msg: Msg, ctx: ActionCtx) => void} run
 */

/** @type {MessageAction[]} */
const registry = [];

/** Adds an action, or replaces the one with the same id. @param {MessageAction} action */
export function registerAction(action) {
  if (action.key !== undefined && !/^[a-z]$/.test(action.key)) throw new Error(`action ${action.id}: key must be one letter a-z`);
  const clash = registry.find((a) => a.id !== action.id && a.key !== undefined && a.key === action.key);
  if (clash) throw new Error(`action ${action.id}: key "${action.key}" is already ${clash.id}'s`);
  const at = registry.findIndex((a) => a.id === action.id);
  if (at >= 0) registry.splice(at, 1, action);
  else registry.push(action);
}

/** @param {string} id */
export function unregisterAction(id) {
  const at = registry.findIndex((a) => a.id === id);
  if (at >= 0) registry.splice(at, 1);
}

/**
 * The actions offered for a message, in menu order. An action whose `when` throws is
 * left out rather than breaking the menu.
 * @param {Msg} msg @param {ActionCtx} ctx @returns {MessageAction[]}
 */
export function actionsFor(msg, ctx) {
  return registry
    .filter((a) => {
      try {
        return a.when(msg, ctx);
      } catch {
        return false;
      }
    })
    .sort((a, b) => (a.order ?? 100) - (b.order ?? 100));
}

/**
 * The action a key press on a focused message runs, if any (no modifiers but Shift).
 * @param {{key: string, ctrlKey?: boolean, altKey?: boolean, metaKey?: boolean}} e
 * @param {Msg} msg @param {ActionCtx} ctx
 */
export function actionForKey(e, msg, ctx) {
  if (e.ctrlKey || e.altKey || e.metaKey || e.key.length !== 1) return null;
  const key = e.key.toLowerCase();
  return actionsFor(msg, ctx).find((a) => a.key === key) ?? null;
}

/** @type {{close: () => void} | null} */
let openMenu = null;

/**
 * Opens the menu of a message next to `anchor` (or at a pointer position). Only one
 * menu is open at a time.
 * @param {{msg: Msg, ctx: ActionCtx, anchor: HTMLElement, at?: {x: number, y: number}}} p
 */
export function openActionsMenu({ msg, ctx, anchor, at }) {
  openMenu?.close();
  const actions = actionsFor(msg, ctx);
  if (!actions.length) return null;
  const items = actions.map((a) => h('button', {
    type: 'button', role: 'menuitem', class: 'menu-item', tabindex: -1,
    'aria-keyshortcuts': a.key ? a.key.toUpperCase() : null, 'data-action': a.id,
    onclick: () => choose(a),
  }, h('span', null, a.label), a.key ? h('kbd', { 'aria-hidden': 'true' }, a.key.toUpperCase()) : null));
  const menu = h('div', { class: 'actions-menu', role: 'menu', 'aria-label': 'Message actions' }, items);
  let closed = false;

  /** @param {boolean} [refocus] */
  function close(refocus = true) {
    if (closed) return;
    closed = true;
    menu.remove();
    document.removeEventListener('pointerdown', outside, true);
    // A menu left floating over a list that moved would point at another message.
    document.removeEventListener('scroll', moved, true);
    window.removeEventListener('resize', moved);
    if (openMenu === handle) openMenu = null;
    if (refocus && ctx.opener.isConnected) ctx.opener.focus();
  }
  /** @param {MessageAction} a */
  function choose(a) {
    close();
    a.run(msg, ctx);
  }
  /** @param {PointerEvent} e */
  function outside(e) {
    if (!menu.contains(/** @type {Node} */ (e.target))) close(false);
  }
  const moved = () => close();
  /** @param {number} i */
  const focusItem = (i) => items[(i + items.length) % items.length]?.focus();

  menu.addEventListener('keydown', (e) => {
    const i = items.indexOf(/** @type {HTMLButtonElement} */ (document.activeElement));
    if (e.key === 'ArrowDown') focusItem(i + 1);
    else if (e.key === 'ArrowUp') focusItem(i - 1);
    else if (e.key === 'Home') focusItem(0);
    else if (e.key === 'End') focusItem(items.length - 1);
    else if (e.key === 'Escape' || e.key === 'Tab') close();
    else if (e.key.length === 1 && !e.ctrlKey && !e.altKey && !e.metaKey && e.key !== ' ') {
      // A letter picks the action that has it as its key.
      const a = actions.find((x) => x.key === e.key.toLowerCase());
      if (a) choose(a);
      else return;
    } else return;
    e.preventDefault();
    // Esc must not also close the chat behind the menu.
    e.stopPropagation();
  });

  document.body.append(menu);
  place(menu, anchor, at);
  document.addEventListener('pointerdown', outside, true);
  document.addEventListener('scroll', moved, true);
  window.addEventListener('resize', moved);
  const handle = { close, menu };
  openMenu = handle;
  focusItem(0);
  return handle;
}

/** Closes whatever message menu is open (the chat closing, say). */
export const closeActionsMenu = () => openMenu?.close();

/**
 * Fixed position beside the anchor (or the pointer), kept inside the window.
 * @param {HTMLElement} menu @param {HTMLElement} anchor @param {{x: number, y: number}} [at]
 */
function place(menu, anchor, at) {
  const r = anchor.getBoundingClientRect();
  const m = menu.getBoundingClientRect();
  const x = at ? at.x : r.left;
  const y = at ? at.y : r.bottom;
  const left = Math.max(4, Math.min(x, window.innerWidth - m.width - 4));
  const top = y + m.height + 4 > window.innerHeight ? Math.max(4, (at ? at.y : r.top) - m.height) : y;
  menu.style.setProperty('left', `${Math.round(left)}px`);
  menu.style.setProperty('top', `${Math.round(top)}px`);
}
