// @ts-check
// How a failed action reaches the person who asked: every user action resolves to an
// Outcome, {ok, error?}, and the error is a sentence shown right where they are looking.
// The server's sentences are written for people (a 429's says when to try again);
// anything else is logged for whoever debugs, and the person reads a plain apology.
// Features with errors of their own (a wrong current password, a session that ended)
// turn those into their sentence first and leave the rest to say().

import { ApiError } from './api.js';

/** @typedef {{ok: true, text?: string} | {ok: false, error: string}} Outcome */
/** @typedef {<T>(run: () => Promise<T>, then?: (value: T) => void) => Promise<Outcome>} Act */

export const SOMETHING_WRONG = 'Something went wrong. Please try again.';

/** The sentence for an error. @param {unknown} err @returns {string} */
export function say(err) {
  if (err instanceof ApiError) return err.message;
  console.warn('MessGo:', err);
  return SOMETHING_WRONG;
}

/**
 * An `act` for one feature: it runs a request, hands its value to `then`, and resolves
 * to {ok: true}, or to {ok: false} with `explain`'s sentence for what was thrown.
 * @param {(err: unknown) => string} [explain]
 * @returns {Act}
 */
export function actWith(explain = say) {
  return async (run, then) => {
    try {
      const value = await run();
      then?.(value);
      return { ok: true };
    } catch (err) {
      return { ok: false, error: explain(err) };
    }
  };
}
