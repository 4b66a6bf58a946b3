// @ts-check
// Writing a reply: the message being answered sits above the composer (with a ✕, or
// Esc, to drop it) until the reply is sent; the sent message names it by id only.

import { quoteOf, replyBar } from './quote.js';
import { setChildren } from '../ui/dom.js';

/** @typedef {import('./state.js').Msg} Msg */
/** @typedef {import('../core/state.js').State} State */

/**
 * @param {{chatId: string, state: () => State, input: HTMLTextAreaElement, slot: HTMLElement,
 *   thumb: (ref: import('./quote.js').ImageRef | import('./quote.js').FileRef) => Promise<string>}} p
 *   slot: the composer's place for the reply bar
 */
export function createReply({ chatId, state, input, slot, thumb }) {
  /** @type {string | null} */
  let replyTo = null;

  function cancel() {
    replyTo = null;
    setChildren(slot);
    slot.hidden = true;
    input.focus();
  }

  /** @param {Msg} msg */
  function start(msg) {
    const s = state();
    const e = s.chats.byId[chatId];
    if (!e) return;
    const q = quoteOf(e, s.chats, msg.id, s.people.contacts, s.me?.user_id ?? null);
    if (q.missing) return;
    replyTo = msg.id;
    setChildren(slot, replyBar(q, { cancel, thumb }));
    slot.hidden = false;
    input.focus();
  }

  input.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && replyTo) {
      // Esc drops the reply first; only the next one closes the chat.
      e.preventDefault();
      cancel();
    }
  });

  return {
    start,
    cancel,
    /** @returns {import('../crypto/plaintext.js').MessageExtra | undefined} */
    extra: () => (replyTo ? { reply: { id: replyTo } } : undefined),
    /** After a send: the reply went with it. */
    sent() {
      if (replyTo) cancel();
    },
  };
}
