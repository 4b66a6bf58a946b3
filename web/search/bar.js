// @ts-check
// Ctrl+F in an open chat: a search bar above the messages. Typing finds the messages
// of this chat whose text or file names hold every word (case and accents aside);
// Enter or ↑ goes to the next older match, Shift+Enter or ↓ to the next newer one;
// Esc closes the bar. Older pages load while searching, so the whole 72 hours are
// covered. Nothing typed here is stored.

import { h, setChildren } from '../ui/dom.js';
import { jumpTo, nextFrame } from './jump.js';
import { loadAllOlder } from './older.js';
import { searchChat } from './find.js';

/** @typedef {import('../core/state.js').State} State */
/** @typedef {import('./find.js').Hit} Hit */

/** Ctrl+F (⌘F on a Mac), without other modifiers. @param {KeyboardEvent} e */
export const isFindKey = (e) => (e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey && e.key.toLowerCase() === 'f';

/**
 * @param {{chatId: string, state: () => State, list: HTMLElement, loadOlder: () => Promise<unknown>,
 *   done: () => void}} p  done: where the focus goes when the bar closes
 */
export function chatSearch({ chatId, state, list, loadOlder, done }) {
  const input = h('input', { type: 'search', class: 'search-input', 'aria-label': 'Search in chat',
    placeholder: 'Search this chat', autocomplete: 'off', spellcheck: 'false' });
  const status = h('span', { class: 'search-status muted', role: 'status' });
  const button = (/** @type {string} */ label, /** @type {string} */ text, /** @type {() => void} */ onclick) =>
    h('button', { type: 'button', class: 'button quiet small', 'aria-label': label, title: label, onclick }, text);
  const view = h('div', { class: 'search-bar', role: 'search', 'aria-label': 'Search in chat', hidden: true },
    input, status,
    button('Older match', '↑', () => step(-1)),
    button('Newer match', '↓', () => step(1)),
    button('Close search', '✕', close));

  /** @type {Hit[]} */
  let hits = [];
  /** @type {string | null} */
  let currentId = null;
  let searchingOlder = false;
  let alive = true;

  const entry = () => state().chats.byId[chatId];

  function recompute() {
    const e = entry();
    hits = e ? searchChat(e, state().chats, input.value) : [];
    render();
    // Matches that came with older pages: the newest is the one to show first.
    if (!currentId && hits.length) go(hits.length - 1);
  }

  function render() {
    const i = hits.findIndex((x) => x.id === currentId);
    let text = '';
    if (input.value.trim()) text = hits.length ? `${i >= 0 ? i + 1 : '–'} of ${hits.length}` : 'No matches';
    if (searchingOlder) text = `${text ? `${text}; ` : ''}searching older messages…`;
    if (status.textContent !== text) setChildren(status, text);
    for (const el of list.querySelectorAll('li[aria-current]')) if (el.getAttribute('data-id') !== currentId) el.removeAttribute('aria-current');
    if (currentId) list.querySelector(`li[data-id="${CSS.escape(currentId)}"]`)?.setAttribute('aria-current', 'true');
  }

  /** @param {number} i */
  async function go(i) {
    const hit = hits[i];
    if (!hit) return;
    currentId = hit.id;
    render();
    await jumpTo({ list, id: hit.id, hasOlder: () => Boolean(entry()?.hasOlder), loadOlder, rendered: nextFrame });
    render();
  }

  /** -1: the next older match, 1: the next newer one (round the ends). @param {number} by */
  function step(by) {
    if (!hits.length) return;
    const i = hits.findIndex((x) => x.id === currentId);
    go(i < 0 ? hits.length - 1 : (i + by + hits.length) % hits.length);
  }

  async function searchOlder() {
    if (searchingOlder || !entry()?.hasOlder) return;
    searchingOlder = true;
    render();
    await loadAllOlder({
      ids: () => [chatId], hasOlder: () => Boolean(entry()?.hasOlder), oldest: () => entry()?.messages[0]?.seq ?? null,
      loadOlder: () => loadOlder(), alive: () => alive && !view.hidden,
    });
    searchingOlder = false;
    recompute();
  }

  input.addEventListener('input', () => {
    currentId = null;
    recompute();
    if (input.value.trim()) searchOlder();
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === 'ArrowUp' || e.key === 'ArrowDown') {
      e.preventDefault();
      step(e.key === 'ArrowDown' || (e.key === 'Enter' && e.shiftKey) ? 1 : -1);
    } else if (e.key === 'Escape') {
      e.preventDefault();
      close();
    }
  });

  function open() {
    view.hidden = false;
    input.focus();
    input.select();
    if (input.value.trim()) searchOlder();
  }

  function close() {
    view.hidden = true;
    currentId = null;
    hits = [];
    input.value = '';
    render();
    done();
  }

  /** @param {KeyboardEvent} e */
  const onKey = (e) => {
    if (!isFindKey(e) || !view.isConnected) return;
    e.preventDefault();
    open();
  };
  document.addEventListener('keydown', onKey);

  return {
    view,
    /** The state changed: matches may have loaded or opened since. */
    update() {
      if (!view.hidden && input.value.trim()) recompute();
    },
    unmount() {
      alive = false;
      document.removeEventListener('keydown', onKey);
    },
  };
}
