// @ts-check
// Group administration. The server checks who may do what (admins add their own
// contacts, remove others, promote, rename; anyone leaves); the client's part is the
// name, which is sealed here so the server never reads it, under an epoch every
// current member can open.

import * as api from '../core/api.js';
import { cleanName, encodeName } from '../crypto/plaintext.js';

/** @typedef {import('../core/state.js').Store} Store */
/** @typedef {import('../core/outcome.js').Outcome} Outcome */

/**
 * @param {{store: Store, keyring: import('./keys.js').Keyring, sender: import('./send.js').Sender,
 *   act: import('../core/outcome.js').Act, say: (err: unknown) => string,
 *   loaded: (chatId: string) => void}} p
 *   loaded: a chat the state has just learned of, to fetch its first page
 */
export function createGroupActions({ store, keyring, sender, act, say, loaded }) {
  const dispatch = store.dispatch;
  const me = () => store.getState().me?.user_id ?? '';

  return {
    /**
     * Creates the group, then opens its first epoch with the name sealed as its meta.
     * @param {string} rawName @param {string[]} members
     * @returns {Promise<{ok: true, chatId: string} | {ok: false, error: string}>}
     */
    async createGroup(rawName, members) {
      const name = encodeName(rawName);
      if (!name.ok) return name;
      if (members.length === 0) return { ok: false, error: 'Pick at least one contact.' };
      try {
        const chat = await api.createGroup(members);
        dispatch({ type: 'chat_upsert', chat });
        loaded(chat.id);
        try {
          await sender.openEpoch(chat.id, { name: cleanName(rawName) });
        } catch (err) {
          // The group exists; its first message will try the epoch again.
          say(err);
        }
        return { ok: true, chatId: chat.id };
      } catch (err) {
        return { ok: false, error: say(err) };
      }
    },

    /** @param {string} chatId @param {string} userId */
    addMember: (chatId, userId) => act(() => api.addMember(chatId, userId)),
    /** @param {string} chatId @param {string} userId */
    removeMember: (chatId, userId) => act(() => api.removeMember(chatId, userId)),
    /** @param {string} chatId @param {string} userId */
    promote: (chatId, userId) => act(() => api.promote(chatId, userId)),

    /** @param {string} chatId */
    leave: (chatId) => act(() => api.removeMember(chatId, me()),
      () => dispatch({ type: 'live', event: { type: 'chat.removed', chat_id: chatId }, at: Date.now() })),

    /**
     * A new name, sealed under an epoch every current member can read (one is opened
     * first when the members changed). The picture stays.
     * @param {string} chatId @param {string} rawName @returns {Promise<Outcome>}
     */
    rename: (chatId, rawName) => setMeta(chatId, rawName, store.getState().chats.byId[chatId]?.picture ?? null),

    /**
     * A new picture (a data: URL; null removes it), sealed with the current name the same way.
     * @param {string} chatId @param {string | null} picture @returns {Promise<Outcome>}
     */
    setPicture: (chatId, picture) => setMeta(chatId, store.getState().chats.byId[chatId]?.name ?? '', picture),
  };

  /** @param {string} chatId @param {string} rawName @param {string | null} picture @returns {Promise<Outcome>} */
  async function setMeta(chatId, rawName, picture) {
    const plain = encodeName(rawName, picture);
    if (!plain.ok) return plain;
    return act(async () => {
      const epoch = await sender.ensureEpoch(chatId);
      const meta = await keyring.seal({ chatId, epoch, id: crypto.randomUUID(), plaintext: plain.bytes });
      await api.setMeta(chatId, meta);
      return meta;
    }, (meta) => dispatch({ type: 'named', chatId, metaId: meta.id, name: cleanName(rawName), picture }));
  }
}
