// @ts-check
// What the open chat does for reactions and edits: react (or take one's reaction back),
// the picker from a message, `+:shortcode:` from the composer, and starting an edit in
// the composer. The chat view (web/chats/view.js) hands it its parts.

import { latestEdits, latestReactable, reactionsByTarget } from './state.js';
import { reactCommand } from './emoji.js';
import { openEmojiPicker } from './picker.js';
import { setChildren } from '../ui/dom.js';

/** @typedef {import('../chats/state.js').Msg} Msg */
/** @typedef {import('../chats/state.js').ChatEntry} ChatEntry */
/** @typedef {{ok: true} | {ok: false, error: string}} Outcome */

/**
 * @param {{chatId: string, chats: import('../chats/actions.js').ChatActions, list: HTMLElement, problem: HTMLElement,
 *   entry: () => ChatEntry | undefined, me: () => string | null, hidden: (m: Msg) => boolean,
 *   edit: (text: string, save: (text: string) => Promise<Outcome>) => void}} p
 */
export function messageTools({ chatId, chats, list, problem, entry, me: getMe, hidden, edit }) {
  /** `+:thumbsup:` alone reacts to the newest message instead of being sent. @param {string} text */
  function reactFromComposer(text) {
    const emoji = reactCommand(text);
    if (!emoji) return { ok: /** @type {const} */ (false), error: `No emoji is called ${text.trim().slice(1)}.` };
    const target = latestReactable(entry()?.messages ?? [], (m) => hidden(m));
    if (!target) return { ok: /** @type {const} */ (false), error: 'There is no message to react to yet.' };
    react(target, emoji);
    return { ok: /** @type {const} */ (true) };
  }

  /** Adds a reaction, or takes it back when it is already one's own. @param {Msg} msg @param {string} emoji */
  async function react(msg, emoji) {
    setChildren(problem);
    const me = getMe();
    const mine = (reactionsByTarget(entry()?.messages ?? [], me).get(msg.id) ?? [])
      .find((c) => c.key === emoji.replace(/\uFE0F/g, '') && c.mine.length);
    const outcome = mine ? await chats.unreact(chatId, mine.mine) : await chats.react(chatId, msg, emoji);
    // The row was redrawn under a focused chip: the focus goes to its new chip, or the message.
    if (document.activeElement === document.body || document.activeElement === null) {
      const li = [...list.querySelectorAll('li.msg')].find((x) => /** @type {HTMLElement} */ (x).dataset.id === msg.id);
      const chip = [...(li?.querySelectorAll('.reaction-chip') ?? [])].find((c) => /** @type {HTMLElement} */ (c).dataset.emoji === emoji);
      /** @type {HTMLElement | undefined} */ (chip ?? li)?.focus();
    }
    if (!outcome.ok) setChildren(problem, `${mine ? 'Not taken back' : 'Not sent'}: ${outcome.error}`);
  }

  /** @param {Msg} msg @param {HTMLElement} opener */
  function openReact(msg, opener) {
    openEmojiPicker({ returnFocus: opener, onPick: (emoji) => react(msg, emoji) });
  }

  /** The composer takes the message's current text; Enter saves, Esc cancels. @param {Msg} msg */
  function startEdit(msg) {
    const shown = latestEdits(entry()?.messages ?? []).get(msg.id)?.body ?? msg.body;
    if (msg.deleted || shown?.status !== 'ok') return;
    edit(shown.text, (text) => chats.edit(chatId, msg, text, shown));
  }

  return { reactFromComposer, react, openReact, startEdit };
}
