// @ts-check
// "Your connect key": what to give someone so they can ask to connect without knowing
// your username, a link form of it, and a way to make the old one useless.

import { connectLink } from './connect.js';
import { confirmDialog } from '../ui/dialog.js';
import { h, setChildren, uid } from '../ui/dom.js';
import { paneFrame } from '../ui/pane.js';

/** @typedef {import('../core/state.js').State} State */
/** @typedef {import('./actions.js').PeopleActions} PeopleActions */

/**
 * @param {HTMLElement} root
 * @param {{state: State, people: PeopleActions, close: () => void}} p
 */
export function mountConnectKey(root, { state, people, close }) {
  const ids = { key: uid('connect-key'), link: uid('connect-link') };
  const keyInput = h('input', { id: ids.key, class: 'key-field', type: 'text', readonly: true, spellcheck: 'false' });
  const linkInput = h('input', { id: ids.link, type: 'text', readonly: true, spellcheck: 'false' });
  const status = h('p', { class: 'hint', role: 'status', 'aria-live': 'polite' });
  const alert = h('p', { class: 'form-error', role: 'alert' });
  const rotateButton = h('button', { type: 'button', class: 'button danger', onclick: rotate }, 'Rotate key');
  const copyKey = h('button', { type: 'button', class: 'button', onclick: () => copy(keyInput, 'Key copied.') }, 'Copy key');
  const copyLink = h('button', { type: 'button', class: 'button', onclick: () => copy(linkInput, 'Link copied.') },
    'Copy link');
  const loading = h('p', { class: 'progress', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }),
    'Loading your key…');

  /** @param {HTMLInputElement} field @param {string} done */
  async function copy(field, done) {
    setChildren(status);
    try {
      await navigator.clipboard.writeText(field.value);
      setChildren(status, done);
    } catch {
      // Clipboard access can be refused (permissions, an unfocused tab): select the
      // text so a Ctrl+C does the same.
      field.focus();
      field.select();
      setChildren(status, 'Copying was refused by the browser. The text is selected: press Ctrl+C to copy it.');
    }
  }

  async function rotate() {
    const sure = await confirmDialog({
      title: 'Rotate your connect key?',
      text: 'You get a new key and link. The old ones stop working at once, for anyone you gave them to. '
        + 'Your contacts and pending requests stay as they are.',
      confirm: 'Rotate key',
    });
    if (!sure) return;
    rotateButton.disabled = true;
    setChildren(alert);
    setChildren(status);
    const outcome = await people.rotateConnectKey();
    rotateButton.disabled = false;
    if (outcome.ok) setChildren(status, 'Your connect key was replaced. The old one no longer works.');
    else setChildren(alert, outcome.error);
  }

  const body = h('div', { class: 'key-body', hidden: true },
    h('div', { class: 'field' }, h('label', { for: ids.key }, 'Connect key'), keyInput),
    h('div', { class: 'field' }, h('label', { for: ids.link }, 'Connect link'), linkInput),
    h('div', { class: 'entry-actions' }, copyKey, copyLink),
    status,
    h('section', { class: 'pane-section', 'aria-label': 'Rotate key' },
      h('h3', null, 'Given it to the wrong person?'),
      h('p', { class: 'hint' }, 'Rotating makes the current key and link useless.'),
      h('div', { class: 'entry-actions' }, rotateButton)));

  const { view, heading } = paneFrame({
    title: 'Your connect key',
    onClose: close,
    lead: 'Anyone with this key or link can ask to connect with you, without knowing your username. '
      + 'Nothing is shared until you accept. Give it only to people you want to hear from.',
  }, alert, loading, body);
  root.replaceChildren(view);
  heading.focus();

  /** @param {State} s @param {State | null} prev */
  function update(s, prev) {
    const key = s.people.connectKey;
    if (key === prev?.people.connectKey) return;
    loading.hidden = Boolean(key);
    body.hidden = !key;
    if (key) {
      keyInput.value = key.display;
      linkInput.value = connectLink(location.origin, key.connect_key);
    }
  }
  update(state, null);
  // Fetched on every visit: another tab may have rotated it.
  people.loadConnectKey().then((outcome) => {
    if (!outcome.ok) {
      loading.hidden = true;
      setChildren(alert, outcome.error);
    }
  });

  return { update, unmount: () => view.remove() };
}
