// @ts-check
// Removes each message from this tab at the moment it expires: one timer for the next
// expiry in the state, re-planned whenever the state changes. The reducer drops the
// messages (and their "deleted for me" marks); this module then rewrites the stored
// marks and lets the caller forget what only those messages needed (epoch keys). The
// images' blob: URLs follow by themselves (images/media.js revokes what no message carries).

import { nextExpiry } from './timers.js';
import * as prefs from '../core/prefs.js';

/** @typedef {import('../core/state.js').Store} Store */
/** @typedef {import('../core/state.js').State} State */

// setTimeout takes at most a signed 32-bit delay; later expiries are planned again then.
const MAX_DELAY = 2 ** 31 - 1;

/**
 * @param {{store: Store, onExpired?: (s: State, prev: State) => void}} p
 *   onExpired: after messages left the state
 */
export function createExpiryWatch({ store, onExpired }) {
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  /** @type {number | null} */
  let plannedAt = null;
  /** @type {(() => void) | null} */
  let unsubscribe = null;

  /** @param {State} s */
  function plan(s) {
    const next = nextExpiry(s.chats);
    if (next === plannedAt) return;
    clearTimeout(timer);
    plannedAt = next;
    if (next !== null) timer = setTimeout(fire, Math.min(MAX_DELAY, Math.max(0, next - Date.now())));
  }

  function fire() {
    plannedAt = null;
    const prev = store.getState();
    store.dispatch({ type: 'expired', now: Date.now() });
    const s = store.getState();
    if (s !== prev) {
      const user = s.me?.user_id;
      if (user && s.chats.hidden !== prev.chats.hidden) {
        prefs.saveHidden(user, s.chats.hidden, (chat) => Boolean(s.chats.byId[chat]));
      }
      onExpired?.(s, prev);
    }
    plan(store.getState());
  }

  // A hidden tab's timers are throttled: catch up as soon as it is looked at again.
  const onVisible = () => {
    if (document.visibilityState === 'visible' && unsubscribe) fire();
  };

  return {
    start() {
      if (unsubscribe) return;
      unsubscribe = store.subscribe((s, prev) => {
        if (s.chats.byId !== prev.chats.byId) plan(s);
      });
      document.addEventListener('visibilitychange', onVisible);
      plan(store.getState());
    },
    stop() {
      unsubscribe?.();
      unsubscribe = null;
      document.removeEventListener('visibilitychange', onVisible);
      clearTimeout(timer);
      plannedAt = null;
    },
  };
}
