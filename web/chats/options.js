// @ts-check
// The user's choices about chats: typing indicators and read receipts (on the server),
// and what only this browser keeps (messages deleted "for me", notification
// preferences, the signing keys first seen for each person).

import * as api from '../core/api.js';
import * as prefs from '../core/prefs.js';

/** @typedef {import('../core/state.js').Store} Store */
/** @typedef {import('../core/state.js').State} State */
/** @typedef {import('../core/outcome.js').Outcome} Outcome */

/**
 * @param {{store: Store, act: import('../core/outcome.js').Act}} p
 */
export function createChatOptions({ store, act }) {
  const dispatch = store.dispatch;
  const state = () => store.getState();

  return {
    /** What this browser remembers for the account, read when the shell appears. */
    loadLocal() {
      const user = state().me?.user_id;
      if (!user) return;
      dispatch({ type: 'hidden', hidden: prefs.loadHidden(user) });
      dispatch({ type: 'pins', pins: prefs.loadPins(user) });
      dispatch({ type: 'notify_prefs', notify: prefs.loadNotify(user) });
    },

    /** Remembers the signing key of everyone seen for the first time. @param {State} s */
    pinNew(s) {
      const user = s.me?.user_id;
      if (!user) return;
      /** @type {{user_id: string, ed25519_public: string}[]} */
      const seen = [...s.people.contacts];
      for (const e of Object.values(s.chats.byId)) if (e.chat.kind === 'direct') seen.push(...e.chat.members);
      const pins = prefs.pinNew(s.chats.pins, seen.filter((p) => p.user_id !== user));
      if (pins === s.chats.pins) return;
      prefs.savePins(user, pins);
      dispatch({ type: 'pins', pins });
    },

    /** The contact's current key becomes the one remembered: the user compared the safety number. @param {string} userId @param {string} key */
    trustKey(userId, key) {
      const s = state();
      const pins = { ...s.chats.pins, [userId]: key };
      if (s.me) prefs.savePins(s.me.user_id, pins);
      dispatch({ type: 'pins', pins });
    },

    /** Hides a message on this device only. @param {string} chatId @param {string} id */
    deleteForMe(chatId, id) {
      const s = state();
      /** @type {Record<string, Record<string, true>>} */
      const hidden = { ...s.chats.hidden, [chatId]: { ...s.chats.hidden[chatId], [id]: /** @type {true} */ (true) } };
      if (s.me) prefs.saveHidden(s.me.user_id, hidden, (chat) => Boolean(s.chats.byId[chat]));
      dispatch({ type: 'hidden', hidden });
    },

    /** @param {{typing_indicators?: boolean, read_receipts?: boolean, default_timer_secs?: number}} change @returns {Promise<Outcome>} */
    saveSettings(change) {
      const current = state().chats.settings;
      if (!current) return Promise.resolve({ ok: false, error: 'This server does not offer these settings yet.' });
      return act(() => api.putSettings({ ...current, ...change }), (settings) => dispatch({ type: 'settings', settings }));
    },

    /**
     * Desktop notifications: turning them on asks the browser's permission first.
     * @param {{enabled?: boolean, showText?: boolean}} change @returns {Promise<Outcome>}
     */
    async setNotify(change) {
      const next = { ...state().chats.notify, ...change };
      if (change.enabled) {
        if (typeof Notification === 'undefined') return { ok: false, error: 'This browser cannot show notifications.' };
        const permission = Notification.permission === 'default' ? await Notification.requestPermission() : Notification.permission;
        if (permission !== 'granted') {
          return { ok: false, error: 'The browser does not allow notifications for MessGo. Allow them in its site settings.' };
        }
      }
      const user = state().me?.user_id;
      if (user) prefs.saveNotify(user, next);
      dispatch({ type: 'notify_prefs', notify: next });
      return { ok: true };
    },
  };
}
