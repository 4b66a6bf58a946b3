// @ts-check
// "Invite links": bring someone who is not on MessGo yet. A link signs them up and
// makes you contacts in one step (docs/api.md, "Invites"). Its code is shown once,
// when it is made; the list shows what is left of each live link, and revoking one
// stops it at once.

import * as api from '../core/api.js';
import { actWith } from '../core/outcome.js';
import { DEFAULT_EXPIRY_SECS, EXPIRY_CHOICES, MAX_USES, describeInvite, inviteLink, parseUses }
  from '../accounts/invite-link.js';
import { confirmDialog } from '../ui/dialog.js';
import { h, setChildren, uid } from '../ui/dom.js';
import { paneFrame } from '../ui/pane.js';

/** @typedef {import('../core/state.js').State} State */
/** @typedef {import('../core/api.js').Invite} Invite */

/**
 * @param {HTMLElement} root
 * @param {{state: State, close: () => void}} p
 */
export function mountInvites(root, { state, close }) {
  const act = actWith();
  const allowed = state.config?.user_invites !== false;
  const ids = { uses: uid('invite-uses'), usesHint: uid('invite-uses-hint'), expiry: uid('invite-expiry'),
    link: uid('invite-link'), error: uid('invite-error') };
  const uses = h('input', { id: ids.uses, name: 'uses', type: 'number', inputmode: 'numeric', min: 1, max: MAX_USES,
    value: '1', required: true, 'aria-describedby': ids.usesHint });
  const expiry = h('select', { id: ids.expiry, name: 'expiry' }, EXPIRY_CHOICES.map((c) =>
    h('option', { value: String(c.secs), selected: c.secs === DEFAULT_EXPIRY_SECS }, c.label)));
  const submit = h('button', { type: 'submit', class: 'button primary' }, 'Make invite link');
  const error = h('p', { id: ids.error, class: 'form-error', role: 'alert' });
  const status = h('p', { class: 'hint', role: 'status', 'aria-live': 'polite' });
  const linkInput = h('input', { id: ids.link, type: 'text', readonly: true, spellcheck: 'false' });
  const copyButton = h('button', { type: 'button', class: 'button', onclick: copy }, 'Copy link');
  const made = h('div', { class: 'invite-made', hidden: true },
    h('div', { class: 'field' }, h('label', { for: ids.link }, 'Your new invite link'), linkInput),
    h('div', { class: 'entry-actions' }, copyButton),
    h('p', { class: 'hint' }, 'It is shown only now: copy it and send it to the person you are inviting.'));
  const list = h('ul', { class: 'entries invites', 'aria-label': 'Your invite links' });
  const empty = h('p', { class: 'hint' }, 'No invite links are open.');
  const listError = h('p', { class: 'form-error', role: 'alert' });

  async function copy() {
    setChildren(status);
    try {
      await navigator.clipboard.writeText(linkInput.value);
      setChildren(status, 'Link copied.');
    } catch {
      // As with the connect key: a refused clipboard leaves the text selected instead.
      linkInput.focus();
      linkInput.select();
      setChildren(status, 'Copying was refused by the browser. The link is selected: press Ctrl+C to copy it.');
    }
  }

  /** @param {SubmitEvent} e */
  async function onSubmit(e) {
    e.preventDefault();
    setChildren(error);
    setChildren(status);
    const n = parseUses(uses.value);
    if (n === null) {
      setChildren(error, `Uses must be a whole number from 1 to ${MAX_USES}.`);
      uses.setAttribute('aria-invalid', 'true');
      uses.setAttribute('aria-errormessage', ids.error);
      uses.focus();
      return;
    }
    uses.removeAttribute('aria-invalid');
    uses.removeAttribute('aria-errormessage');
    submit.disabled = true;
    const outcome = await act(() => api.createInvite({ uses: n, expires_in_secs: Number(expiry.value) }), (invite) => {
      linkInput.value = inviteLink(location.origin, invite.code);
      made.hidden = false;
    });
    submit.disabled = false;
    if (!outcome.ok) return setChildren(error, outcome.error);
    setChildren(status, 'Invite link made.');
    copyButton.focus();
    load();
  }

  /** @param {Invite} invite */
  function entry(invite) {
    const line = describeInvite(invite, Date.now());
    const revoke = h('button', { type: 'button', class: 'button danger', 'aria-label': `Revoke invite: ${line}`,
      async onclick() {
        const sure = await confirmDialog({
          title: 'Revoke this invite link?',
          text: 'Nobody can sign up with it any more. People who already did stay your contacts.',
          confirm: 'Revoke',
        });
        if (!sure) return;
        revoke.disabled = true;
        setChildren(listError);
        const outcome = await act(() => api.revokeInvite(invite.id));
        if (!outcome.ok) {
          revoke.disabled = false;
          return setChildren(listError, outcome.error);
        }
        setChildren(status, 'Invite link revoked.');
        load();
      } }, 'Revoke');
    return h('li', { class: 'entry invite' },
      h('p', { class: 'entry-name' }, line),
      h('div', { class: 'entry-actions' }, revoke));
  }

  async function load() {
    const outcome = await act(() => api.invites(), ({ invites }) => {
      list.replaceChildren(...invites.map(entry));
      empty.hidden = invites.length > 0;
    });
    if (!outcome.ok) setChildren(listError, outcome.error);
  }

  const form = h('form', { class: 'auth-form invite-form', novalidate: true, onsubmit: onSubmit },
    h('fieldset', { class: 'fields' },
      h('legend', { class: 'visually-hidden' }, 'New invite link'),
      h('div', { class: 'field' }, h('label', { for: ids.uses }, 'Sign-ups it allows'), uses,
        h('p', { id: ids.usesHint, class: 'hint' }, `1 for one person, up to ${MAX_USES} for a group.`)),
      h('div', { class: 'field' }, h('label', { for: ids.expiry }, 'Expires after'), expiry),
      submit),
    error);

  const { view, heading } = paneFrame({
    title: 'Invite links',
    onClose: close,
    lead: 'Bring someone who is not on MessGo yet: the link signs them up and makes you contacts at once. '
      + 'Anyone holding it can use it, so send it only to the people you mean.',
  }, allowed ? form : h('p', { class: 'notice' }, 'On this server only the operator makes invites.'),
  made, status,
  allowed && h('section', { class: 'pane-section', 'aria-label': 'Open invite links' },
    h('h3', null, 'Open invite links'), list, empty, listError));
  root.replaceChildren(view);
  heading.focus();
  if (allowed) load();

  return { update() {}, unmount: () => view.remove() };
}
