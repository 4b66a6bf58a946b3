// @ts-check
// One store for the app: events go in, the reducer makes the next state, subscribers
// render it. Views never change state directly; they call actions, which dispatch.

/** @typedef {import('./api.js').Me} Me */
/** @typedef {import('./api.js').Config} Config */
/** @typedef {'loading' | 'login' | 'register' | 'unlock' | 'shell' | 'fatal'} View */
/** @typedef {'username' | 'password' | 'confirm'} Field */

/**
 * @typedef {object} State
 * @property {View} view
 * @property {Config | null} config
 * @property {Me | null} me          the account of the session (also while locked)
 * @property {string | null} busy    what a long operation is doing, shown with a spinner
 * @property {string | null} error   shown with role="alert"
 * @property {Field | null} errorField
 * @property {string | null} notice  a calm message, e.g. after logging out
 */

/**
 * @typedef {{type: 'booted', config: Config}
 *   | {type: 'fatal', error: string}
 *   | {type: 'navigate', view: 'login' | 'register'}
 *   | {type: 'signed_out', notice?: string}
 *   | {type: 'locked', me: Me}
 *   | {type: 'signed_in', me: Me}
 *   | {type: 'busy', text: string}
 *   | {type: 'failed', error: string, field?: Field}} Event
 */

/** @type {State} */
export const initialState = Object.freeze({
  view: 'loading', config: null, me: null, busy: null, error: null, errorField: null, notice: null,
});

const calm = { busy: null, error: null, errorField: null };

/** @param {State} state @param {Event} event @returns {State} */
export function reduce(state, event) {
  switch (event.type) {
    case 'booted':
      return { ...state, config: event.config };
    case 'fatal':
      return { ...state, ...calm, view: 'fatal', error: event.error };
    case 'navigate':
      return { ...state, ...calm, view: event.view, notice: null };
    case 'signed_out':
      return { ...state, ...calm, view: 'login', me: null, notice: event.notice ?? null };
    case 'locked':
      return { ...state, ...calm, view: 'unlock', me: event.me, notice: null };
    case 'signed_in':
      return { ...state, ...calm, view: 'shell', me: event.me, notice: null };
    case 'busy':
      return { ...state, ...calm, busy: event.text, notice: null };
    case 'failed':
      return { ...state, busy: null, error: event.error, errorField: event.field ?? null };
    default:
      return state;
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
