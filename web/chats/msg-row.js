// @ts-check
// What one sent message's row of the open chat shows, and what it depends on: its
// sender's name (once per run in a group), delivery state, latest edit, reactions,
// the quote of what it replies to, and whether it mentions me. The chat view redraws a
// row only when this signature changes (view.js).

import { isReadByOthers, personName } from './format.js';
import { quoteOf } from './quote.js';
import { mentionsMe } from './mentions.js';

/** @typedef {import('./state.js').ChatEntry} ChatEntry */
/** @typedef {import('./state.js').Msg} Msg */
/** @typedef {import('./message-item.js').Row} Row */
/** @typedef {import('./quote.js').Quote} Quote */

/** What a row's quote depends on. @param {Quote | null} q */
export const quoteSig = (q) => (!q ? null : q.missing ? (q.older ? 'older' : 'gone') : q.msg);

/**
 * @param {{key: string, msg: Msg}} item
 * @param {{e: ChatEntry, s: import('../core/state.js').State, me: string | null, lastSender: string | null,
 *   edits: Map<string, Msg>, chipsOf: Map<string, import('../reactions/state.js').Chip[]>}} c
 * @returns {{row: Row, sig: unknown[]}}
 */
export function msgRow(item, { e, s, me, lastSender, edits, chipsOf }) {
  const m = item.msg;
  const contacts = s.people.contacts;
  const own = m.sender === me;
  // In a group, a run of messages by one person is headed once by their name.
  const sender = e.chat.kind === 'group' && !own && m.sender !== lastSender ? personName(e, m.sender, contacts) : null;
  const delivery = own && !m.deleted ? (isReadByOthers(e, m, me) ? 'Read' : 'Sent') : '';
  const edit = edits.get(m.id) ?? null;
  const chips = (chipsOf.get(m.id) ?? []).map((chip) => ({
    chip, mine: chip.mine.length > 0,
    names: chip.users.map((u) => (u === me ? 'You' : personName(e, u, contacts))),
  }));
  const shown = m.deleted ? null : edit?.body ?? m.body;
  const replyId = shown?.status === 'ok' ? shown.reply?.id : undefined;
  const quote = replyId ? quoteOf(e, s.chats, replyId, contacts, me) : null;
  // A mention of me is highlighted, by my username as the text says it.
  const mention = mentionsMe(m, e, me) ? s.me?.username ?? null : null;
  // The quote is redrawn when its original changes (opened, deleted, expired).
  const sig = [m, sender, delivery, quoteSig(quote), edit, JSON.stringify(chips.map((c) => [c.chip.emoji, c.names, c.mine])), mention];
  return { row: { kind: 'msg', key: item.key, msg: m, own, sender, state: delivery, quote, edit, chips, mention }, sig };
}
