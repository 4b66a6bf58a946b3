// @ts-check
// Chat keys per (chat, epoch): unwrapped once with the account's X25519 key, then kept
// only in memory as non-extractable AES keys, so script can use them but a copy of
// the page's memory holds no key bytes beyond the moment of unwrapping. Also seals and
// opens the messages and group names that use them.

import * as api from '../core/api.js';
import {
  CryptoError, fromB64u, openMessage, randomBytes, sealMessage, toB64u, unwrapChatKey, wrapChatKey,
} from '../crypto/protocol.js';
import { asBufferSource } from '../crypto/bytes.js';

/** @typedef {import('../accounts/keystore.js').StoredIdentity} StoredIdentity */
/** @typedef {import('../core/api.js').Chat} Chat */
/** @typedef {import('../core/api.js').Sealed} Sealed */

/** @param {Uint8Array} raw wiped once imported */
async function importChatKey(raw) {
  const bytes = asBufferSource(raw); // raw itself in practice; were it a copy, it is wiped too
  try {
    return await crypto.subtle.importKey('raw', bytes, 'AES-GCM', false, ['encrypt', 'decrypt']);
  } finally {
    bytes.fill(0);
    raw.fill(0);
  }
}

/** @param {{identity: () => Promise<StoredIdentity>}} p */
export function createKeyring({ identity }) {
  /** @type {Map<string, Promise<CryptoKey>>} */
  const keys = new Map();
  /** Wrapped keys that epoch.opened brought, so the first use needs no round trip. @type {Map<string, Uint8Array>} */
  const wrapped = new Map();
  const slot = (/** @type {string} */ chatId, /** @type {number} */ epoch) => `${chatId}:${epoch}`;

  /** @param {string} chatId @param {number} epoch */
  async function unwrap(chatId, epoch) {
    const id = await identity();
    const at = slot(chatId, epoch);
    const box = wrapped.get(at) ?? fromB64u((await api.epochKey(chatId, epoch)).wrapped);
    wrapped.delete(at);
    const raw = await unwrapChatKey({
      recipientSecret: id.x25519Private, recipientPublic: id.x25519Public, chatId, epoch, wrapped: box,
    });
    return importChatKey(raw);
  }

  /**
   * The key of an epoch. A failure is not kept (the network may have been down),
   * except a 404: there is no key of that epoch for us (it was opened before we
   * joined), and asking again would not change that.
   * @param {string} chatId @param {number} epoch @returns {Promise<CryptoKey>}
   */
  function key(chatId, epoch) {
    const at = slot(chatId, epoch);
    let found = keys.get(at);
    if (!found) {
      found = unwrap(chatId, epoch);
      keys.set(at, found);
      found.catch((err) => {
        if (!(err instanceof api.ApiError && err.status === 404)) keys.delete(at);
      });
    }
    return found;
  }

  return {
    key,

    /** @param {string} chatId @param {number} epoch @param {string} box base64url, from epoch.opened */
    remember(chatId, epoch, box) {
      if (keys.has(slot(chatId, epoch))) return;
      try {
        wrapped.set(slot(chatId, epoch), fromB64u(box));
      } catch {
        // A malformed frame: the key will be fetched when needed.
      }
    },

    /**
     * A fresh random key for the next epoch, wrapped to every current member. The key
     * is kept here at once; the caller posts the wrapped copies.
     * @param {Chat} chat @param {number} epoch
     * @returns {Promise<{keys: {user_id: string, wrapped: string}[], key: CryptoKey}>}
     */
    async create(chat, epoch) {
      const raw = randomBytes(32);
      try {
        const keysOut = await Promise.all(chat.members.map(async (m) => ({
          user_id: m.user_id,
          wrapped: toB64u(await wrapChatKey({ recipientPublic: fromB64u(m.x25519_public), chatId: chat.id, epoch, chatKey: raw })),
        })));
        const k = await importChatKey(raw);
        return { keys: keysOut, key: k };
      } finally {
        raw.fill(0);
      }
    },

    /** @param {string} chatId @param {number} epoch @param {CryptoKey} k */
    put(chatId, epoch, k) {
      keys.set(slot(chatId, epoch), Promise.resolve(k));
    },

    /**
     * Seals a plaintext as the signed-in user: the same layout for messages and metas.
     * @param {{chatId: string, epoch: number, id: string, plaintext: Uint8Array, key?: CryptoKey}} p
     * @returns {Promise<Sealed>}
     */
    async seal({ chatId, epoch, id, plaintext, key: given }) {
      const me = await identity();
      const chatKey = given ?? (await key(chatId, epoch));
      const s = await sealMessage({
        chatKey, signingKey: me.ed25519Private, plaintext, chatId, epoch, senderId: me.userId, messageId: id,
      });
      return { epoch, sender: me.userId, id, nonce: toB64u(s.nonce), ciphertext: toB64u(s.ciphertext), signature: toB64u(s.signature) };
    },

    /**
     * Verifies, then decrypts. Resolves to the plaintext, or to why it cannot be shown.
     * @param {{chatId: string, epoch: number, sender: string, id: string, nonce?: string, ciphertext?: string,
     *   signature?: string, senderPublic: string | null}} m
     * @returns {Promise<{ok: true, plaintext: Uint8Array} | {ok: false, why: 'unverified' | 'unreadable'}>}
     */
    async open(m) {
      if (!m.senderPublic || !m.nonce || !m.ciphertext || !m.signature) return { ok: false, why: 'unverified' };
      let chatKey;
      try {
        chatKey = await key(m.chatId, m.epoch);
      } catch {
        return { ok: false, why: 'unreadable' };
      }
      try {
        const plaintext = await openMessage({
          chatKey, senderPublic: fromB64u(m.senderPublic), nonce: fromB64u(m.nonce), ciphertext: fromB64u(m.ciphertext),
          signature: fromB64u(m.signature), chatId: m.chatId, epoch: m.epoch, senderId: m.sender, messageId: m.id,
        });
        return { ok: true, plaintext };
      } catch (err) {
        // Only a signature that checks out lets anything else be said about the message.
        if (err instanceof CryptoError && err.code !== 'signature') return { ok: false, why: 'unreadable' };
        return { ok: false, why: 'unverified' };
      }
    },

    /** Forgets an epoch's key once no message in this tab needs it (they expired). @param {string} chatId @param {number} epoch */
    forget(chatId, epoch) {
      keys.delete(slot(chatId, epoch));
      wrapped.delete(slot(chatId, epoch));
    },

    clear() {
      keys.clear();
      wrapped.clear();
    },
  };
}

/** @typedef {ReturnType<typeof createKeyring>} Keyring */
