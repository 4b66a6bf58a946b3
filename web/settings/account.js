// @ts-check
// The rest of Settings: appearance (theme, accent, text size; this browser only), the
// sessions of the account, a new password, and deleting the account.

import { ACCENTS, ACCENT_LABELS, FONT_LABELS, FONT_SIZES, accent, fontSize, setAccent, setFontSize } from './appearance.js';
import { fullDate, timeAgo } from '../core/format.js';
import { PASSWORD_MIN } from '../accounts/session.js';
import { PREFERENCES, preference, setPreference } from './theme.js';
import { h, setChildren, uid } from '../ui/dom.js';

/** @typedef {import('../core/state.js').State} State */
/** @typedef {import('../accounts/actions.js').AccountActions} AccountActions */
/** @typedef {import('../accounts/api.js').Session} Session */

const THEME_LABELS = { system: 'System', light: 'Light', dark: 'Dark' };

/** @param {string} title @param {...import('../ui/dom.js').Child} children */
function section(title, ...children) {
  const id = uid('section');
  return h('section', { class: 'pane-section', 'aria-labelledby': id }, h('h3', { id }, title), ...children);
}

/** A labelled field. @param {string} label @param {HTMLElement} control @param {string} [hint] */
function field(label, control, hint) {
  const id = control.id || uid('field');
  control.id = id;
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, hint ? h('p', { class: 'hint' }, hint) : null);
}

export function appearanceSettings() {
  const theme = h('select', {
    onchange: () => setPreference(/** @type {import('./theme.js').ThemePreference} */ (theme.value)),
  }, PREFERENCES.map((p) => h('option', { value: p, selected: p === preference() }, THEME_LABELS[p])));
  const swatches = h('div', { class: 'swatches', role: 'radiogroup', 'aria-label': 'Accent colour' },
    ACCENTS.map((a) => {
      const input = h('input', { type: 'radio', name: 'accent', value: a, checked: a === accent(), class: 'swatch-input',
        'aria-label': ACCENT_LABELS[a], onchange: () => setAccent(a) });
      return h('label', { class: `swatch swatch-${a}`, title: ACCENT_LABELS[a] }, input);
    }));
  const size = h('select', {
    onchange: () => setFontSize(/** @type {import('./appearance.js').FontSize} */ (size.value)),
  }, FONT_SIZES.map((f) => h('option', { value: f, selected: f === fontSize() }, FONT_LABELS[f])));
  return section('Appearance',
    field('Colour scheme', theme),
    h('fieldset', { class: 'field plain' }, h('legend', null, 'Accent colour'), swatches),
    field('Text size', size),
    h('p', { class: 'hint' }, 'Appearance is remembered in this browser only.'));
}

/** @param {{account: AccountActions}} p */
export function sessionsSettings({ account }) {
  const list = h('ul', { class: 'entries sessions' });
  const status = h('p', { class: 'hint', role: 'status' });
  const error = h('p', { class: 'form-error', role: 'alert' });

  /** @param {Session} s */
  function entry(s) {
    const revoke = s.current ? null : h('button', { type: 'button', class: 'button danger', 'aria-label': `Revoke ${s.device}`,
      async onclick() {
        revoke && (revoke.disabled = true);
        setChildren(error);
        const outcome = await account.revoke(s.id);
        if (!outcome.ok) {
          setChildren(error, outcome.error);
          if (revoke) revoke.disabled = false;
          return;
        }
        setChildren(status, 'Session revoked.');
        load();
      } }, 'Revoke');
    return h('li', { class: 'entry session', 'data-current': String(s.current) },
      h('div', { class: 'entry-head' },
        h('strong', { class: 'entry-name' }, s.device || 'Unknown device'),
        s.current ? h('span', { class: 'tag' }, 'This device') : null),
      h('p', { class: 'hint' },
        'Signed in ', h('time', { datetime: new Date(s.created_at).toISOString(), title: fullDate(s.created_at) }, timeAgo(s.created_at)),
        ' · last seen ', h('time', { datetime: new Date(s.last_seen_at).toISOString(), title: fullDate(s.last_seen_at) }, timeAgo(s.last_seen_at))),
      revoke ? h('div', { class: 'entry-actions' }, revoke) : null);
  }

  async function load() {
    const outcome = await account.sessions();
    if (!outcome.ok) return setChildren(error, outcome.error);
    const sorted = [...outcome.sessions].sort((a, b) => Number(b.current) - Number(a.current) || b.last_seen_at - a.last_seen_at);
    list.replaceChildren(...sorted.map(entry));
  }
  load();
  return section('Sessions',
    h('p', { class: 'hint' }, 'Everywhere you are logged in. Revoking a session logs that device out at once.'),
    list, status, error);
}

/** @param {{account: AccountActions, showKey: () => void}} p */
export function securitySettings({ account, showKey }) {
  const input = () => h('input', { type: 'password', autocomplete: 'new-password', minlength: PASSWORD_MIN, required: true });
  const current = h('input', { type: 'password', autocomplete: 'current-password', required: true });
  const next = input();
  const confirm = input();
  const submit = h('button', { type: 'submit', class: 'button primary' }, 'Change password');
  const status = h('p', { class: 'hint', role: 'status' });
  const error = h('p', { class: 'form-error', role: 'alert' });

  /** @param {SubmitEvent} e */
  async function onSubmit(e) {
    e.preventDefault();
    setChildren(status);
    setChildren(error);
    if (!current.value) return setChildren(error, 'Enter your current password.');
    if (next.value.length < PASSWORD_MIN) return setChildren(error, `Passwords need at least ${PASSWORD_MIN} characters.`);
    if (next.value !== confirm.value) return setChildren(error, 'The new passwords do not match.');
    submit.disabled = true;
    setChildren(status, 'Deriving keys… this takes a moment.');
    const outcome = await account.changePassword(current.value, next.value);
    submit.disabled = false;
    if (outcome.ok) {
      current.value = next.value = confirm.value = '';
      setChildren(status, 'Password changed. Every other session has been logged out.');
    } else {
      setChildren(status);
      setChildren(error, outcome.error);
    }
  }

  return section('Security',
    h('form', { class: 'auth-form', novalidate: true, onsubmit: onSubmit },
      h('h4', null, 'Password'),
      field('Current password', current),
      field('New password', next, `At least ${PASSWORD_MIN} characters.`),
      field('Confirm new password', confirm),
      h('div', { class: 'entry-actions' }, submit),
      status, error),
    h('h4', null, 'Connect key'),
    h('p', { class: 'hint' }, 'Rotate your connect key when you shared it too widely.'),
    h('div', { class: 'entry-actions' }, h('button', { type: 'button', class: 'button', onclick: showKey }, 'Open connect key')));
}

/** @param {{state: State, account: AccountActions}} p */
export function dangerSettings({ state, account }) {
  const username = state.me?.username ?? '';
  const typed = h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false' });
  const password = h('input', { type: 'password', autocomplete: 'current-password' });
  const submit = h('button', { type: 'submit', class: 'button danger', disabled: true }, 'Delete account');
  const status = h('p', { class: 'hint', role: 'status' });
  const error = h('p', { class: 'form-error', role: 'alert' });
  const ready = () => {
    submit.disabled = typed.value.trim().toLowerCase() !== username || !password.value;
  };
  typed.addEventListener('input', ready);
  password.addEventListener('input', ready);

  /** @param {SubmitEvent} e */
  async function onSubmit(e) {
    e.preventDefault();
    if (submit.disabled) return;
    submit.disabled = true;
    setChildren(error);
    setChildren(status, 'Deleting your account…');
    const outcome = await account.deleteAccount(password.value);
    if (!outcome.ok) {
      setChildren(status);
      setChildren(error, outcome.error);
      ready();
    }
  }

  const view = section('Danger zone',
    h('form', { class: 'auth-form danger-zone', novalidate: true, onsubmit: onSubmit },
      h('p', null, 'Deleting your account removes your profile, contacts, chats and messages from the server, '
        + 'for good. Nobody can undo it.'),
      field(`Type your username (${username}) to confirm`, typed),
      field('Password', password),
      h('div', { class: 'entry-actions' }, submit),
      status, error));
  return view;
}
