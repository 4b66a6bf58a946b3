// @ts-check
// Sending reactions and edits: each is a message of its own kind with a `target`,
// sealed like any message (docs/protocol.md, "Reactions and edits"). They go over REST,
// which answers with the stored place, so the state gets the stored copy at once and
// nothing waits in the pending list (a reaction is not a bubble of its own).

import * as api from '../core/api.js';
import { encodeEdit, encodeReaction } from '../crypto/plaintext.js';
import { messageId } from '../chats/send.js';

/** @typedef {import('../core/state.js').Store} Store */
/** @typedef {import('../chats/state.js').Msg} Msg */
/** @typedef {import('../chats/state.js').Body} Body */
/** @typedef {{ok: true} | {ok: false, error: string}} Outcome */

// epoch_stale: the chat's key changed under us; a new epoch and one more try, twice at most.
const TRIES = 3;

/**
 * @param {{store: Store, sealing: {ensureEpoch: (chatId: string) => Promise<number>,
 *   openEpoch: (chatId: string, opts?: {staleEpoch?: number}) => Promise<number>,
 *   seal: (p: {chatId: string, epoch: number, id: string, plaintext: Uint8Array}) => Promise<{nonce: string, ciphertext: string, signature: string}>},
 *   say: (err: unknown) => string}} p
 */
export function createReactionActions({ store, sealing, say }) {
  const dispatch = store.dispatch;

  /**
   * @param {string} chatId @param {'reaction' | 'edit'} kind @param {string} target
   * @param {Uint8Array} plaintext @param {Body} body what the receivers will read
   * @returns {Promise<Outcome>}
   */
  async function sendSealed(chatId, kind, target, plaintext, body) {
    const id = messageId();
    let epoch = 0;
    for (let attempt = 0; attempt < TRIES; attempt++) {
      try {
        epoch = attempt === 0 ? await sealing.ensureEpoch(chatId) : await sealing.openEpoch(chatId, { staleEpoch: epoch });
        const sealed = await sealing.seal({ chatId, epoch, id, plaintext });
        const frame = { chat_id: chatId, id, epoch, ...sealed, kind, target };
        const ack = await api.sendMessage(frame);
        /** @type {import('../core/api.js').Message} */
        const message = { ...frame, seq: ack.seq, sender: store.getState().me?.user_id ?? null,
          created_at: ack.created_at, expires_at: ack.expires_at, deleted: false };
        dispatch({ type: 'live', event: { type: 'message', message }, at: Date.now() });
        dispatch({ type: 'opened', chatId, bodies: [{ id, body }] });
        return { ok: true };
      } catch (err) {
        if (err instanceof api.ApiError && err.code === 'epoch_stale' && attempt + 1 < TRIES) continue;
        return { ok: false, error: say(err) };
      }
    }
    return { ok: false, error: 'Not sent: the chat\'s keys kept changing. Try again.' };
  }

  return {
    /** @param {string} chatId @param {Msg} target @param {string} emoji @returns {Promise<Outcome>} */
    react(chatId, target, emoji) {
      const plain = encodeReaction(emoji, target.id);
      if (!plain.ok) return Promise.resolve(plain);
      return sendSealed(chatId, 'reaction', target.id, plain.bytes, { status: 'ok', text: '', emoji, target: target.id });
    },

    /** Takes reactions back: their messages are deleted for everyone. @param {string} chatId @param {Msg[]} mine @returns {Promise<Outcome>} */
    async unreact(chatId, mine) {
      try {
        for (const m of mine) {
          await api.deleteMessage(chatId, m.id);
          dispatch({ type: 'live', event: { type: 'message.deleted', chat_id: chatId, seq: m.seq }, at: Date.now() });
        }
        return { ok: true };
      } catch (err) {
        return { ok: false, error: say(err) };
      }
    },

    /**
     * A new text for an own message; its files stay as they are.
     * @param {string} chatId @param {Msg} target @param {string} text @param {Body | null} current what it shows now
     * @returns {Promise<Outcome>}
     */
    edit(chatId, target, text, current) {
      const files = current?.status === 'ok' ? current.files ?? [] : [];
      const images = current?.status === 'ok' ? current.images ?? [] : [];
      const plain = encodeEdit({ text, files, images, target: target.id });
      if (!plain.ok) return Promise.resolve(plain);
      /** @type {Body} */
      const body = { status: 'ok', text: text.replace(/^\s*\n/, '').replace(/\s+$/, ''), target: target.id,
        ...(files.length ? { files } : {}), ...(images.length ? { images } : {}) };
      return sendSealed(chatId, 'edit', target.id, plain.bytes, body);
    },
  };
}

/** @typedef {ReturnType<typeof createReactionActions>} ReactionActions */
