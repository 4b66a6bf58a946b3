// @ts-check
// One store for the app: events go in, the reducer makes the next state, subscribers
// render it. Views never change state directly; they call actions, which dispatch.

import { emptyAssistant, reduceAssistant } from '../assistant/state.js';
import { emptyChats, reduceChats } from '../chats/state.js';
import { emptyPeople, reducePeople } from '../contacts/state.js';

/** @typedef {import('./api.js').Me} Me */
/** @typedef {import('./api.js').Config} Config */
/** @typedef {import('../contacts/state.js').People} People */
/** @typedef {import('../contacts/state.js').PeopleEvent} PeopleEvent */
/** @typedef {import('../chats/state.js').Chats} Chats */
/** @typedef {import('../chats/state.js').ChatsEvent} ChatsEvent */
/** @typedef {import('../assistant/state.js').Assistant} Assistant */
/** @typedef {import('../assistant/state.js').AssistantEvent} AssistantEvent */
/** @typedef {'loading' | 'login' | 'register' | 'unlock' | 'shell' | 'fatal'} View */
/** @typedef {'username' | 'password' | 'confirm' | 'invite'} Field */
/**
 * What the main pane of the shell shows.
 * @typedef {{kind: 'home'} | {kind: 'requests'} | {kind: 'settings'} | {kind: 'key'} | {kind: 'invites'}
 *   | {kind: 'contact', userId: string} | {kind: 'chat', chatId: string} | {kind: 'group', chatId: string}} Pane
 */

/**
 * @typedef {object} State
 * @property {View} view
 * @property {Config | null} config
 * @property {Me | null} me          the account of the session (also while locked)
 * @property {string | null} busy    what a long operation is doing, shown with a spinner
 * @property {string | null} error   shown with role="alert"
 * @property {Field | null} errorField
 * @property {string | null} notice  a calm message, e.g. after logging out
 * @property {Pane} pane
 * @property {People} people
 * @property {Chats} chats
 * @property {string | null} pendingConnect  a key from a "#connect=" link, kept until signed in
 * @property {string | null} pendingInvite  a code from an "#invite=" link, for the sign-up form
 * @property {Assistant} assistant
 */

/**
 * @typedef {{type: 'booted', config: Config}
 *   | {type: 'fatal', error: string}
 *   | {type: 'navigate', view: 'login' | 'register'}
 *   | {type: 'signed_out', notice?: string}
 *   | {type: 'locked', me: Me}
 *   | {type: 'signed_in', me: Me}
 *   | {type: 'me_updated', me: Me}
 *   | {type: 'display_name', display_name: string | null}
 *   | {type: 'profile', display_name?: string | null, bio?: string | null, avatar_updated_at?: number | null}
 *   | {type: 'busy', text: string}
 *   | {type: 'failed', error: string, field?: Field}
 *   | {type: 'show', pane: Pane}
 *   | {type: 'connect_link', key: string}
 *   | {type: 'connect_link_used'}
 *   | {type: 'invite_link', code: string}
 *   | PeopleEvent
 *   | ChatsEvent
 *   | AssistantEvent} Event
 */

/** @type {Pane} */
const HOME = Object.freeze({ kind: 'home' });

/** @type {State} */
export const initialState = Object.freeze({
  view: 'loading', config: null, me: null, busy: null, error: null, errorField: null, notice: null,
  pane: HOME, people: emptyPeople, chats: emptyChats, pendingConnect: null, pendingInvite: null,
  assistant: emptyAssistant,
});

const calm = { busy: null, error: null, errorField: null };
// Whatever belonged to the last account goes when the account does.
const forget = { pane: HOME, people: emptyPeople, chats: emptyChats, assistant: emptyAssistant };

/** Pages about a chat close with the chat. @param {Pane} pane @param {Chats} chats */
const chatGone = (pane, chats) => (pane.kind === 'chat' || pane.kind === 'group') && chats.loaded && !chats.byId[pane.chatId];

/** @param {State} state @param {Event} event @returns {State} */
export function reduce(state, event) {
  if (event.type.startsWith('assistant_')) {
    const assistant = reduceAssistant(state.assistant, /** @type {AssistantEvent} */ (event));
    return assistant === state.assistant ? state : { ...state, assistant };
  }
  switch (event.type) {
    case 'booted':
      return { ...state, config: event.config };
    case 'fatal':
      return { ...state, ...calm, view: 'fatal', error: event.error };
    case 'navigate':
      return { ...state, ...calm, view: event.view, notice: null };
    case 'signed_out':
      // Someone who opened an invite link came to sign up.
      return { ...state, ...calm, ...forget, view: state.pendingInvite ? 'register' : 'login', me: null,
        notice: event.notice ?? null };
    case 'locked':
      return { ...state, ...calm, ...forget, view: 'unlock', me: event.me, notice: null };
    case 'signed_in':
      return { ...state, ...calm, ...forget, view: 'shell', me: event.me, notice: null, pendingInvite: null };
    case 'me_updated':
      return state.me?.user_id === event.me.user_id ? { ...state, me: event.me } : state;
    case 'display_name':
      return state.me ? { ...state, me: { ...state.me, display_name: event.display_name } } : state;
    case 'profile': {
      const { type: _, ...fields } = event;
      return state.me ? { ...state, me: { ...state.me, ...fields } } : state;
    }
    case 'busy':
      return { ...state, ...calm, busy: event.text, notice: null };
    case 'failed':
      return { ...state, busy: null, error: event.error, errorField: event.field ?? null };
    case 'show':
      return { ...state, pane: event.pane };
    case 'connect_link':
      return { ...state, pendingConnect: event.key };
    case 'connect_link_used':
      return { ...state, pendingConnect: null };
    case 'invite_link':
      // Only the signed-out have a use for it: it fills in the sign-up form.
      if (state.view === 'shell' || state.view === 'unlock') return state;
      return { ...state, pendingInvite: event.code, view: state.view === 'login' ? 'register' : state.view };
    case 'live': {
      const e = /** @type {any} */ (event.event);
      if (e.type === 'profile.updated' && state.me) {
        return { ...state, me: { ...state.me, display_name: e.display_name ?? null, bio: e.bio ?? null,
          avatar_updated_at: e.avatar_updated_at ?? null } };
      }
      const people = reducePeople(state.people, event);
      const chats = reduceChats(state.chats, event, state.me?.user_id ?? null);
      // The page of someone who is no longer a contact has nothing left to show.
      const gone = (state.pane.kind === 'contact' && e.type === 'contact.removed' && e.user_id === state.pane.userId)
        || (chats !== state.chats && chatGone(state.pane, chats));
      if (people === state.people && chats === state.chats && !gone) return state;
      return { ...state, people, chats, pane: gone ? HOME : state.pane };
    }
    case 'people_loaded': {
      const people = reducePeople(state.people, event);
      const pane = state.pane;
      const gone = pane.kind === 'contact' && !people.contacts.some((c) => c.user_id === pane.userId);
      return { ...state, people, pane: gone ? HOME : pane };
    }
    case 'people_failed':
    case 'blocked_loaded':
    case 'connect_key':
    case 'socket': {
      const people = reducePeople(state.people, event);
      return people === state.people ? state : { ...state, people };
    }
    default: {
      const chats = reduceChats(state.chats, /** @type {ChatsEvent} */ (event), state.me?.user_id ?? null);
      if (chats === state.chats) return state;
      return { ...state, chats, pane: chatGone(state.pane, chats) ? HOME : state.pane };
    }
  }
}

/**
 * @template S, E
 * @param {(state: S, event: E) => S} reducer
 * @param {S} initial
 */
export function createStore(reducer, initial) {
  let state = initial;
  /** @type {Set<(state: S, prev: S) => void>} */
  const listeners = new Set();
  return {
    getState: () => state,
    /** @param {E} event */
    dispatch(event) {
      const prev = state;
      state = reducer(state, event);
      if (state !== prev) for (const fn of [...listeners]) fn(state, prev);
    },
    /** @param {(state: S, prev: S) => void} fn @returns {() => void} unsubscribe */
    subscribe(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
  };
}

/** @typedef {ReturnType<typeof createStore<State, Event>>} Store */
