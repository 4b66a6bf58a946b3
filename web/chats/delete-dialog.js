// @ts-check
// "Delete message?": for everyone (own messages) or only on this device.

import { openDialog } from '../ui/dialog.js';
import { h, setChildren, uid } from '../ui/dom.js';

/** @typedef {import('./state.js').Msg} Msg */

/**
 * @param {{msg: Msg, own: boolean, chatId: string, chats: import('./actions.js').ChatActions,
 *   opener: HTMLElement, problem: HTMLElement}} p  problem: where a failed delete is said
 */
export function askDelete({ msg, own, chatId, chats, opener, problem }) {
  const textId = uid('delete-text');
  /** @param {string} how */
  const choose = (how) => () => dialog.close(how);
  const dialog = openDialog({
    title: 'Delete message?',
    describedBy: textId,
    className: 'confirm',
    returnFocus: opener,
    content: [
      h('p', { id: textId }, own
        ? 'Delete it for everyone in this chat, or only hide it on this device.'
        : 'It disappears from this device; the others still see it.'),
      h('div', { class: 'dialog-actions' },
        h('button', { type: 'button', class: 'button', onclick: choose('cancel') }, 'Cancel'),
        h('button', { type: 'button', class: 'button danger', onclick: choose('me') }, 'Delete for me'),
        own ? h('button', { type: 'button', class: 'button danger-solid', onclick: choose('everyone') }, 'Delete for everyone')
          : null),
    ],
    onClose: async (how) => {
      setChildren(problem);
      if (how === 'me') chats.deleteForMe(chatId, msg.id);
      if (how === 'everyone') {
        const outcome = await chats.deleteForEveryone(chatId, msg);
        if (!outcome.ok) setChildren(problem, `Not deleted: ${outcome.error}`);
      }
    },
  });
  return dialog;
}
