// @ts-check
// Sending: every own message gets a random id before it leaves, and keeps it through
// every retry, so the server's idempotent store can never show it twice. Opening epochs
// lives here too, because it is what a send needs first: a chat without an epoch, one
// older than a day, or one whose members changed gets a new key before the message
// goes out (docs/protocol.md, "Epoch change after a membership change").

import * as api from '../core/api.js';
import { encodeMessage, encodeName } from '../crypto/plaintext.js';
import { groupMentions } from './mentions.js';

/** @typedef {import('../core/state.js').Store} Store */
/** @typedef {import('../core/api.js').Chat} Chat */
/** @typedef {import('./keys.js').Keyring} Keyring */
/** @typedef {import('../crypto/file-ref.js').FileRef} FileRef */

// The server refuses an epoch older than 24 h; opening a little early avoids a
// refused send when this clock runs behind the server's.
const EPOCH_FRESH_MS = 24 * 3_600_000 - 10 * 60_000;
// A frame without an ack for this long is shown as failed; the user can retry it (the
// same id, so a late ack still turns it into "sent").
export const ACK_TIMEOUT_MS = 15_000;
// Each resend after epoch_stale opens a new epoch; more than this means something else is wrong.
const MAX_STALE_RETRIES = 2;

/** @param {Chat} chat @param {number} now */
export const epochIsFresh = (chat, now) =>
  chat.epoch > 0 && !chat.rotation_required && now - chat.epoch_opened_at < EPOCH_FRESH_MS;

/**
 * A new message id: a UUIDv7, the time in milliseconds then 74 random bits. As random
 * as a v4 to anyone guessing, and ids minted in time order land at the right edge of
 * the server's id index instead of each on a page of its own.
 * @param {number} [now] @returns {string}
 */
export function messageId(now = Date.now()) {
  const b = crypto.getRandomValues(new Uint8Array(16));
  for (let i = 0; i < 6; i++) b[i] = Math.floor(now / 2 ** (8 * (5 - i))) % 256;
  b[6] = 0x70 | (b[6] & 0x0f);
  b[8] = 0x80 | (b[8] & 0x3f);
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A sentence for a refused send. @param {string} code @param {string} [message] */
export function nackText(code, message) {
  switch (code) {
    case 'too_large': return 'Not sent: this message is too long.';
    case 'rate_limited': return 'Not sent: you are sending too fast. Try again in a moment.';
    case 'not_found': return 'Not sent: you are no longer in this chat.';
    case 'invalid_blob': return 'Not sent: its files are no longer on the server (uploads wait an hour). Attach them again.';
    case 'network': return 'Not sent: cannot reach the server.';
    case 'storage_full': return 'Not sent: the server is out of storage space. Try again later.';
    default: return message ? `Not sent: ${message}` : 'Not sent.';
  }
}

/**
 * @param {{store: Store, keyring: Keyring, sendFrame: (frame: object) => boolean,
 *   say: (err: unknown) => string}} p
 */
export function createSender({ store, keyring, sendFrame, say }) {
  const dispatch = store.dispatch;
  /** @type {Map<string, Promise<number>>} */
  const opening = new Map();
  /** @type {Map<string, ReturnType<typeof setTimeout>>} */
  const timers = new Map();
  /** epoch_stale resends per message id. @type {Map<string, number>} */
  const staleRetries = new Map();
  /** The epoch each frame awaiting its ack was sealed under. @type {Map<string, number>} */
  const sentUnder = new Map();

  const entry = (/** @type {string} */ chatId) => store.getState().chats.byId[chatId];

  /** @param {string} id */
  function disarm(id) {
    clearTimeout(timers.get(id));
    timers.delete(id);
    sentUnder.delete(id);
  }

  /** @param {string} chatId @param {string} id @param {string} error */
  function fail(chatId, id, error) {
    disarm(id);
    staleRetries.delete(id);
    dispatch({ type: 'pending_status', chatId, id, status: 'failed', error });
  }

  /**
   * Opens the next epoch from the chat as the server has it now: its members are the
   * ones who must get the key. Another member may win the race (409 epoch_conflict);
   * their epoch is then as good as ours.
   * @param {string} chatId @param {{name?: string, staleEpoch?: number}} [opts]
   *   name: the group's name to seal as meta (a new group); staleEpoch: refused by the server, so not reusable
   * @returns {Promise<number>} the epoch to send under
   */
  async function openNext(chatId, opts = {}) {
    for (let attempt = 0; ; attempt++) {
      const chat = await api.chat(chatId);
      dispatch({ type: 'chat_upsert', chat });
      if (epochIsFresh(chat, Date.now()) && chat.epoch !== opts.staleEpoch) return chat.epoch;
      const epoch = chat.epoch + 1;
      const { keys, key } = await keyring.create(chat, epoch);
      // The name (and picture) is re-sealed under every new epoch: members added since
      // can read only keys from their joining on. Only admins may: the server cannot
      // tell a faithful re-seal from a new name, so it refuses a member's meta.
      const myId = store.getState().me?.user_id;
      const admin = chat.members.some((m) => m.user_id === myId && m.role === 'admin');
      const name = !admin ? null : opts.name ?? (chat.kind === 'group' ? entry(chatId)?.name : null);
      const picture = opts.name ? null : entry(chatId)?.picture ?? null;
      const plain = name ? encodeName(name, picture) : null;
      const meta = plain?.ok
        ? await keyring.seal({ chatId, epoch, id: crypto.randomUUID(), plaintext: plain.bytes, key })
        : undefined;
      try {
        await api.openEpoch(chatId, { epoch, keys, ...(meta ? { meta } : {}) });
      } catch (err) {
        const retry = err instanceof api.ApiError && (err.code === 'epoch_conflict' || err.code === 'epoch_keys_mismatch');
        if (retry && attempt < 3) continue;
        throw err;
      }
      keyring.put(chatId, epoch, key);
      dispatch({ type: 'epoch_local', chatId, epoch, at: Date.now() });
      if (meta && name) dispatch({ type: 'named', chatId, metaId: meta.id, name, picture });
      return epoch;
    }
  }

  /** One epoch opening per chat at a time: concurrent sends wait for the same one. @param {string} chatId @param {{name?: string, staleEpoch?: number}} [opts] */
  function openOnce(chatId, opts) {
    let found = opening.get(chatId);
    if (!found) {
      found = openNext(chatId, opts).finally(() => opening.delete(chatId));
      opening.set(chatId, found);
    }
    return found;
  }

  /** The epoch to send under now, opening one when the chat needs it. @param {string} chatId */
  async function ensureEpoch(chatId) {
    const e = entry(chatId);
    if (!e) throw new api.ApiError(404, 'not_found', 'This chat no longer exists.');
    if (epochIsFresh(e.chat, Date.now()) && !opening.has(chatId)) return e.chat.epoch;
    return openOnce(chatId);
  }

  /**
   * Seals and sends one pending message (again). Over the socket when it is open, else
   * over REST, which answers like the ack.
   * @param {string} chatId @param {string} id @param {number} [forceAfter] an epoch the server refused
   * @returns {Promise<void>}
   */
  async function deliver(chatId, id, forceAfter) {
    const p = entry(chatId)?.pending.find((x) => x.id === id);
    if (!p) return;
    dispatch({ type: 'pending_status', chatId, id, status: 'sending' });
    disarm(id);
    let epoch = 0;
    try {
      epoch = forceAfter !== undefined ? await openOnce(chatId, { staleEpoch: forceAfter }) : await ensureEpoch(chatId);
      // The timer goes inside the signed plaintext too, so receivers learn it from the sender.
      const plain = encodeMessage({ text: p.text, files: p.files, timer: entry(chatId)?.chat.timer_secs,
        mentions: groupMentions(entry(chatId), p.text, store.getState().me?.user_id ?? null), ...p.extra });
      if (!plain.ok) return fail(chatId, id, plain.error);
      const sealed = await keyring.seal({ chatId, epoch, id, plaintext: plain.bytes });
      /** @type {import('../core/api.js').SendBody} */
      const frame = { chat_id: chatId, id, epoch, nonce: sealed.nonce, ciphertext: sealed.ciphertext, signature: sealed.signature };
      // The server binds these uploads to the message: they then live and die with it.
      const blobs = (p.files ?? []).flatMap((f) => (f.thumb ? [f.blob, f.thumb] : [f.blob]));
      if (blobs.length) frame.blobs = blobs;
      dispatch({ type: 'pending_sealed', chatId, id, sealed: frame });
      if (sendFrame({ type: 'send', ...frame })) {
        timers.set(id, setTimeout(() => fail(chatId, id, 'Not sent yet: no answer from the server.'), ACK_TIMEOUT_MS));
        sentUnder.set(id, epoch);
        return;
      }
      const ack = await api.sendMessage(frame);
      acked(id);
      dispatch({ type: 'live', event: { ...ack, type: 'ack', chat_id: chatId, id }, at: Date.now() });
    } catch (err) {
      if (err instanceof api.ApiError && err.code === 'epoch_stale') return stale(chatId, id, epoch);
      fail(chatId, id, err instanceof api.ApiError ? nackText(err.code, err.message) : say(err));
    }
  }

  /** @param {string} chatId @param {string} id @param {number} epoch @returns {void | Promise<void>} */
  function stale(chatId, id, epoch) {
    const n = (staleRetries.get(id) ?? 0) + 1;
    if (n > MAX_STALE_RETRIES) return fail(chatId, id, 'Not sent: the chat\'s keys kept changing. Try again.');
    staleRetries.set(id, n);
    return deliver(chatId, id, epoch);
  }

  /** @param {string} id */
  function acked(id) {
    disarm(id);
    staleRetries.delete(id);
  }

  return {
    ensureEpoch,
    openEpoch: openOnce,

    /**
     * @param {string} chatId @param {string} text @param {FileRef[]} [files] uploaded already
     * @param {import('../crypto/plaintext.js').MessageExtra} [extra] what it replies to, that it is forwarded
     * @returns {{ok: true} | {ok: false, error: string}}
     */
    send(chatId, text, files = [], extra) {
      const plain = encodeMessage({ text, files, ...extra });
      if (!plain.ok) return plain;
      const id = messageId();
      const more = extra && (extra.reply || extra.forwarded) ? { extra } : {};
      dispatch({ type: 'pending_added', chatId, id, text, at: Date.now(), ...(files.length ? { files } : {}), ...more });
      deliver(chatId, id);
      return { ok: true };
    },

    /** The same id again: if the first try did reach the server, this one gets its seq. @param {string} chatId @param {string} id */
    retry(chatId, id) {
      staleRetries.delete(id);
      return deliver(chatId, id);
    },

    /** @param {string} chatId @param {string} id */
    discard(chatId, id) {
      disarm(id);
      dispatch({ type: 'pending_discarded', chatId, id });
    },

    /** After a reconnect: whatever was on its way over the old socket goes again. */
    resendAll() {
      for (const [chatId, e] of Object.entries(store.getState().chats.byId)) {
        for (const p of e.pending) if (p.status === 'sending' && timers.has(p.id)) deliver(chatId, p.id);
      }
    },

    /** @param {{chat_id: string, id: string}} ack */
    onAck: (ack) => acked(ack.id),

    /** @param {{chat_id: string, id: string, code: string, message?: string}} nack */
    onNack(nack) {
      if (!timers.has(nack.id)) return;
      const p = entry(nack.chat_id)?.pending.find((x) => x.id === nack.id);
      if (!p) return;
      if (nack.code === 'epoch_stale') {
        const epoch = sentUnder.get(nack.id) ?? 0;
        disarm(nack.id);
        stale(nack.chat_id, nack.id, epoch);
        return;
      }
      fail(nack.chat_id, nack.id, nackText(nack.code, nack.message));
    },

    stop() {
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
      sentUnder.clear();
      opening.clear();
      staleRetries.clear();
    },
  };
}

/** @typedef {ReturnType<typeof createSender>} Sender */
