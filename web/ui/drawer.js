// @ts-check
// On narrow screens a page takes the whole width; the chat list then slides in as a
// drawer from a "Chats" button in the header. Wide screens never show the button.

import { h } from './dom.js';

/** @param {{layout: HTMLElement, sidebar: HTMLElement}} p */
export function chatDrawer({ layout, sidebar }) {
  sidebar.id ||= 'sidebar';
  const button = h('button', {
    type: 'button', class: 'button quiet drawer-toggle', 'aria-expanded': 'false', 'aria-controls': sidebar.id,
    onclick: () => setOpen(!layout.classList.contains('drawer-open')),
  }, h('span', { class: 'drawer-icon', 'aria-hidden': 'true' }), h('span', { class: 'button-label' }, 'Chats'));
  button.setAttribute('aria-label', 'Show chats');

  /** @param {boolean} open */
  function setOpen(open) {
    layout.classList.toggle('drawer-open', open);
    button.setAttribute('aria-expanded', String(open));
    button.setAttribute('aria-label', open ? 'Hide chats' : 'Show chats');
    if (open) sidebar.querySelector('h2')?.setAttribute('tabindex', '-1');
    if (open) /** @type {HTMLElement | null} */ (sidebar.querySelector('h2'))?.focus();
  }
  /** @param {KeyboardEvent} e */
  const onKey = (e) => {
    if (e.key === 'Escape' && layout.classList.contains('drawer-open')) {
      setOpen(false);
      button.focus();
    }
  };
  document.addEventListener('keydown', onKey);
  return {
    button,
    close: () => setOpen(false),
    unmount: () => document.removeEventListener('keydown', onKey),
  };
}
