// @ts-check
// "Add contact": one field for a username, a connect key or a link. After a send it
// says the same sentence whatever the server knows, and leaves the field ready for
// the next person.

import { h, setChildren, uid } from '../ui/dom.js';
import { openDialog } from '../ui/dialog.js';

/**
 * @param {{send: (input: string) => Promise<import('../core/outcome.js').Outcome>, prefill?: string,
 *   invite?: () => void, returnFocus?: HTMLElement | null}} p
 *   invite: opens the invite links page (absent where only the operator invites)
 */
export function openAddContact({ send, prefill = '', invite, returnFocus }) {
  const ids = { input: uid('add-target'), hint: uid('add-hint'), error: uid('add-error') };
  const input = h('input', {
    id: ids.input, name: 'target', type: 'text', autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false',
    required: true, 'aria-describedby': ids.hint, value: prefill,
  });
  const submit = h('button', { type: 'submit', class: 'button primary' }, 'Send request');
  const closeButton = h('button', { type: 'button', class: 'button', onclick: () => dialog.close() }, 'Close');
  const sent = h('p', { class: 'notice', role: 'status', 'aria-live': 'polite', hidden: true });
  const error = h('p', { id: ids.error, class: 'form-error', role: 'alert' });
  const fieldset = h('fieldset', { class: 'fields' },
    h('legend', { class: 'visually-hidden' }, 'Add contact'),
    h('div', { class: 'field' },
      h('label', { for: ids.input }, 'Username, connect key or link'),
      input,
      h('p', { id: ids.hint, class: 'hint' },
        'Ask them for their username, or for the connect key or link under Your connect key in their profile menu. '
        + 'Nothing is shared until they accept.')));

  /** @param {SubmitEvent} e */
  async function onSubmit(e) {
    e.preventDefault();
    fieldset.disabled = true;
    submit.disabled = true;
    form.setAttribute('aria-busy', 'true');
    setChildren(error);
    sent.hidden = true;
    const outcome = await send(input.value);
    fieldset.disabled = false;
    submit.disabled = false;
    form.removeAttribute('aria-busy');
    if (outcome.ok) {
      setChildren(sent, outcome.text ?? '');
      sent.hidden = false;
      input.value = '';
      input.removeAttribute('aria-invalid');
      input.removeAttribute('aria-errormessage');
    } else {
      setChildren(error, outcome.error);
      input.setAttribute('aria-invalid', 'true');
      input.setAttribute('aria-errormessage', ids.error);
    }
    input.focus();
  }

  const inviteLine = invite && h('p', { class: 'hint' }, 'Not on MessGo yet? ',
    h('button', { type: 'button', class: 'link', onclick: () => {
      dialog.close();
      invite();
    } }, 'Make an invite link'),
    ' that signs them up and connects you in one step.');
  const form = h('form', { class: 'auth-form', novalidate: true, onsubmit: onSubmit },
    fieldset, sent, error, inviteLine,
    h('div', { class: 'dialog-actions' }, closeButton, submit));

  const dialog = openDialog({ title: 'Add contact', content: [form], focus: input, returnFocus, className: 'add-contact' });
  if (prefill) input.select();
  return dialog;
}
