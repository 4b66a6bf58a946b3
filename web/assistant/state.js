// @ts-check
// The assistant, the pure part: what the server says about its model, the one question
// being answered (its stored copy, the streamed answer, a failure and what Retry does),
// and how the chat's history becomes the context of the next question. Questions and
// answers are ordinary messages of the assistant chat, {"text", "role"}; only the
// answer being streamed lives here, until its stored copy is in the chat.

import { MAX_PLAINTEXT_BYTES, cleanText } from '../crypto/plaintext.js';

/** @typedef {import('../chats/state.js').ChatEntry} ChatEntry */
/** @typedef {import('../chats/state.js').Msg} Msg */

/** How many recent turns (the question included) go with a question. */
export const CONTEXT_TURNS = 20;

/** @typedef {'user' | 'assistant'} Role */
/** @typedef {{configured: boolean, model: string | null, chat_id: string}} AssistantInfo */
/**
 * One turn of context in the OpenAI chat format: text, or parts when it has images.
 * @typedef {{type: 'text', text: string} | {type: 'image_url', image_url: {url: string}}} Part
 * @typedef {{role: Role, content: string | Part[]}} ContextTurn
 */

/**
 * The question being answered. `phase`: storing (the question is being sealed and
 * sent), answering (asked; tokens arrive), saving (the answer is being stored), done
 * (stored; shown from here until its copy is in the chat), failed (`retry` says what
 * the Retry button does again).
 * @typedef {object} Turn
 * @property {string} requestId     the current ai.ask (a retry gets a new one)
 * @property {string} questionId    the stored question's message id
 * @property {string} question
 * @property {unknown[]} images     the question's attached images (crypto/plaintext.js ImageRef), uploaded already
 * @property {number} at
 * @property {ContextTurn[] | null} context  what was sent, kept for a retry
 * @property {'storing' | 'answering' | 'saving' | 'done' | 'failed'} phase
 * @property {string} answer        streamed so far
 * @property {string[]} answerIds   the stored answer's message ids (long answers take several)
 * @property {boolean} stopped
 * @property {string | null} error
 * @property {'store' | 'ask' | 'save' | null} retry
 */

/**
 * @typedef {object} Assistant
 * @property {AssistantInfo | null} info   null until the server said
 * @property {string | null} infoError
 * @property {Turn | null} turn
 */

/**
 * @typedef {{type: 'assistant_info', info: AssistantInfo}
 *   | {type: 'assistant_info_failed', error: string}
 *   | {type: 'assistant_asked', turn: Turn}
 *   | {type: 'assistant_turn', requestId: string, patch: Partial<Turn>}
 *   | {type: 'assistant_delta', requestId: string, text: string}
 *   | {type: 'assistant_cleared', requestId: string}} AssistantEvent
 */

/** @type {Assistant} */
export const emptyAssistant = Object.freeze({ info: null, infoError: null, turn: null });

/** @param {Assistant} a @param {AssistantEvent} event @returns {Assistant} */
export function reduceAssistant(a, event) {
  const turn = a.turn;
  switch (event.type) {
    case 'assistant_info':
      return { ...a, info: event.info, infoError: null };
    case 'assistant_info_failed':
      return { ...a, infoError: event.error };
    case 'assistant_asked':
      return { ...a, turn: event.turn };
    case 'assistant_turn':
      return turn?.requestId === event.requestId ? { ...a, turn: { ...turn, ...event.patch } } : a;
    case 'assistant_delta':
      // Tokens of a stopped, failed or replaced request are late: the answer is settled.
      if (turn?.requestId !== event.requestId || turn.phase !== 'answering' || !event.text) return a;
      return { ...a, turn: { ...turn, answer: turn.answer + event.text } };
    case 'assistant_cleared':
      return turn?.requestId === event.requestId ? { ...a, turn: null } : a;
    default:
      return a;
  }
}

/** Whether a question is on its way or being answered: one at a time. @param {Turn | null} turn */
export const isBusy = (turn) => Boolean(turn && (turn.phase === 'storing' || turn.phase === 'answering' || turn.phase === 'saving'));

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * A turn's document; attachments of the stream form (they carry a `kind`) go in
 * `files`, older whole-blob images in `images`, as in any message.
 * @param {string} text @param {Role} role @param {unknown[]} [images]
 */
function docBytes(text, role, images = []) {
  const streamed = (/** @type {any} */ r) => Boolean(r) && typeof r === 'object' && 'kind' in r;
  const files = images.filter(streamed);
  const old = images.filter((r) => !streamed(r));
  return encoder.encode(JSON.stringify({ text, role, ...(old.length ? { images: old } : {}), ...(files.length ? { files } : {}) }));
}

/**
 * The plaintext of a question or an answer: {"text", "role"}, and a question's images
 * in the image format of other messages. Other clients read text and images and
 * ignore the role.
 * @param {string} text @param {Role} role @param {unknown[]} [images]
 * @returns {{ok: true, bytes: Uint8Array} | {ok: false, error: string}}
 */
export function encodeTurn(text, role, images = []) {
  const clean = role === 'user' ? cleanText(text) : text;
  if (!clean.trim() && images.length === 0) return { ok: false, error: 'Type a question first.' };
  const bytes = docBytes(clean.trim() ? clean : '', role, images);
  if (bytes.length > MAX_PLAINTEXT_BYTES) return { ok: false, error: 'This question is too long. Shorten it a little.' };
  return { ok: true, bytes };
}

/**
 * A question or answer as the chat has it: text, role (the user's own when it has
 * none) and the image references of the image format, unchecked here.
 * @param {Uint8Array} bytes @returns {{text: string, role: Role, images: unknown[]} | null}
 */
export function decodeTurn(bytes) {
  try {
    const doc = JSON.parse(decoder.decode(bytes));
    if (!doc || typeof doc !== 'object' || typeof doc.text !== 'string') return null;
    const images = [...(Array.isArray(doc.images) ? doc.images : []), ...(Array.isArray(doc.files) ? doc.files : [])];
    return { text: doc.text, role: doc.role === 'assistant' ? 'assistant' : 'user', images };
  } catch {
    return null;
  }
}

/**
 * An answer cut into pieces that each fit one message, at a paragraph break when
 * there is one in the second half of a piece, else a line break, else a space.
 * @param {string} text @param {number} [maxBytes] @returns {string[]}
 */
export function splitAnswer(text, maxBytes = MAX_PLAINTEXT_BYTES) {
  /** @type {string[]} */
  const parts = [];
  let rest = text;
  const fits = (/** @type {number} */ n) => docBytes(rest.slice(0, n), 'assistant').length <= maxBytes;
  while (rest) {
    if (fits(rest.length)) {
      parts.push(rest);
      break;
    }
    let lo = 1;
    let hi = rest.length;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (fits(mid)) lo = mid;
      else hi = mid - 1;
    }
    // Never split a surrogate pair.
    if (/[\uD800-\uDBFF]/.test(rest[lo - 1])) lo--;
    const head = rest.slice(0, lo);
    const half = Math.floor(lo / 2);
    const cut = [head.lastIndexOf('\n\n'), head.lastIndexOf('\n'), head.lastIndexOf(' ')].find((at) => at >= half);
    const end = cut !== undefined && cut > 0 ? cut : lo;
    parts.push(rest.slice(0, end));
    rest = rest.slice(end).replace(/^\n+/, '');
  }
  return parts.filter((p) => p.trim());
}

/** @param {Msg} m */
const expiresAt = (m) => /** @type {any} */ (m).expires_at ?? m.raw?.expires_at ?? null;

/**
 * The messages that go with a question as context: the newest `limit` readable ones,
 * oldest first, not deleted and not expired (the server would have dropped them by
 * now, and the user was told they are gone).
 * @param {ChatEntry | undefined} entry @param {{now: number, limit: number, exclude?: string[]}} p
 * @returns {Msg[]}
 */
export function pickContext(entry, { now, limit, exclude = [] }) {
  if (!entry || limit <= 0) return [];
  const skip = new Set(exclude);
  const out = [];
  for (let i = entry.messages.length - 1; i >= 0 && out.length < limit; i--) {
    const m = entry.messages[i];
    if (m.kind !== 'message' || m.deleted || skip.has(m.id) || m.body?.status !== 'ok') continue;
    const expires = expiresAt(m);
    if (typeof expires === 'number' && expires > 0 && expires <= now) continue;
    out.push(m);
  }
  return out.reverse();
}

/**
 * Turns for ai.ask: consecutive turns of one role are joined (an unanswered question
 * followed by the next one, an answer stored in pieces), which every OpenAI-compatible
 * server accepts; turns with images carry them as content parts.
 * @param {{role: Role, text: string, images?: string[]}[]} turns images as data URLs
 * @returns {ContextTurn[]}
 */
export function toContext(turns) {
  /** @type {{role: Role, text: string, images: string[]}[]} */
  const joined = [];
  for (const t of turns) {
    const images = t.images ?? [];
    if (!t.text.trim() && images.length === 0) continue;
    const last = joined[joined.length - 1];
    if (last && last.role === t.role) {
      last.text = [last.text, t.text].filter((x) => x.trim()).join('\n\n');
      last.images.push(...images);
    } else {
      joined.push({ role: t.role, text: t.text, images: [...images] });
    }
  }
  return joined.map(({ role, text, images }) => ({
    role,
    content: images.length === 0 ? text : [
      ...(text.trim() ? [/** @type {Part} */ ({ type: 'text', text })] : []),
      ...images.map((url) => /** @type {Part} */ ({ type: 'image_url', image_url: { url } })),
    ],
  }));
}

/** A message's role in the assistant chat, from its opened body. @param {Msg} m @returns {Role} */
export const roleOf = (m) => (/** @type {any} */ (m.body)?.role === 'assistant' ? 'assistant' : 'user');
