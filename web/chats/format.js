// @ts-check
// The words and order the chat views show, computed from the state alone: chat names,
// previews, system lines, day separators, who is typing. Pure, so it is tested in Node
// and every view says the same thing the same way.

import { timerLabel } from '../expiry/timers.js';
import { nameOf } from '../core/format.js';

/** @typedef {import('./state.js').ChatEntry} ChatEntry */
/** @typedef {import('./state.js').Chats} Chats */
/** @typedef {import('./state.js').Msg} Msg */
/** @typedef {import('./state.js').Pending} Pending */
/** @typedef {import('../core/api.js').Contact} Contact */

/**
 * A person as this user knows them: the display name of a contact, else the username
 * the chat lists (also for members who have left), else "someone".
 * @param {ChatEntry} entry @param {string | null | undefined} userId @param {Contact[]} contacts
 */
export function personName(entry, userId, contacts) {
  if (!userId) return 'someone';
  const contact = contacts.find((c) => c.user_id === userId);
  if (contact) return nameOf(contact);
  return entry.people[userId]?.username ?? 'someone';
}

/** The other person of a direct chat. @param {ChatEntry} entry @param {string | null} me */
export const otherMember = (entry, me) => entry.chat.members.find((m) => m.user_id !== me) ?? null;

/**
 * Direct chats are named after the other person; a group after its sealed name, which
 * only members can read.
 * @param {ChatEntry} entry @param {string | null} me @param {Contact[]} contacts
 */
export function chatTitle(entry, me, contacts) {
  if (entry.chat.kind === 'assistant') return 'Assistant';
  if (entry.chat.kind === 'group') return entry.name ?? 'Group';
  const other = otherMember(entry, me);
  return other ? personName(entry, other.user_id, contacts) : 'Direct chat';
}

/** @param {ChatEntry} entry @param {string | null | undefined} userId @param {string | null} me @param {Contact[]} contacts @param {boolean} start */
function who(entry, userId, me, contacts, start) {
  if (userId && userId === me) return start ? 'You' : 'you';
  return personName(entry, userId, contacts);
}

/**
 * The centred line of a system message, or null for events not meant to be shown.
 * @param {Msg} msg @param {ChatEntry} entry @param {string | null} me @param {Contact[]} contacts
 */
export function systemText(msg, entry, me, contacts) {
  const s = msg.system;
  if (!s) return null;
  const by = who(entry, s.by, me, contacts, true);
  const user = who(entry, s.user_id, me, contacts, false);
  switch (s.event) {
    case 'created': return `${by} created the group`;
    case 'joined': return s.user_id && s.user_id !== s.by ? `${by} added ${user}` : `${by} joined`;
    case 'left': return `${by} left`;
    case 'removed': return `${by} removed ${user}`;
    case 'promoted': return `${by} made ${user} an admin`;
    case 'renamed': return `${by} renamed the group`;
    case 'timer': return s.seconds ? `${by} set messages to disappear after ${timerLabel(s.seconds)}` : null;
    default: return null;
  }
}

/** @param {number} n */
const photos = (n) => (n === 0 ? '' : n === 1 ? 'Photo' : `${n} photos`);

/**
 * What a message without a caption says in the chat list: "Photo", "Video", "Voice
 * note", the file's name, or "3 files".
 * @param {import('../crypto/file-ref.js').FileRef[]} files
 */
export function filesText(files) {
  if (files.length === 0) return '';
  if (files.every((f) => f.kind === 'image')) return photos(files.length);
  if (files.length > 1) return `${files.length} files`;
  const [f] = files;
  return f.kind === 'video' ? 'Video' : f.kind === 'voice' ? 'Voice note' : f.name;
}

/** @param {Msg} msg */
export function bodyText(msg) {
  if (msg.deleted) return 'Message deleted';
  const b = msg.body;
  if (!b) return 'Decrypting…';
  switch (b.status) {
    // An image without a caption still says something in the chat list.
    case 'ok': return b.text || photos(b.images?.length ?? 0) || filesText(b.files ?? []);
    case 'unverified': return 'This message could not be verified';
    case 'unsupported': return 'This message needs a newer version of MessGo';
    default: return 'This message could not be decrypted';
  }
}

/** @param {Chats} chats @param {string} chatId @param {string} id */
export const isHidden = (chats, chatId, id) => Boolean(chats.hidden[chatId]?.[id]);

/**
 * One line for the chat list: the newest message this user can see, decrypted here.
 * @param {ChatEntry} entry @param {Chats} chats @param {string | null} me @param {Contact[]} contacts
 */
export function previewText(entry, chats, me, contacts) {
  const pending = entry.pending[entry.pending.length - 1];
  if (pending) return `You: ${pending.text.trim() ? pending.text : filesText(pending.files ?? [])}`;
  for (let i = entry.messages.length - 1; i >= 0; i--) {
    const m = entry.messages[i];
    if (isHidden(chats, entry.chat.id, m.id) || m.kind === 'reaction' || m.kind === 'edit') continue;
    if (m.kind === 'system') {
      const line = systemText(m, entry, me, contacts);
      if (line) return line;
      continue;
    }
    const text = bodyText(m);
    // The assistant's answers are stored by the user, but they are not the user's words.
    if (entry.chat.kind === 'assistant' && /** @type {any} */ (m.body)?.role === 'assistant') return text;
    if (m.sender === me) return `You: ${text}`;
    return entry.chat.kind === 'group' ? `${personName(entry, m.sender, contacts)}: ${text}` : text;
  }
  if (entry.chat.kind === 'assistant') return 'Ask anything';
  return entry.chat.kind === 'direct' ? 'Say hello' : '';
}

/** @param {ChatEntry} entry */
export function lastActivity(entry) {
  const last = entry.messages[entry.messages.length - 1];
  const pending = entry.pending[entry.pending.length - 1];
  return Math.max(entry.chat.last_activity_at, last?.created_at ?? 0, pending?.at ?? 0);
}

/** The assistant pinned on top, then newest activity first. @param {Chats} chats @returns {ChatEntry[]} */
export const orderedChats = (chats) =>
  Object.values(chats.byId).sort((a, b) => Number(b.chat.kind === 'assistant') - Number(a.chat.kind === 'assistant')
    || lastActivity(b) - lastActivity(a) || a.chat.id.localeCompare(b.chat.id));

/** The local calendar day of a moment, as a sortable key. @param {number} at */
export function dayKey(at) {
  const d = new Date(at);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** "Today", "Yesterday", or the date. @param {number} at @param {number} now */
export function dayLabel(at, now) {
  const key = dayKey(at);
  if (key === dayKey(now)) return 'Today';
  const yesterday = new Date(now);
  yesterday.setDate(yesterday.getDate() - 1);
  if (key === dayKey(yesterday.getTime())) return 'Yesterday';
  return new Date(at).toLocaleDateString(undefined, { weekday: 'long', month: 'long', day: 'numeric' });
}

/** @param {number} at */
export const clockTime = (at) => new Date(at).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });

/**
 * What the message view lists, in order: a day separator before the first message of
 * each day, the messages by seq (minus those deleted "for me"), then own messages on
 * their way.
 * @param {ChatEntry} entry @param {Chats} chats
 * @returns {({kind: 'day', key: string, at: number} | {kind: 'msg', key: string, msg: Msg}
 *   | {kind: 'pending', key: string, pending: Pending})[]}
 */
export function timeline(entry, chats) {
  /** @type {ReturnType<typeof timeline>} */
  const items = [];
  let day = '';
  /** @param {number} at */
  const separate = (at) => {
    const key = dayKey(at);
    if (key !== day) items.push({ kind: 'day', key: `day:${key}`, at });
    day = key;
  };
  for (const msg of entry.messages) {
    // Reactions and edits are drawn at their target's place (web/reactions/state.js).
    if (isHidden(chats, entry.chat.id, msg.id) || msg.kind === 'reaction' || msg.kind === 'edit') continue;
    separate(msg.created_at);
    items.push({ kind: 'msg', key: `m:${msg.id}`, msg });
  }
  for (const pending of entry.pending) {
    separate(pending.at);
    items.push({ kind: 'pending', key: `m:${pending.id}`, pending });
  }
  return items;
}

/** "Ann is typing…", "Ann and Bob are typing…", or null. @param {ChatEntry} entry @param {Contact[]} contacts @param {number} now */
export function typingText(entry, contacts, now) {
  const names = Object.entries(entry.typing).filter(([, until]) => until > now).map(([id]) => personName(entry, id, contacts));
  if (names.length === 0) return null;
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
  return 'Several people are typing…';
}

/** Whether another member has read up to an own message. @param {ChatEntry} entry @param {Msg} msg @param {string | null} me */
export const isReadByOthers = (entry, msg, me) =>
  Object.entries(entry.readBy).some(([id, seq]) => id !== me && seq >= msg.seq);

/** Unread messages of a chat, as the server counts them (others' messages after your read position). @param {ChatEntry} entry */
export const unreadOf = (entry) => Math.max(0, entry.chat.unread ?? 0);

/**
 * Chats whose name contains the query, ignoring case and accents, in the order given.
 * @template {{name: string}} T @param {T[]} chats @param {string} query
 */
export function filterChats(chats, query) {
  /** @param {string} s */
  const fold = (s) => s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
  const q = fold(query.trim());
  return q ? chats.filter((c) => fold(c.name).includes(q)) : chats;
}
