// @ts-check
// Reactions and edits as the message view shows them, worked out from a chat's messages
// (pure, unit-tested in web/tests/reactions.test.mjs). Both are messages of their own
// kind naming a `target` (docs/protocol.md, "Reactions and edits"); one counts only when
// the target sealed inside it is the one the server gave, so a server cannot move a
// reaction to another message or make an edit replace someone else's (docs/crypto.md).

/** @typedef {import('../chats/state.js').Msg} Msg */
/** @typedef {import('../chats/state.js').ChatEntry} ChatEntry */

/**
 * One chip under a message: an emoji, who reacted with it (each person once, in the
 * order they did), and the own reaction messages to delete to take it back.
 * @typedef {{emoji: string, key: string, users: string[], mine: Msg[]}} Chip
 */

/** Two spellings of an emoji, with and without the emoji-style selector, are one chip. @param {string} emoji */
export const emojiKey = (emoji) => emoji.replace(/\uFE0F/g, '');

/** @param {Msg} m @returns {boolean} the sealed target is the server's */
export const targetChecks = (m) => m.body?.status === 'ok' && typeof m.target === 'string' && m.body.target === m.target;

/**
 * Every live, checked reaction, gathered by target message then by emoji.
 * @param {readonly Msg[]} messages @param {string | null} me
 * @returns {Map<string, Chip[]>} target id → chips, in the order each emoji first came
 */
export function reactionsByTarget(messages, me) {
  /** @type {Map<string, Map<string, Chip>>} */
  const byTarget = new Map();
  for (const m of messages) {
    if (m.kind !== 'reaction' || m.deleted || !m.sender || !targetChecks(m)) continue;
    const body = /** @type {{emoji?: string}} */ (m.body);
    if (!body.emoji) continue;
    const target = /** @type {string} */ (m.target);
    let chips = byTarget.get(target);
    if (!chips) byTarget.set(target, (chips = new Map()));
    const key = emojiKey(body.emoji);
    let chip = chips.get(key);
    if (!chip) chips.set(key, (chip = { emoji: body.emoji, key, users: [], mine: [] }));
    if (!chip.users.includes(m.sender)) chip.users.push(m.sender);
    if (m.sender === me) chip.mine.push(m);
  }
  return new Map([...byTarget].map(([target, chips]) => [target, [...chips.values()]]));
}

/**
 * The latest checked edit of each message: by its own sender (only they may edit it),
 * naming it inside its seal, the highest seq winning.
 * @param {readonly Msg[]} messages @returns {Map<string, Msg>} target id → edit
 */
export function latestEdits(messages) {
  const senders = new Map(messages.filter((m) => m.kind === 'message').map((m) => [m.id, m.sender]));
  /** @type {Map<string, Msg>} */
  const edits = new Map();
  for (const m of messages) {
    if (m.kind !== 'edit' || m.deleted || !targetChecks(m)) continue;
    const target = /** @type {string} */ (m.target);
    if (!m.sender || senders.get(target) !== m.sender) continue;
    const prev = edits.get(target);
    if (!prev || prev.seq < m.seq) edits.set(target, m);
  }
  return edits;
}

/**
 * The message a reaction from the composer goes to: the newest one shown that is not
 * deleted and whose seq is known.
 * @param {readonly Msg[]} messages @param {(m: Msg) => boolean} [hidden] deleted "for me"
 */
export function latestReactable(messages, hidden = () => false) {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m.kind === 'message' && !m.deleted && !hidden(m)) return m;
  }
  return null;
}

/**
 * The own message Up arrow edits: the newest own one that is live and readable here.
 * @param {readonly Msg[]} messages @param {string | null} me
 */
export function latestEditable(messages, me) {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m.kind === 'message' && m.sender === me && !m.deleted && (m.body?.status === 'ok' || m.edited)) return m;
  }
  return null;
}
