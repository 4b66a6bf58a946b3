// @ts-check
// The message field: Enter sends, Shift+Enter starts a new line, and typing tells the
// others (at most every few seconds, and only when both sides turned that on; the
// chats actions decide).

import { h, setChildren, uid } from '../ui/dom.js';

/**
 * @param {{send: (text: string) => {ok: true} | {ok: false, error: string}, typing: () => void, label: string,
 *   attach?: {view: HTMLElement, tools: HTMLElement}, voice?: HTMLElement, quote?: HTMLElement}} p
 *   attach: the attached images (above the field) and the button to pick them (beside it);
 *   voice: the mic button (web/voice/button.js), beside Send; quote: what a reply answers (reply.js), above all
 */
export function composer({ send, typing, label, attach, voice, quote }) {
  const ids = { input: uid('composer'), error: uid('composer-error') };
  const input = h('textarea', {
    id: ids.input, class: 'composer-input', rows: 1, placeholder: 'Write a message…', 'aria-label': label,
    autocomplete: 'off', spellcheck: 'true', enterkeyhint: 'send',
  });
  const error = h('p', { id: ids.error, class: 'form-error composer-error', role: 'alert' });

  /** Shows a sentence above the field (or clears it with ''), for the parts beside it. @param {string} text */
  function say(text) {
    setChildren(error, text);
    if (!text) input.removeAttribute('aria-invalid');
  }

  function submit() {
    const outcome = send(input.value);
    if (outcome.ok) {
      input.value = '';
      setChildren(error);
      input.removeAttribute('aria-invalid');
    } else {
      setChildren(error, outcome.error);
      input.setAttribute('aria-invalid', 'true');
      input.setAttribute('aria-errormessage', ids.error);
    }
    input.focus();
  }

  input.addEventListener('keydown', (e) => {
    // isComposing: Enter also confirms a word in an input method; that is not a send.
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && !e.altKey && !e.ctrlKey && !e.metaKey) {
      e.preventDefault();
      submit();
    }
  });
  input.addEventListener('input', () => {
    if (input.value) typing();
    if (error.textContent) {
      setChildren(error);
      input.removeAttribute('aria-invalid');
    }
  });

  const view = h('form', {
    class: 'composer', novalidate: true,
    onsubmit: (/** @type {SubmitEvent} */ e) => {
      e.preventDefault();
      submit();
    },
  },
  error,
  quote,
  attach?.view,
  h('div', { class: 'composer-row' },
    attach?.tools,
    input,
    h('button', { type: 'submit', class: 'button primary' }, 'Send'),
    voice));

  return { view, input, say };
}
