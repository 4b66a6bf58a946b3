// @ts-check
// The message field: Enter sends, Shift+Enter starts a new line, and typing tells the
// others (at most every few seconds, and only when both sides turned that on; the
// chats actions decide). In edit mode (`edit`) Enter saves the new text of a message
// instead and Esc cancels; Up in an empty field asks for the last own message (`onUp`).

import { h, setChildren, uid } from '../ui/dom.js';

/**
 * @param {{send: (text: string) => {ok: true} | {ok: false, error: string}, typing: () => void, label: string,
 *   attach?: {view: HTMLElement, tools: HTMLElement}, voice?: HTMLElement, quote?: HTMLElement, onUp?: () => void}} p
 *   attach: the attached images (above the field) and the button to pick them (beside it);
 *   voice: the mic button (web/voice/button.js), beside Send; quote: what a reply answers (reply.js), above all
 */
export function composer({ send, typing, label, attach, voice, quote, onUp }) {
  const ids = { input: uid('composer'), error: uid('composer-error') };
  const input = h('textarea', {
    id: ids.input, class: 'composer-input', rows: 1, placeholder: 'Write a message…', 'aria-label': label,
    autocomplete: 'off', spellcheck: 'true', enterkeyhint: 'send',
  });
  const error = h('p', { id: ids.error, class: 'form-error composer-error', role: 'alert' });
  const submitButton = h('button', { type: 'submit', class: 'button primary' }, 'Send');
  /** @type {{save: (text: string) => Promise<{ok: true} | {ok: false, error: string}>, draft: string} | null} */
  let editing = null;
  const editBar = h('div', { class: 'composer-editing', hidden: true, role: 'status' },
    h('span', null, 'Editing message'), ' ',
    h('button', { type: 'button', class: 'link', onclick: () => cancelEdit() }, 'Cancel edit'));

  /**
   * Puts a message's text in the field to be edited; what was typed comes back after.
   * @param {string} text @param {(text: string) => Promise<{ok: true} | {ok: false, error: string}>} save
   */
  function edit(text, save) {
    editing = { save, draft: editing ? editing.draft : input.value };
    input.value = text;
    editBar.hidden = false;
    submitButton.textContent = 'Save';
    view.classList.add('editing');
    input.setAttribute('aria-label', 'Edit message');
    input.focus();
    input.setSelectionRange(text.length, text.length);
  }

  function cancelEdit() {
    if (!editing) return;
    input.value = editing.draft;
    editing = null;
    editBar.hidden = true;
    submitButton.textContent = 'Send';
    view.classList.remove('editing');
    input.setAttribute('aria-label', label);
    say('');
    input.focus();
  }

  async function saveEdit() {
    const job = editing;
    if (!job) return;
    const outcome = await job.save(input.value);
    if (editing !== job) return;
    if (outcome.ok) cancelEdit();
    else say(outcome.error);
  }

  /** Shows a sentence above the field (or clears it with ''), for the parts beside it. @param {string} text */
  function say(text) {
    setChildren(error, text);
    if (!text) input.removeAttribute('aria-invalid');
  }

  function submit() {
    if (editing) {
      saveEdit();
      return;
    }
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
    } else if (e.key === 'Escape' && editing) {
      // Esc leaves edit mode, not the chat.
      e.preventDefault();
      e.stopPropagation();
      cancelEdit();
    } else if (e.key === 'ArrowUp' && !input.value && !editing && onUp && !e.shiftKey && !e.altKey && !e.ctrlKey && !e.metaKey) {
      e.preventDefault();
      onUp();
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
  editBar,
  attach?.view,
  h('div', { class: 'composer-row' },
    attach?.tools,
    input,
    submitButton,
    voice));

  return { view, input, say, edit, cancelEdit, isEditing: () => editing !== null };
}
