// @ts-check
// What goes inside the encryption: small JSON documents (docs/crypto.md, "Messages").
// A message is {"text"}, plus "images" (encrypted attachments, docs/protocol.md) and
// "timer" (the chat's disappearing timer when it was sent) and "mentions" (member ids) when it has them; a group's
// sealed meta is {"name"}, plus "picture" (a small data: URL) when it has one. Both sides are strict about what they accept, because the
// bytes come from whoever holds the chat key, not from the server we trust to relay them.

import { MAX_FILES, fileRef } from './file-ref.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** @typedef {import('./file-ref.js').FileRef} FileRef */

// Padded plaintext stays within 16 KiB: a 0x80 marker always follows, then zeros up to
// the next 256-byte boundary (crypto.md), so 16383 bytes is the most that fits.
export const MAX_PLAINTEXT_BYTES = 16 * 1024 - 1;
export const MAX_GROUP_NAME = 64;
// A group's picture is a data: URL inside its meta, which may be bigger than a message
// (the server takes 64 KiB of ciphertext): 24 KiB of URL, 32 KiB of meta at most.
export const MAX_GROUP_PICTURE = 24 * 1024;
const MAX_META_BYTES = 32 * 1024;
// Only raster pictures the avatar <img> shows as they are; anything else is ignored.
const PICTURE = /^data:image\/(?:jpeg|png);base64,[A-Za-z0-9+/]+={0,2}$/;
/** Images one message may carry: each has a thumbnail, and the server binds at most 20 blobs. */
export const MAX_IMAGES = 10;
// What a receiver will turn into a blob: URL; anything else (SVG, HTML) is refused.
const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/webp', 'image/gif']);
const MAX_SIDE = 16384;

/**
 * One encrypted image of a message: its blob and thumbnail blob, each with its own
 * AES-256-GCM key (base64url), and what is needed to lay it out before it arrives.
 * @typedef {{blob: string, thumb: string, key: string, thumb_key: string, type: string,
 *   width: number, height: number, size: number}} ImageRef
 */

/** @typedef {{ok: true, bytes: Uint8Array} | {ok: false, error: string}} Encoded */

/**
 * What a message may say about itself besides its content (docs/crypto.md, "Messages"):
 * the message of the same chat it answers, and that it was sent on from another chat.
 * @typedef {{reply?: {id: string}, forwarded?: true}} MessageExtra
 */

/** @param {unknown} doc @param {number} [max] @returns {Encoded} */
function encode(doc, max = MAX_PLAINTEXT_BYTES) {
  const bytes = encoder.encode(JSON.stringify(doc));
  if (bytes.length > max) {
    return { ok: false, error: 'This message is too long. Split it into a few shorter ones.' };
  }
  return { ok: true, bytes };
}

/**
 * Leading and trailing blank lines go (they only push the text around); spaces inside
 * are the sender's business.
 * @param {string} text
 */
export const cleanText = (text) => text.replace(/^\s*\n/, '').replace(/\s+$/, '');

/** @param {string} text @returns {Encoded} */
export const encodeText = (text) => encodeMessage({ text });

/**
 * A message: the text (the caption, when there are images, and then it may be empty),
 * its images and the chat's timer. Without images or timer it is the plain {"text"}
 * every client reads.
 * `files` are attachments sealed as streams (file-ref.js); `images` is the older form,
 * still read, no longer sent by this client.
 * `reply` and `forwarded` go in only when set (MessageExtra); `mentions`: the ids of the
 * members the text mentions (chats/mentions.js).
 * @param {{text: string, images?: ImageRef[], files?: FileRef[], timer?: number | null, mentions?: string[]} & MessageExtra} m
 * @returns {Encoded}
 */
export function encodeMessage({ text, images = [], files = [], timer = null, reply, forwarded, mentions = [] }) {
  const clean = cleanText(text);
  if (!clean.trim() && images.length === 0 && files.length === 0) return { ok: false, error: 'Type a message first.' };
  if (images.length > MAX_IMAGES) return { ok: false, error: `A message can carry at most ${MAX_IMAGES} images.` };
  if (files.length > MAX_FILES) return { ok: false, error: `A message can carry at most ${MAX_FILES} files.` };
  if (reply !== undefined && !isMessageId(reply?.id)) return { ok: false, error: 'The message replied to is not valid.' };
  if (mentions.length > MAX_MENTIONS) return { ok: false, error: `A message can mention at most ${MAX_MENTIONS} people.` };
  /** @type {{text: string, images?: ImageRef[], files?: FileRef[], timer?: number, mentions?: string[]} & MessageExtra} */
  const doc = { text: clean.trim() ? clean : '' };
  if (images.length) doc.images = images;
  if (files.length) doc.files = files;
  if (timer) doc.timer = timer;
  if (reply) doc.reply = { id: reply.id };
  if (forwarded) doc.forwarded = true;
  if (mentions.length) doc.mentions = mentions;
  return encode(doc);
}

/** @param {Uint8Array} bytes @returns {Record<string, unknown> | null} */
function parse(bytes) {
  try {
    const doc = JSON.parse(decoder.decode(bytes));
    return doc && typeof doc === 'object' && !Array.isArray(doc) ? doc : null;
  } catch {
    return null;
  }
}

/**
 * A message's plaintext. Fields this client does not know (attachments, timers of a
 * newer version) are ignored; a document without text says so instead of showing nothing.
 * @param {Uint8Array} bytes
 * @returns {{status: 'ok', text: string} | {status: 'unsupported'}}
 */
export function decodeText(bytes) {
  const doc = parse(bytes);
  if (!doc || typeof doc.text !== 'string') return { status: 'unsupported' };
  return { status: 'ok', text: doc.text };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** @param {unknown} id @returns {id is string} a message id as clients mint them (a lowercase UUID) */
export const isMessageId = (id) => typeof id === 'string' && UUID.test(id);
/** The most people one message may mention (docs/crypto.md). */
export const MAX_MENTIONS = 50;

/**
 * A message's "mentions", if it is a list of at most MAX_MENTIONS user ids (repeats
 * dropped); anything else is ignored, as a mention is only a highlight. Whether the ids
 * are members is for the reader, who knows the chat (chats/mentions.js).
 * @param {unknown} raw @returns {string[] | null}
 */
export function readMentions(raw) {
  if (!Array.isArray(raw) || raw.length > MAX_MENTIONS) return null;
  if (!raw.every((id) => typeof id === 'string' && UUID.test(id))) return null;
  return [...new Set(/** @type {string[]} */ (raw))];
}
// 32 bytes of base64url without padding are 43 characters.
const KEY = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;
/** @param {unknown} n @param {number} min @param {number} max */
const int = (n, min, max) => Number.isSafeInteger(n) && /** @type {number} */ (n) >= min && /** @type {number} */ (n) <= max;

/** @param {unknown} raw @returns {ImageRef | null} */
function imageRef(raw) {
  const r = /** @type {Record<string, unknown>} */ (raw);
  if (!r || typeof r !== 'object') return null;
  const { blob, thumb, key, thumb_key: thumbKey, type, width, height, size } = r;
  if (typeof blob !== 'string' || !UUID.test(blob) || typeof thumb !== 'string' || !UUID.test(thumb)) return null;
  if (typeof key !== 'string' || !KEY.test(key) || typeof thumbKey !== 'string' || !KEY.test(thumbKey)) return null;
  if (typeof type !== 'string' || !IMAGE_TYPES.has(type)) return null;
  if (!int(width, 1, MAX_SIDE) || !int(height, 1, MAX_SIDE) || !int(size, 0, Number.MAX_SAFE_INTEGER)) return null;
  return { blob, thumb, key, thumb_key: thumbKey, type, width: /** @type {number} */ (width),
    height: /** @type {number} */ (height), size: /** @type {number} */ (size) };
}

/**
 * A message's plaintext with its images. Images that do not check out make the whole
 * message "unsupported" rather than silently missing; unknown fields are ignored.
 * @param {Uint8Array} bytes
 * A `reply` or `forwarded` that is not as crypto.md says makes it "unsupported" too.
 * @returns {({status: 'ok', text: string, images?: ImageRef[], files?: FileRef[], timer?: number, mentions?: string[]} & MessageExtra)
 *   | {status: 'unsupported'}}
 */
export function decodeMessage(bytes) {
  const doc = parse(bytes);
  if (!doc || typeof doc.text !== 'string') return { status: 'unsupported' };
  /** @type {{status: 'ok', text: string, images?: ImageRef[], files?: FileRef[], timer?: number, mentions?: string[]} & MessageExtra} */
  const out = { status: 'ok', text: doc.text };
  if (doc.images !== undefined) {
    if (!Array.isArray(doc.images) || doc.images.length > MAX_IMAGES) return { status: 'unsupported' };
    const images = doc.images.map(imageRef);
    if (images.some((i) => !i)) return { status: 'unsupported' };
    if (images.length) out.images = /** @type {ImageRef[]} */ (images);
  }
  if (doc.files !== undefined) {
    if (!Array.isArray(doc.files) || doc.files.length > MAX_FILES) return { status: 'unsupported' };
    const files = doc.files.map(fileRef);
    if (files.some((f) => !f)) return { status: 'unsupported' };
    if (files.length) out.files = /** @type {FileRef[]} */ (files);
  }
  if (int(doc.timer, 1, Number.MAX_SAFE_INTEGER)) out.timer = /** @type {number} */ (doc.timer);
  if (doc.reply !== undefined) {
    const id = doc.reply && typeof doc.reply === 'object' ? /** @type {Record<string, unknown>} */ (doc.reply).id : undefined;
    if (!isMessageId(id)) return { status: 'unsupported' };
    out.reply = { id };
  }
  if (doc.forwarded !== undefined) {
    if (doc.forwarded !== true) return { status: 'unsupported' };
    out.forwarded = true;
  }
  const mentions = readMentions(doc.mentions);
  if (mentions?.length) out.mentions = mentions;
  // The assistant chat's answers say so ({"role": "assistant"}, assistant/state.js).
  if (doc.role === 'assistant') /** @type {any} */ (out).role = 'assistant';
  return out;
}

// docs/crypto.md, "Messages": a reaction is one emoji, of at most 32 bytes.
export const MAX_EMOJI_BYTES = 32;

/**
 * A reaction's plaintext: the emoji and the message it answers, sealed so that a
 * receiver can check the server's `target` against it.
 * @param {string} emoji @param {string} target @returns {Encoded}
 */
export function encodeReaction(emoji, target) {
  const size = encoder.encode(emoji).length;
  if (!emoji || size > MAX_EMOJI_BYTES) return { ok: false, error: `A reaction is one emoji, of at most ${MAX_EMOJI_BYTES} bytes.` };
  return encode({ emoji, target });
}

/**
 * An edit's plaintext: the whole new message (no timer: the original's expiry stands)
 * and the message it replaces.
 * @param {{text: string, files?: FileRef[], images?: ImageRef[], target: string}} m @returns {Encoded}
 */
export function encodeEdit({ text, files = [], images = [], target }) {
  const clean = cleanText(text);
  if (!clean.trim() && files.length === 0 && images.length === 0) return { ok: false, error: 'Type a message first.' };
  /** @type {Record<string, unknown>} */
  const doc = { text: clean.trim() ? clean : '' };
  if (images.length) doc.images = images;
  if (files.length) doc.files = files;
  doc.target = target;
  return encode(doc);
}

/**
 * A reaction's plaintext, or "unsupported" when it is not one emoji and one message id.
 * @param {Uint8Array} bytes
 * @returns {{status: 'ok', text: string, emoji: string, target: string} | {status: 'unsupported'}}
 */
export function decodeReaction(bytes) {
  const doc = parse(bytes);
  const { emoji, target } = doc ?? {};
  if (typeof emoji !== 'string' || !emoji || encoder.encode(emoji).length > MAX_EMOJI_BYTES) return { status: 'unsupported' };
  if (typeof target !== 'string' || !UUID.test(target)) return { status: 'unsupported' };
  return { status: 'ok', text: '', emoji, target };
}

/**
 * An edit's plaintext: a message document (read as any message is) with its target.
 * @param {Uint8Array} bytes
 * @returns {ReturnType<typeof decodeMessage> & {target?: string} | {status: 'unsupported'}}
 */
export function decodeEdit(bytes) {
  const doc = parse(bytes);
  const body = decodeMessage(bytes);
  if (body.status !== 'ok' || typeof doc?.target !== 'string' || !UUID.test(doc.target)) return { status: 'unsupported' };
  return { ...body, target: doc.target };
}

/** @param {string} raw */
export const cleanName = (raw) => raw.replace(/\s+/g, ' ').trim();

/** @param {unknown} p @returns {p is string} a usable group picture */
export const isGroupPicture = (p) => typeof p === 'string' && p.length <= MAX_GROUP_PICTURE && PICTURE.test(p);

/**
 * A group's meta: its name, and its picture when it has one.
 * @param {string} raw @param {string | null} [picture] @returns {Encoded}
 */
export function encodeName(raw, picture = null) {
  const name = cleanName(raw);
  if (!name) return { ok: false, error: 'Give the group a name.' };
  if ([...name].length > MAX_GROUP_NAME) return { ok: false, error: `Group names are at most ${MAX_GROUP_NAME} characters.` };
  if (picture !== null && !isGroupPicture(picture)) return { ok: false, error: 'That picture cannot be used.' };
  return encode(picture ? { name, picture } : { name }, MAX_META_BYTES);
}

/**
 * A group's meta, if it holds a usable name; a picture that does not check out is ignored.
 * @param {Uint8Array} bytes @returns {{name: string, picture: string | null} | null}
 */
export function decodeMeta(bytes) {
  const doc = parse(bytes);
  if (!doc || typeof doc.name !== 'string') return null;
  const name = cleanName(doc.name);
  if (!name) return null;
  return { name: [...name].slice(0, MAX_GROUP_NAME).join(''), picture: isGroupPicture(doc.picture) ? doc.picture : null };
}

/** @param {Uint8Array} bytes @returns {string | null} the group's name, if the document holds a usable one */
export const decodeName = (bytes) => decodeMeta(bytes)?.name ?? null;
