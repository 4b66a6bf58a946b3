// @ts-check
// Disappearing messages, the pure part: the timers a chat may have, how long a message
// has left ("2h", "4m"), and taking expired messages out of the state at the moment
// they expire. The server deletes them on its own schedule and never tells: each
// client knows `expires_at` and removes its copies itself (docs/protocol.md, timers).

/** @typedef {import('../chats/state.js').Chats} Chats */
/** @typedef {import('../chats/state.js').ChatEntry} ChatEntry */
/** @typedef {import('../chats/state.js').Msg} Msg */

/** What `PUT /api/chats/{id}/timer` and the default-timer setting take, shortest first. */
export const TIMERS = Object.freeze([300, 3_600, 28_800, 86_400, 259_200]);

/** "5 minutes", "1 hour", "3 days". @param {number | null | undefined} seconds */
export function timerLabel(seconds) {
  const s = Number(seconds) || 0;
  /** @param {number} n @param {string} unit */
  const say = (n, unit) => `${n} ${unit}${n === 1 ? '' : 's'}`;
  if (s > 0 && s % 86_400 === 0) return say(s / 86_400, 'day');
  if (s > 0 && s % 3_600 === 0) return say(s / 3_600, 'hour');
  if (s > 0 && s % 60 === 0) return say(s / 60, 'minute');
  return say(s, 'second');
}

/**
 * Time left as one short unit, rounded up so "0" never shows while the message is
 * still there: "2d", "5h", "4m", "12s".
 * @param {number} expiresAt ms @param {number} now ms
 */
export function timeLeft(expiresAt, now) {
  const s = Math.max(0, Math.ceil((expiresAt - now) / 1000));
  if (s >= 86_400 * 2) return `${Math.ceil(s / 86_400)}d`;
  if (s >= 3_600 * 2) return `${Math.ceil(s / 3_600)}h`;
  if (s >= 120) return `${Math.ceil(s / 60)}m`;
  return `${s}s`;
}

/** A sentence for screen readers and the tooltip. @param {number} expiresAt @param {number} now */
export function timeLeftText(expiresAt, now) {
  const s = Math.max(0, Math.ceil((expiresAt - now) / 1000));
  if (s >= 86_400 * 2) return `Disappears in ${Math.ceil(s / 86_400)} days`;
  if (s >= 3_600 * 2) return `Disappears in ${Math.ceil(s / 3_600)} hours`;
  if (s >= 120) return `Disappears in ${Math.ceil(s / 60)} minutes`;
  return `Disappears in ${s} seconds`;
}

/**
 * How long until the shown countdown changes: its unit's step, to the next boundary.
 * @param {number} expiresAt @param {number} now
 */
export function nextTick(expiresAt, now) {
  const left = expiresAt - now;
  const unit = left >= 2 * 86_400_000 ? 3_600_000 : left >= 2 * 3_600_000 ? 60_000 : 1_000;
  return Math.max(50, (left % unit) || unit);
}

/** @param {Msg} m @param {number} now */
export const isExpired = (m, now) => typeof m.expires_at === 'number' && m.expires_at > 0 && m.expires_at <= now;

/** The earliest moment a message in the state expires, or null. @param {Chats} chats */
export function nextExpiry(chats) {
  let next = Infinity;
  for (const e of Object.values(chats.byId)) {
    for (const m of e.messages) if (typeof m.expires_at === 'number' && m.expires_at > 0 && m.expires_at < next) next = m.expires_at;
  }
  return next === Infinity ? null : next;
}

/**
 * Every message past its expiry leaves the state, with the "deleted for me" marks of
 * those messages, and the unread count forgets the ones nobody can read any more.
 * Untouched chats keep their objects, so views redraw only what changed.
 * @param {Chats} chats @param {number} now @param {string | null} [me]
 * @returns {{chats: Chats, gone: Msg[]}}
 */
export function dropExpired(chats, now, me = null) {
  /** @type {Msg[]} */
  const gone = [];
  let byId = chats.byId;
  let hidden = chats.hidden;
  for (const [id, e] of Object.entries(chats.byId)) {
    const dead = e.messages.filter((m) => isExpired(m, now));
    if (dead.length === 0) continue;
    gone.push(...dead);
    if (byId === chats.byId) byId = { ...byId };
    const read = e.chat.last_read_seq ?? 0;
    const unreadGone = dead.filter((m) => m.kind === 'message' && m.sender !== me && !m.deleted && m.seq > read).length;
    const chat = unreadGone && e.chat.unread ? { ...e.chat, unread: Math.max(0, e.chat.unread - unreadGone) } : e.chat;
    byId[id] = { ...e, chat, messages: e.messages.filter((m) => !isExpired(m, now)) };
    const marks = hidden[id];
    if (marks && dead.some((m) => marks[m.id])) {
      const left = { ...marks };
      for (const m of dead) delete left[m.id];
      hidden = { ...hidden };
      if (Object.keys(left).length) hidden[id] = left;
      else delete hidden[id];
    }
  }
  return gone.length ? { chats: { ...chats, byId, hidden }, gone } : { chats, gone };
}
