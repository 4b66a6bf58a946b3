// @ts-check
// The chats part of the state: every chat with its messages ordered by seq, the own
// messages still on their way, and what the live socket says about reading and typing.
// Snapshots, pages of history and socket events all land here, in any order and any
// number of times: a message is kept once per seq and once per id, so a resume, a
// gap fill and the live event of the same message show it once.

import { dropExpired } from '../expiry/timers.js';

/** @typedef {import('../core/api.js').Chat} Chat */
/** @typedef {import('../core/api.js').ChatMember} ChatMember */
/** @typedef {import('../core/api.js').Message} Message */
/** @typedef {import('../core/api.js').Settings} Settings */
/** @typedef {import('../core/api.js').SystemEvent} SystemEvent */
/** @typedef {import('../core/socket.js').ServerEvent} ServerEvent */
/** @typedef {import('../crypto/plaintext.js').ImageRef} ImageRef */
/** @typedef {import('../crypto/file-ref.js').FileRef} FileRef */
/** @typedef {import('../crypto/plaintext.js').MessageExtra} MessageExtra */

/**
 * What a message said, once opened here. `unverified`: the signature does not match the
 * sender's key (never show the text); `unreadable`: no key or no valid ciphertext;
 * `unsupported`: a plaintext this version cannot show.
 * A reaction's body has its `emoji`, an edit's the new message; both their sealed `target`.
 * @typedef {({status: 'ok', text: string, images?: ImageRef[], files?: FileRef[], emoji?: string, target?: string} & MessageExtra)
 *   | {status: 'unverified'} | {status: 'unreadable'} | {status: 'unsupported'}} Body
 */

/**
 * @typedef {object} Msg
 * @property {number} seq
 * @property {string} id
 * @property {string | null} sender
 * @property {'message' | 'system' | 'reaction' | 'edit'} kind
 * @property {string} [target]  a reaction's or an edit's message, as the server says (checked against the sealed one)
 * @property {boolean} [edited]  an edit replaced its content: the server holds no ciphertext of it any more
 * @property {number} epoch
 * @property {number} created_at
 * @property {number} [expires_at]  when every copy of it must be gone (absent until the server's copy arrives)
 * @property {boolean} deleted
 * @property {SystemEvent | null} system
 * @property {Message | null} raw   the sealed copy; null for a deleted message, or an own one acked before it was sealed here
 * @property {Body | null} body     null until opened
 */

/**
 * An own message without a seq yet. `sealed`: what went to the server the last time
 * it was sent; with the ack it makes the message's stored copy, which the server does
 * not send back to the socket it came from.
 * @typedef {{id: string, text: string, at: number, status: 'sending' | 'failed', error: string | null,
 *   files?: FileRef[], extra?: MessageExtra, sealed?: import('../core/api.js').SendBody}} Pending
 */

/**
 * @typedef {object} ChatEntry
 * @property {Chat} chat
 * @property {Msg[]} messages      ascending seq
 * @property {number | null} top   history is complete up to this seq (null: not loaded yet)
 * @property {boolean} hasOlder    an older page may exist
 * @property {Pending[]} pending   oldest first
 * @property {Record<string, number>} typing  user id → until (ms)
 * @property {Record<string, number>} readBy  user id → seq they read up to
 * @property {Record<string, {username: string, ed25519_public: string}>} people  everyone ever seen as a member
 * @property {string | null} name  the group's decrypted name
 * @property {string | null} picture  the group's picture (a data: URL), from the same meta
 * @property {string | null} nameOf  the meta id the name was read from
 */

/**
 * @typedef {object} Chats
 * @property {boolean} loaded
 * @property {string | null} error
 * @property {Record<string, ChatEntry>} byId
 * @property {Settings | null} settings  null while unknown (or on a server without them)
 * @property {Record<string, Record<string, true>>} hidden  chat id → ids deleted "for me"
 * @property {Record<string, string>} pins  user id → the ed25519 key first seen for them
 * @property {{enabled: boolean, showText: boolean}} notify
 */

/**
 * @typedef {{type: 'chats_loaded', chats: Chat[]}
 *   | {type: 'chats_failed', error: string}
 *   | {type: 'chat_upsert', chat: Chat}
 *   | {type: 'history', chatId: string, messages: Message[], mode: 'latest' | 'before' | 'after', limit: number}
 *   | {type: 'pending_added', chatId: string, id: string, text: string, at: number, files?: FileRef[], extra?: MessageExtra}
 *   | {type: 'pending_status', chatId: string, id: string, status: 'sending' | 'failed', error?: string}
 *   | {type: 'pending_discarded', chatId: string, id: string}
 *   | {type: 'pending_sealed', chatId: string, id: string, sealed: import('../core/api.js').SendBody}
 *   | {type: 'opened', chatId: string, bodies: {id: string, body: Body}[]}
 *   | {type: 'named', chatId: string, metaId: string, name: string | null, picture?: string | null}
 *   | {type: 'epoch_local', chatId: string, epoch: number, at: number}
 *   | {type: 'hidden', hidden: Record<string, Record<string, true>>}
 *   | {type: 'pins', pins: Record<string, string>}
 *   | {type: 'notify_prefs', notify: {enabled: boolean, showText: boolean}}
 *   | {type: 'settings', settings: Settings | null}
 *   | {type: 'typing_expired', now: number}
 *   | {type: 'expired', now: number}} ChatsEvent
 */

export const TYPING_SHOWN_MS = 4_000;

/** @type {Chats} */
export const emptyChats = Object.freeze({
  loaded: false, error: null, byId: {}, settings: null, hidden: {}, pins: {},
  notify: { enabled: false, showText: false },
});

/** @param {Chat} chat @param {ChatEntry | undefined} [prev] @returns {Record<string, {username: string, ed25519_public: string}>} */
function peopleOf(chat, prev) {
  const people = { ...prev?.people };
  for (const m of chat.members ?? []) people[m.user_id] = { username: m.username, ed25519_public: m.ed25519_public };
  return people;
}

/** @param {Chat} chat @returns {ChatEntry} */
const newEntry = (chat) => ({
  chat, messages: [], top: null, hasOlder: false, pending: [], typing: {}, readBy: {}, people: peopleOf(chat),
  name: null, picture: null, nameOf: null,
});

/**
 * A fresh copy of the chat from the server. Its read position is ours: chat.updated is
 * one view sent to every member, so its read fields may be someone else's.
 * @param {ChatEntry | undefined} prev @param {Chat} chat @param {boolean} ownReadState
 */
function withChat(prev, chat, ownReadState) {
  if (!prev) return newEntry(chat);
  const next = { ...chat };
  if (!ownReadState || next.last_read_seq === undefined) {
    next.last_read_seq = prev.chat.last_read_seq;
    next.unread = prev.chat.unread;
  }
  // Live messages may have run ahead of the copy the server made.
  next.seq = Math.max(next.seq, prev.chat.seq);
  next.last_activity_at = Math.max(next.last_activity_at, prev.chat.last_activity_at);
  return { ...prev, chat: next, people: peopleOf(chat, prev) };
}

const KINDS = new Set(/** @type {const} */ (['message', 'system', 'reaction', 'edit']));

/** @param {Message} m @param {Msg | undefined} prev @returns {Msg} */
function fromServer(m, prev) {
  const deleted = Boolean(m.deleted) || Boolean(prev?.deleted);
  // An edited original comes without its ciphertext: what was opened of it stays.
  if (prev && prev.id === m.id && m.edited && !deleted && !prev.deleted) return prev.edited ? prev : { ...prev, edited: true };
  // Deletion is final: a stale copy replayed later does not bring the text back.
  if (prev && prev.id === m.id && (prev.deleted || (prev.raw && !deleted))) return prev;
  return {
    seq: m.seq, id: m.id, sender: m.sender ?? null, kind: KINDS.has(m.kind) ? m.kind : 'message',
    ...(typeof m.target === 'string' ? { target: m.target } : {}), ...(m.edited ? { edited: true } : {}),
    epoch: m.epoch, created_at: m.created_at, expires_at: m.expires_at, deleted, system: m.system ?? null,
    raw: deleted ? null : m,
    body: deleted ? null : prev?.id === m.id ? prev.body : null,
  };
}

/** What an own message said, from its pending copy. @param {Pending} p @returns {Body} */
const ownBody = (p) => ({ status: 'ok', text: p.text, ...(p.files?.length ? { files: p.files } : {}), ...p.extra });

/** Moves `top` over every seq that is now present. @param {number | null} top @param {Msg[]} messages */
function advance(top, messages) {
  if (top === null) return null;
  let t = top;
  for (const m of messages) {
    if (m.seq === t + 1) t = m.seq;
    else if (m.seq > t + 1) break;
  }
  return t;
}

/**
 * Merges server messages into an entry. New messages from others raise the unread
 * count once: a message counts when the chat's seq had not reached it yet.
 * @param {ChatEntry} entry @param {Message[]} incoming @param {string | null} me
 * @returns {ChatEntry}
 */
function merge(entry, incoming, me) {
  if (incoming.length === 0) return entry;
  /** @type {Map<number, Msg>} */
  const bySeq = new Map(entry.messages.map((m) => [m.seq, m]));
  const ids = new Map(entry.messages.map((m) => [m.id, m.seq]));
  let pending = entry.pending;
  let typing = entry.typing;
  let { seq, last_activity_at: activity, unread } = entry.chat;
  let changed = false;
  for (const m of incoming) {
    if (!m || m.chat_id !== entry.chat.id || !Number.isSafeInteger(m.seq) || typeof m.id !== 'string') continue;
    const knownAt = ids.get(m.id);
    if (knownAt !== undefined && knownAt !== m.seq) continue;
    const prev = bySeq.get(m.seq);
    let next = fromServer(m, prev);
    const own = pending.find((p) => p.id === m.id);
    if (own) {
      pending = pending.filter((p) => p !== own);
      if (m.sender === me && !next.deleted && !next.body) next = { ...next, body: ownBody(own) };
    }
    if (next === prev) continue;
    changed = true;
    bySeq.set(m.seq, next);
    ids.set(m.id, m.seq);
    if (!prev && m.seq > seq && m.kind === 'message' && m.sender !== me && !m.deleted) unread = (unread ?? 0) + 1;
    if (m.sender && typing[m.sender]) {
      typing = { ...typing };
      delete typing[m.sender];
    }
    seq = Math.max(seq, m.seq);
    // Reactions and edits change neither the chat's activity (docs/protocol.md) nor its unread count.
    if (m.kind === 'message' || m.kind === 'system') activity = Math.max(activity, m.created_at);
  }
  if (!changed && pending === entry.pending) return entry;
  const messages = [...bySeq.values()].sort((a, b) => a.seq - b.seq);
  return {
    ...entry, messages, pending, typing, top: advance(entry.top, messages),
    chat: { ...entry.chat, seq, last_activity_at: activity, unread },
  };
}

/**
 * A page of history. `latest` (the newest page) and `after` (a gap fill) are complete
 * for the range they cover, so `top` moves to their end; `before` only adds older ones.
 * @param {ChatEntry} entry @param {Extract<ChatsEvent, {type: 'history'}>} event @param {string | null} me
 */
function applyHistory(entry, event, me) {
  const merged = merge(entry, event.messages, me);
  const seqs = event.messages.map((m) => m.seq);
  const highest = seqs.length ? Math.max(...seqs) : null;
  const full = event.messages.length >= event.limit;
  if (event.mode === 'before') return { ...merged, hasOlder: full };
  let top = merged.top;
  if (event.mode === 'latest') {
    // An empty newest page: nothing there is visible to us, up to the chat's seq.
    const reached = highest ?? entry.chat.seq;
    top = Math.max(top ?? 0, reached);
  } else if (highest !== null) {
    top = Math.max(top ?? 0, highest);
  } else if (!full && top !== null) {
    // Nothing after top on the server: whatever lies above came later and is complete.
    const above = merged.messages.find((m) => m.seq > (top ?? 0));
    if (above) top = above.seq - 1;
  }
  const next = { ...merged, top: advance(top, merged.messages) };
  if (event.mode === 'latest') next.hasOlder = full;
  return next;
}

/**
 * The seq after which messages are missing, or null when nothing is: history is known
 * up to `top` and something newer already arrived. The caller fetches `?after=`.
 * @param {ChatEntry | undefined} entry
 */
export function gapAfter(entry) {
  if (!entry || entry.top === null) return null;
  const last = entry.messages[entry.messages.length - 1];
  return last && last.seq > entry.top ? entry.top : null;
}

/**
 * Whether an ack names an own message this state has no copy of: one whose pending copy
 * was discarded after it timed out, yet it reached the server. The socket it went over
 * is sent the ack, not the message, so the caller fetches the stored copy.
 * @param {ChatEntry | undefined} entry @param {{id: string, seq: number}} ack
 */
export function ackWithoutCopy(entry, ack) {
  if (!entry || entry.top === null) return false;
  return !entry.pending.some((p) => p.id === ack.id) && !entry.messages.some((m) => m.seq === ack.seq || m.id === ack.id);
}

/** What a reconnect asks the server to replay: the seq each loaded chat is complete to. @param {Chats} chats */
export function resumePoints(chats) {
  /** @type {Record<string, number>} */
  const points = {};
  for (const [id, e] of Object.entries(chats.byId)) if (e.top !== null) points[id] = e.top;
  return points;
}

/** @param {ChatEntry} entry @param {string} id @param {(p: Pending) => Pending | null} fn */
function updatePending(entry, id, fn) {
  let changed = false;
  const pending = entry.pending.flatMap((p) => {
    if (p.id !== id) return [p];
    changed = true;
    const next = fn(p);
    return next ? [next] : [];
  });
  return changed ? { ...entry, pending } : entry;
}

/**
 * An ack: the own message has its seq, and with what was sent, all of the stored copy
 * (the socket it went over is not sent it back). An older server's ack without the
 * times leaves the text we sent standing in until that copy comes.
 * @param {ChatEntry} entry @param {Partial<import('../core/api.js').Ack> & {id: string, seq: number}} ack
 * @param {string | null} me
 */
function applyAck(entry, ack, me) {
  const own = entry.pending.find((p) => p.id === ack.id);
  if (!own) return entry;
  const pending = entry.pending.filter((p) => p !== own);
  if (entry.messages.some((m) => m.seq === ack.seq || m.id === ack.id)) return { ...entry, pending };
  const sealed = own.sealed;
  const epoch = sealed?.epoch ?? entry.chat.epoch;
  const createdAt = ack.created_at ?? own.at;
  /** @type {Message | null} */
  const raw = sealed && ack.created_at !== undefined && ack.expires_at !== undefined ? {
    chat_id: sealed.chat_id, seq: ack.seq, id: ack.id, sender: me, epoch, kind: 'message', nonce: sealed.nonce,
    ciphertext: sealed.ciphertext, signature: sealed.signature, created_at: ack.created_at, expires_at: ack.expires_at,
    deleted: false,
  } : null;
  /** @type {Msg} */
  const placeholder = {
    seq: ack.seq, id: ack.id, sender: me, kind: 'message', epoch, created_at: createdAt,
    ...(ack.expires_at !== undefined ? { expires_at: ack.expires_at } : {}),
    deleted: false, system: null, raw, body: ownBody(own),
  };
  const messages = [...entry.messages, placeholder].sort((a, b) => a.seq - b.seq);
  return {
    ...entry, pending, messages, top: advance(entry.top, messages),
    chat: { ...entry.chat, seq: Math.max(entry.chat.seq, ack.seq), last_activity_at: Math.max(entry.chat.last_activity_at, createdAt) },
  };
}

/** Unread after the read position moved, counted from what is loaded. @param {ChatEntry} entry @param {number} readSeq @param {string | null} me */
function unreadAfter(entry, readSeq, me) {
  if (readSeq >= entry.chat.seq) return 0;
  return entry.messages.filter((m) => m.seq > readSeq && m.kind === 'message' && m.sender !== me && !m.deleted).length;
}

/**
 * @param {Chats} chats @param {string} id @param {(e: ChatEntry) => ChatEntry} fn
 * @returns {Chats} the same object when the chat is unknown or nothing changed
 */
function withEntry(chats, id, fn) {
  const entry = chats.byId[id];
  if (!entry) return chats;
  const next = fn(entry);
  return next === entry ? chats : { ...chats, byId: { ...chats.byId, [id]: next } };
}

/** @param {Chats} chats @param {(id: string, e: ChatEntry) => boolean} drop */
function removeWhere(chats, drop) {
  const entries = Object.entries(chats.byId);
  const kept = entries.filter(([id, e]) => !drop(id, e));
  return kept.length === entries.length ? chats : { ...chats, byId: Object.fromEntries(kept) };
}

/**
 * A socket event. Malformed frames and unknown types leave the state as it is.
 * @param {Chats} chats @param {ServerEvent} event @param {string | null} me @param {number} at when it arrived
 */
function applyLive(chats, event, me, at) {
  const e = /** @type {any} */ (event);
  switch (e.type) {
    case 'message':
      if (!e.message?.chat_id) return chats;
      return withEntry(chats, e.message.chat_id, (entry) => merge(entry, [e.message], me));
    case 'ack':
      return withEntry(chats, e.chat_id, (entry) => applyAck(entry, e, me));
    case 'message.deleted':
      return withEntry(chats, e.chat_id, (entry) => {
        const i = entry.messages.findIndex((m) => m.seq === e.seq);
        if (i < 0 || entry.messages[i].deleted) return entry;
        const messages = [...entry.messages];
        messages[i] = { ...messages[i], deleted: true, raw: null, body: null };
        return { ...entry, messages };
      });
    case 'chat.updated': {
      if (!e.chat?.id) return chats;
      return { ...chats, byId: { ...chats.byId, [e.chat.id]: withChat(chats.byId[e.chat.id], e.chat, false) } };
    }
    case 'chat.removed':
      return removeWhere(chats, (id) => id === e.chat_id);
    case 'contact.removed':
      // The server deletes the direct chat with a removed contact without a word of its own.
      return removeWhere(chats, (_, entry) => entry.chat.kind === 'direct'
        && entry.chat.members.some((m) => m.user_id === e.user_id));
    case 'chat.read':
      return withEntry(chats, e.chat_id, (entry) => {
        const read = Math.max(entry.chat.last_read_seq ?? 0, Number(e.seq) || 0);
        if (read === entry.chat.last_read_seq) return entry;
        return { ...entry, chat: { ...entry.chat, last_read_seq: read, unread: unreadAfter(entry, read, me) } };
      });
    case 'read':
      return withEntry(chats, e.chat_id, (entry) => {
        if ((entry.readBy[e.user_id] ?? 0) >= e.seq) return entry;
        return { ...entry, readBy: { ...entry.readBy, [e.user_id]: e.seq } };
      });
    case 'typing':
      if (e.user_id === me) return chats;
      return withEntry(chats, e.chat_id, (entry) => ({
        ...entry, typing: { ...entry.typing, [e.user_id]: at + TYPING_SHOWN_MS },
      }));
    default:
      return chats;
  }
}

/**
 * @param {Chats} chats @param {ChatsEvent | {type: 'live', event: ServerEvent, at?: number}} event
 * @param {string | null} me the signed-in user's id
 * @returns {Chats}
 */
export function reduceChats(chats, event, me) {
  switch (event.type) {
    case 'chats_loaded': {
      /** @type {Record<string, ChatEntry>} */
      const byId = {};
      for (const chat of event.chats) byId[chat.id] = withChat(chats.byId[chat.id], chat, true);
      return { ...chats, loaded: true, error: null, byId };
    }
    case 'chats_failed':
      return { ...chats, error: event.error };
    case 'chat_upsert':
      return { ...chats, byId: { ...chats.byId, [event.chat.id]: withChat(chats.byId[event.chat.id], event.chat, true) } };
    case 'history':
      return withEntry(chats, event.chatId, (entry) => applyHistory(entry, event, me));
    case 'pending_added':
      return withEntry(chats, event.chatId, (entry) => ({
        ...entry,
        pending: [...entry.pending, { id: event.id, text: event.text, at: event.at, status: 'sending', error: null,
          ...(event.files?.length ? { files: event.files } : {}), ...(event.extra ? { extra: event.extra } : {}) }],
      }));
    case 'pending_status':
      return withEntry(chats, event.chatId, (entry) => updatePending(entry, event.id,
        (p) => (p.status === event.status && p.error === (event.error ?? null) ? p
          : { ...p, status: event.status, error: event.error ?? null })));
    case 'pending_discarded':
      return withEntry(chats, event.chatId, (entry) => updatePending(entry, event.id, () => null));
    case 'pending_sealed':
      return withEntry(chats, event.chatId, (entry) => updatePending(entry, event.id, (p) => ({ ...p, sealed: event.sealed })));
    case 'opened':
      return withEntry(chats, event.chatId, (entry) => {
        const bodies = new Map(event.bodies.map((b) => [b.id, b.body]));
        let changed = false;
        const messages = entry.messages.map((m) => {
          const body = bodies.get(m.id);
          if (!body || m.body || m.deleted) return m;
          changed = true;
          return { ...m, body };
        });
        return changed ? { ...entry, messages } : entry;
      });
    case 'named':
      return withEntry(chats, event.chatId, (entry) => {
        // A meta that cannot be read keeps the name (and picture) we had: a rename we cannot read is rarer than a glitch.
        const picture = event.name === null ? entry.picture : event.picture ?? null;
        return entry.nameOf === event.metaId && entry.name === event.name && entry.picture === picture ? entry
          : { ...entry, name: event.name ?? entry.name, picture, nameOf: event.metaId };
      });
    case 'epoch_local':
      return withEntry(chats, event.chatId, (entry) => (entry.chat.epoch >= event.epoch ? entry : {
        ...entry, chat: { ...entry.chat, epoch: event.epoch, epoch_opened_at: event.at, rotation_required: false },
      }));
    case 'hidden':
      return { ...chats, hidden: event.hidden };
    case 'pins':
      return { ...chats, pins: event.pins };
    case 'notify_prefs':
      return { ...chats, notify: event.notify };
    case 'settings':
      return { ...chats, settings: event.settings };
    case 'typing_expired': {
      let byId = chats.byId;
      for (const [id, entry] of Object.entries(chats.byId)) {
        const left = Object.entries(entry.typing).filter(([, until]) => until > event.now);
        if (left.length === Object.keys(entry.typing).length) continue;
        if (byId === chats.byId) byId = { ...byId };
        byId[id] = { ...entry, typing: Object.fromEntries(left) };
      }
      return byId === chats.byId ? chats : { ...chats, byId };
    }
    case 'expired':
      return dropExpired(chats, event.now, me).chats;
    case 'live':
      return applyLive(chats, event.event, me, event.at ?? 0);
    default:
      return chats;
  }
}
