// @ts-check
// Modal dialogs on the native <dialog>: showModal() makes the rest of the page inert
// and turns Esc into a close, so the focus trap and the escape hatch come from the
// browser. This module adds what it does not: focus on the right field, focus back to
// whatever opened the dialog, and a promise-shaped confirmation.

import { h, uid } from './dom.js';

/** @typedef {import('./dom.js').Child} Child */

/** @type {Set<HTMLDialogElement>} */
const open = new Set();

/**
 * @param {{title: string, content: Child[], focus?: HTMLElement | null, returnFocus?: HTMLElement | null,
 *   onClose?: (value: string) => void, className?: string, describedBy?: string}} p
 *   returnFocus: where focus goes afterwards when the opener is gone or hidden (a menu that closed)
 */
export function openDialog({ title, content, focus, returnFocus, onClose, className, describedBy }) {
  const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  const titleId = uid('dialog-title');
  const dialog = h('dialog', { class: `dialog ${className ?? ''}`.trim(), 'aria-labelledby': titleId,
    'aria-describedby': describedBy },
  h('h2', { id: titleId, class: 'dialog-title' }, title),
  ...content);

  dialog.addEventListener('close', () => {
    open.delete(dialog);
    dialog.remove();
    onClose?.(dialog.returnValue);
    const back = opener?.isConnected && opener.checkVisibility?.() !== false ? opener : returnFocus;
    back?.focus();
  });
  document.body.append(dialog);
  open.add(dialog);
  dialog.showModal();
  (focus ?? dialog.querySelector(/** @type {'input'} */ ('input, select, textarea, button')))?.focus();
  return {
    dialog,
    /** @param {string} [value] */
    close: (value) => dialog.close(value),
  };
}

/** Closes every open dialog, e.g. when the view behind them goes away. */
export function closeAllDialogs() {
  for (const dialog of [...open]) dialog.close();
}

/**
 * Asks before doing something that cannot be undone. Focus starts on Cancel, so an
 * Enter pressed by habit does not confirm.
 * @param {{title: string, text: string, confirm: string, returnFocus?: HTMLElement | null}} p
 * @returns {Promise<boolean>}
 */
export function confirmDialog({ title, text, confirm, returnFocus }) {
  return new Promise((resolve) => {
    const textId = uid('dialog-text');
    const cancelButton = h('button', { type: 'button', class: 'button', onclick: () => close('cancel') }, 'Cancel');
    const confirmButton = h('button', { type: 'button', class: 'button danger-solid', onclick: () => close('confirm') },
      confirm);
    const { close } = openDialog({
      title,
      describedBy: textId,
      className: 'confirm',
      content: [
        h('p', { id: textId }, text),
        h('div', { class: 'dialog-actions' }, cancelButton, confirmButton),
      ],
      focus: cancelButton,
      returnFocus,
      onClose: (value) => resolve(value === 'confirm'),
    });
  });
}
