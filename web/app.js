// @ts-check
// Bootstrap and view switching. Actions turn user intent into events; the store makes
// the state; render() mounts the view the state names and lets it patch itself.

import { ApiError, getConfig } from './core/api.js';
import { say } from './core/outcome.js';
import { keyFromHash } from './contacts/connect.js';
import { inviteFromHash, inviteFromInput } from './accounts/invite-link.js';
import { createAssistant } from './assistant/actions.js';
import { createChats } from './chats/actions.js';
import { createPeople } from './contacts/actions.js';
import { CryptoError, isSupported } from './crypto/protocol.js';
import * as session from './accounts/session.js';
import { createStore, initialState, reduce } from './core/state.js';
import { initTheme } from './settings/theme.js';
import { initAppearance } from './settings/appearance.js';
import { createAccount } from './accounts/actions.js';
import { mountAuth } from './accounts/auth-view.js';
import { h } from './ui/dom.js';
import { mountShell } from './shell.js';

/** @typedef {import('./core/state.js').State} State */
/** @typedef {import('./core/state.js').Field} Field */

const store = createStore(reduce, initialState);
const root = /** @type {HTMLElement} */ (document.getElementById('app'));

/** @param {number | null} seconds */
function inTime(seconds) {
  if (!seconds || seconds <= 0) return 'later';
  if (seconds < 90) return `in ${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  return `in ${minutes} minutes`;
}

/**
 * A sentence for the person in front of the screen, and the field it is about.
 * @param {unknown} err
 * @param {'login' | 'register' | 'unlock'} flow
 * @returns {{error: string, field?: Field}}
 */
function explain(err, flow) {
  if (err instanceof ApiError) {
    if (err.code === 'invalid_credentials') return { error: 'Wrong username or password.', field: 'password' };
    if (err.status === 429) return { error: `Too many attempts. Try again ${inTime(err.retryAfter)}.` };
    if (err.code === 'username_taken') return { error: 'That username is taken. Try another one.', field: 'username' };
    if (err.code === 'invalid_username') return { error: `Usernames are ${session.USERNAME_RULE}`, field: 'username' };
    if (err.code === 'invite_invalid' || err.code === 'invite_required') return { error: err.message, field: 'invite' };
    return { error: err.message };
  }
  if (err instanceof CryptoError) {
    if (err.code === 'bundle' && flow === 'unlock') return { error: 'Wrong password.', field: 'password' };
    return { error: err.message };
  }
  return { error: say(err) };
}

/**
 * Runs one account flow with the form disabled and its progress shown.
 * @param {'login' | 'register' | 'unlock'} flow
 * @param {(onProgress: (text: string) => void) => Promise<import('./core/api.js').Me>} run
 */
async function attempt(flow, run) {
  if (store.getState().busy) return;
  try {
    const me = await run((text) => store.dispatch({ type: 'busy', text }));
    store.dispatch({ type: 'signed_in', me });
  } catch (err) {
    store.dispatch({ type: 'failed', ...explain(err, flow) });
  }
}

/** @returns {import('./core/api.js').Config} */
const config = () => /** @type {import('./core/api.js').Config} */ (store.getState().config);

// Revoked from another device, or expired: the keys here are of no use without it.
async function onSessionEnded() {
  if (store.getState().view !== 'shell') return;
  chats.stop();
  await people.stop();
  await session.forget().catch(() => {});
  store.dispatch({ type: 'signed_out', notice: 'Your session has ended. Log in again to continue.' });
}

// Chats and people share the one socket: people owns it, chats hear of every frame.
const chats = createChats({
  store,
  sendFrame: (frame) => people.sendFrame(frame),
  isLive: () => people.isLive(),
  onSessionEnded,
});
// The assistant hears the same socket: its answers stream in as frames.
const assistant = createAssistant({ store, chats });
const people = createPeople({
  store,
  onSessionEnded,
  onOpen: () => {
    chats.onOpen();
    assistant.onOpen();
  },
  onEvent: (event) => {
    chats.onEvent(event);
    assistant.onEvent(event);
  },
});

// Deleting the account ends everything here too, like a logout the server already did.
const account = createAccount({
  store,
  async deleted() {
    chats.stop();
    await people.stop();
    await session.forget().catch(() => {});
    store.dispatch({ type: 'signed_out', notice: 'Your account has been deleted.' });
  },
});

const actions = {
  /** @param {'login' | 'register'} view */
  navigate: (view) => store.dispatch({ type: 'navigate', view }),

  /** @param {string} rawUsername @param {string} password */
  login(rawUsername, password) {
    const name = session.checkUsername(rawUsername);
    if (!name.ok) return store.dispatch({ type: 'failed', error: name.error, field: 'username' });
    if (!password) return store.dispatch({ type: 'failed', error: 'Enter your password.', field: 'password' });
    attempt('login', (onProgress) => session.login({ config: config(), username: name.username, password, onProgress }));
  },

  /** @param {string} rawUsername @param {string} password @param {string} confirm @param {string} rawInvite */
  register(rawUsername, password, confirm, rawInvite) {
    const name = session.checkUsername(rawUsername);
    if (!name.ok) return store.dispatch({ type: 'failed', error: name.error, field: 'username' });
    if (password.length < session.PASSWORD_MIN) {
      return store.dispatch({ type: 'failed', error: `Passwords need at least ${session.PASSWORD_MIN} characters.`, field: 'password' });
    }
    if (password !== confirm) return store.dispatch({ type: 'failed', error: 'The passwords do not match.', field: 'confirm' });
    // Without one where one is needed, the server's answer says so.
    const invite = inviteFromInput(rawInvite);
    attempt('register', (onProgress) => session.register({
      config: config(), username: name.username, password, invite, onProgress,
    }));
  },

  /** @param {string} password */
  unlock(password) {
    const me = store.getState().me;
    if (!me) return;
    if (!password) return store.dispatch({ type: 'failed', error: 'Enter your password.', field: 'password' });
    attempt('unlock', (onProgress) => session.unlock({ config: config(), me, password, onProgress }));
  },

  async logout() {
    // The socket goes first: once the session is gone its reconnects would only fail.
    chats.stop();
    await people.stop();
    let notice = 'You have logged out. Your keys are gone from this browser.';
    try {
      await session.logout();
    } catch {
      notice = 'Your keys are gone from this browser, but the server could not be told; log out again when you are back online.';
    }
    store.dispatch({ type: 'signed_out', notice });
  },

  /** @param {import('./core/state.js').Pane} pane */
  show: (pane) => store.dispatch({ type: 'show', pane }),

  /** The "#connect=" link has been turned into a dialog: take it out of the address bar. */
  connectLinkUsed() {
    if (keyFromHash(location.hash)) history.replaceState(history.state, '', location.pathname + location.search);
    store.dispatch({ type: 'connect_link_used' });
  },

  people,
  chats,
  assistant,
  account,
};

/** Reads a "#connect=" or "#invite=" link, on load and whenever the fragment changes. */
function takeConnectLink() {
  const key = keyFromHash(location.hash);
  if (key) store.dispatch({ type: 'connect_link', key });
  const invite = inviteFromHash(location.hash);
  if (invite) store.dispatch({ type: 'invite_link', code: invite });
}

/**
 * The socket lives exactly as long as the shell is on screen. Started after the render
 * that mounted the shell, so its first events find the view in place.
 * @param {State} state @param {State} prev
 */
function effects(state, prev) {
  // Signed in: an invite link in the address bar has done its work (or was not needed).
  if (state.view === 'shell' && inviteFromHash(location.hash)) {
    history.replaceState(history.state, '', location.pathname + location.search);
  }
  if (state.view === 'shell' && prev.view !== 'shell') {
    queueMicrotask(() => {
      chats.start();
      people.start();
      assistant.start();
    });
  }
  if (state.view !== 'shell' && prev.view === 'shell') {
    chats.stop();
    people.stop();
    assistant.stop();
  }
}

const TITLES = { loading: 'MessGo', login: 'Log in · MessGo', register: 'Create account · MessGo',
  unlock: 'Unlock · MessGo', shell: 'MessGo', fatal: 'MessGo' };

/** @type {{key: string, update: (s: State, prev: State) => void, unmount: () => void} | null} */
let mounted = null;

/** @param {State} state @param {State} prev */
function render(state, prev) {
  const key = `${state.view}:${state.me?.user_id ?? ''}`;
  if (mounted?.key !== key) {
    mounted?.unmount();
    document.title = TITLES[state.view];
    const view = mount(state);
    mounted = { key, update: view.update, unmount: view.unmount };
  } else {
    mounted.update(state, prev);
  }
}

/** @param {State} state */
function mount(state) {
  switch (state.view) {
    case 'login':
    case 'register':
    case 'unlock':
      return mountAuth(root, { mode: state.view, state, actions });
    case 'shell':
      return mountShell(root, { state, actions });
    case 'fatal': {
      const view = h('main', { class: 'auth' }, h('div', { class: 'auth-card' },
        h('h1', null, 'MessGo cannot start'),
        h('p', { class: 'form-error', role: 'alert' }, state.error ?? ''),
        h('button', { type: 'button', class: 'button primary', onclick: () => location.reload() }, 'Try again')));
      root.replaceChildren(view);
      return { update() {}, unmount: () => view.remove() };
    }
    default: {
      const view = h('div', { class: 'loading', role: 'status' },
        h('span', { class: 'spinner', 'aria-hidden': 'true' }), 'Loading…');
      root.replaceChildren(view);
      return { update() {}, unmount: () => view.remove() };
    }
  }
}

async function boot() {
  initTheme();
  initAppearance();
  store.subscribe(render);
  store.subscribe(effects);
  render(store.getState(), store.getState());
  takeConnectLink();
  addEventListener('hashchange', takeConnectLink);
  if (!globalThis.isSecureContext || !globalThis.crypto?.subtle) {
    store.dispatch({ type: 'fatal', error: 'MessGo needs a secure connection (HTTPS) for its encryption.' });
    return;
  }
  if (!(await isSupported())) {
    store.dispatch({ type: 'fatal', error: 'This browser lacks the X25519 and Ed25519 encryption MessGo needs. Please update it.' });
    return;
  }
  try {
    store.dispatch({ type: 'booted', config: await getConfig() });
    const found = await session.restore();
    if (found.state === 'signed_in') store.dispatch({ type: 'signed_in', me: found.me });
    else if (found.state === 'locked') store.dispatch({ type: 'locked', me: found.me });
    else store.dispatch({ type: 'signed_out' });
  } catch (err) {
    store.dispatch({ type: 'fatal', error: err instanceof ApiError ? err.message : 'MessGo could not start.' });
  }
}

boot();
