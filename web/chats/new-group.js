// @ts-check
// "New group": a name and some contacts. The name is sealed with the group's first key
// before it leaves this browser, so the server never learns it.

import { nameOf } from '../core/format.js';
import { MAX_GROUP_NAME } from '../crypto/plaintext.js';
import { openDialog } from '../ui/dialog.js';
import { h, setChildren, uid } from '../ui/dom.js';

/** @typedef {import('../core/api.js').Contact} Contact */

/**
 * @param {{contacts: Contact[], create: (name: string, members: string[]) => Promise<{ok: true, chatId: string} | {ok: false, error: string}>,
 *   opened: (chatId: string) => void, returnFocus?: HTMLElement | null}} p
 */
export function openNewGroup({ contacts, create, opened, returnFocus }) {
  const ids = { name: uid('group-name'), error: uid('group-error'), members: uid('group-members') };
  const nameInput = h('input', { id: ids.name, name: 'name', type: 'text', maxlength: MAX_GROUP_NAME, autocomplete: 'off', required: true });
  const error = h('p', { id: ids.error, class: 'form-error', role: 'alert' });
  const boxes = contacts.map((c) => {
    const id = uid('member');
    const box = h('input', { id, type: 'checkbox', value: c.user_id, class: 'check' });
    return { box, row: h('li', { class: 'check-row' }, box, h('label', { for: id }, nameOf(c), h('span', { class: 'muted' }, ` @${c.username}`))) };
  });
  const submit = h('button', { type: 'submit', class: 'button primary', disabled: contacts.length === 0 }, 'Create group');
  const fields = h('fieldset', { class: 'fields' },
    h('legend', { class: 'visually-hidden' }, 'New group'),
    h('div', { class: 'field' }, h('label', { for: ids.name }, 'Group name'), nameInput,
      h('p', { class: 'hint' }, 'Only members can read it.')),
    h('fieldset', { class: 'member-picker' },
      h('legend', { id: ids.members }, 'Members'),
      contacts.length
        ? h('ul', { class: 'check-list', 'aria-labelledby': ids.members }, boxes.map((b) => b.row))
        : h('p', { class: 'muted' }, 'Add contacts first: a group is made of people you are connected with.')));

  /** @param {SubmitEvent} e */
  async function onSubmit(e) {
    e.preventDefault();
    setChildren(error);
    const members = boxes.filter((b) => b.box.checked).map((b) => b.box.value);
    fields.disabled = submit.disabled = true;
    form.setAttribute('aria-busy', 'true');
    const outcome = await create(nameInput.value, members);
    fields.disabled = submit.disabled = false;
    form.removeAttribute('aria-busy');
    if (outcome.ok) {
      dialog.close();
      opened(outcome.chatId);
      return;
    }
    setChildren(error, outcome.error);
    nameInput.focus();
  }

  const form = h('form', { class: 'auth-form', novalidate: true, onsubmit: onSubmit },
    fields, error,
    h('div', { class: 'dialog-actions' },
      h('button', { type: 'button', class: 'button', onclick: () => dialog.close() }, 'Cancel'), submit));
  const dialog = openDialog({ title: 'New group', content: [form], focus: nameInput, returnFocus, className: 'new-group' });
  return dialog;
}
