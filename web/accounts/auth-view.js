// @ts-check
// The pages before the shell: log in, register, and unlock (a live session whose keys
// this browser does not hold). Built once per view; update() patches busy and error
// state so typing, focus and the password fields survive every render.

import { h, setChildren, uid } from '../ui/dom.js';
import { PASSWORD_MIN, USERNAME_RULE } from './session.js';

/** @typedef {import('../core/state.js').State} State */
/** @typedef {'login' | 'register' | 'unlock'} Mode */
/**
 * @typedef {object} AuthActions
 * @property {(username: string, password: string) => void} login
 * @property {(username: string, password: string, confirm: string, invite: string) => void} register
 * @property {(password: string) => void} unlock
 * @property {(view: 'login' | 'register') => void} navigate
 * @property {() => void} logout
 */

const TEXT = {
  login: { title: 'Log in', lead: 'Welcome back. Your password unlocks your keys on this device.', submit: 'Log in' },
  register: {
    title: 'Create your account',
    lead: 'Your password never leaves this device: it derives the keys that encrypt your messages. '
      + 'There is no reset, so keep it safe.',
    submit: 'Create account',
  },
  invited: {
    title: 'You were invited',
    lead: 'Create your account to join. If a person invited you, you will be each other\'s contacts as soon as it '
      + 'exists. Your password never leaves this device: it derives the keys that encrypt your messages. '
      + 'There is no reset, so keep it safe.',
    submit: 'Create account',
  },
  unlock: {
    title: 'Unlock',
    lead: 'You are still logged in, but this browser does not hold your keys. Enter your password to unlock them.',
    submit: 'Unlock',
  },
};

/**
 * @param {HTMLElement} root
 * @param {{mode: Mode, state: State, actions: AuthActions}} p
 */
export function mountAuth(root, { mode, state, actions }) {
  const signUp = state.config?.registration ?? 'open';
  const invited = mode === 'register' && Boolean(state.pendingInvite);
  // Sign-up without an invite: say so first (the form is still there for one pasted in).
  const closed = mode === 'register' && signUp === 'closed';
  const needsInvite = mode === 'register' && signUp === 'invite';
  const text = invited ? TEXT.invited : TEXT[mode];
  const ids = { user: uid('username'), userHint: uid('username-hint'), pass: uid('password'),
    passHint: uid('password-hint'), confirm: uid('confirm'), error: uid('error'), title: uid('auth-title'),
    invite: uid('invite'), inviteHint: uid('invite-hint') };

  const username = h('input', {
    id: ids.user, name: 'username', type: 'text', autocomplete: 'username', autocapitalize: 'none',
    spellcheck: 'false', required: true, maxlength: 32, 'aria-describedby': ids.userHint,
    value: mode === 'unlock' ? state.me?.username ?? '' : '', readonly: mode === 'unlock',
  });
  const password = h('input', {
    id: ids.pass, name: 'password', type: 'password', required: true,
    autocomplete: mode === 'register' ? 'new-password' : 'current-password',
    'aria-describedby': mode === 'register' ? ids.passHint : null,
  });
  const confirm = h('input', {
    id: ids.confirm, name: 'confirm', type: 'password', required: true, autocomplete: 'new-password',
  });
  const invite = h('input', {
    id: ids.invite, name: 'invite', type: 'text', autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false',
    required: needsInvite, 'aria-describedby': ids.inviteHint, value: state.pendingInvite ?? '',
  });
  const fields = { username, password, confirm, invite };
  const showInvite = mode === 'register' && (invited || needsInvite);

  const submit = h('button', { type: 'submit', class: 'button primary' }, text.submit);
  const statusText = h('span');
  const status = h('div', { class: 'progress', role: 'status', 'aria-live': 'polite', hidden: true },
    h('span', { class: 'spinner', 'aria-hidden': 'true' }), statusText);
  const error = h('p', { id: ids.error, class: 'form-error', role: 'alert' });
  const notice = h('p', { class: 'notice', role: 'status' });

  const fieldset = h('fieldset', { class: 'fields' },
    h('legend', { class: 'visually-hidden' }, text.title),
    h('div', { class: 'field' },
      h('label', { for: ids.user }, 'Username'),
      username,
      mode === 'register' && h('p', { id: ids.userHint, class: 'hint' }, USERNAME_RULE)),
    h('div', { class: 'field' },
      h('label', { for: ids.pass }, 'Password'),
      password,
      mode === 'register' && h('p', { id: ids.passHint, class: 'hint' }, `At least ${PASSWORD_MIN} characters.`)),
    mode === 'register' && h('div', { class: 'field' },
      h('label', { for: ids.confirm }, 'Confirm password'),
      confirm),
    showInvite && h('div', { class: 'field' },
      h('label', { for: ids.invite }, 'Invite'),
      invite,
      h('p', { id: ids.inviteHint, class: 'hint' }, invited
        ? 'From the invite link you opened.'
        : 'Paste the invite link or code you were given.')),
    submit);

  /** @param {SubmitEvent} e */
  function onSubmit(e) {
    e.preventDefault();
    if (mode === 'login') actions.login(username.value, password.value);
    else if (mode === 'register') {
      actions.register(username.value, password.value, confirm.value, showInvite ? invite.value : '');
    }
    else actions.unlock(password.value);
  }

  const form = h('form', { class: 'auth-form', novalidate: true, 'aria-labelledby': ids.title, onsubmit: onSubmit },
    fieldset, status, error);

  const footer = mode === 'login'
    ? signUp === 'closed'
      ? h('p', { class: 'switch' }, 'Sign-up is closed on this server.')
      : h('p', { class: 'switch' }, signUp === 'invite' ? 'New here? Sign-up is by invitation. ' : 'New here? ',
        h('button', { type: 'button', class: 'link', onclick: () => actions.navigate('register') },
          signUp === 'invite' ? 'Sign up with an invite' : 'Create an account'))
    : mode === 'register'
      ? h('p', { class: 'switch' }, 'Already have an account? ',
        h('button', { type: 'button', class: 'link', onclick: () => actions.navigate('login') }, 'Log in'))
      : h('p', { class: 'switch' }, 'Not you? ',
        h('button', { type: 'button', class: 'link', onclick: () => actions.logout() }, 'Log out'));

  const view = h('main', { class: 'auth' },
    h('div', { class: 'auth-card' },
      h('p', { class: 'brand' }, h('img', { src: '/favicon.svg', alt: '', width: 28, height: 28 }), 'MessGo'),
      h('h1', { id: ids.title }, text.title),
      h('p', { class: 'lead' }, text.lead),
      (closed || (needsInvite && !invited)) && h('p', { class: 'notice sign-up-rule' }, closed
        ? 'Sign-up is closed on this server.'
        : 'Sign-up is by invitation: you need an invite link from someone on this server.'),
      notice,
      !closed && form,
      footer));
  root.replaceChildren(view);
  (mode === 'unlock' ? password : username).focus();

  /** @param {State} s @param {State | null} prev */
  function update(s, prev) {
    const busy = Boolean(s.busy);
    fieldset.disabled = busy;
    form.setAttribute('aria-busy', String(busy));
    status.hidden = !busy;
    statusText.textContent = s.busy ?? '';
    notice.textContent = s.notice ?? '';
    notice.hidden = !s.notice;
    if (s.error !== prev?.error) setChildren(error, s.error ?? '');
    if (prev && s.pendingInvite !== prev.pendingInvite && s.pendingInvite) invite.value = s.pendingInvite;
    for (const [name, input] of Object.entries(fields)) {
      const invalid = s.errorField === name;
      if (invalid) {
        input.setAttribute('aria-invalid', 'true');
        input.setAttribute('aria-errormessage', ids.error);
      } else {
        input.removeAttribute('aria-invalid');
        input.removeAttribute('aria-errormessage');
      }
    }
    // After a failure the form is enabled again: put the cursor where the fix goes.
    if (s.error && s.error !== prev?.error && !busy) {
      const target = s.errorField ? fields[s.errorField] : password;
      target.focus();
      if (target !== username) target.select();
    }
  }
  update(state, null);
  return { update, unmount: () => view.remove() };
}
