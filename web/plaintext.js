// @ts-check
// What goes inside the encryption: small JSON documents (docs/crypto.md, "Messages").
// A message is {"text"}; a group's sealed meta is {"name"}. Both sides are strict about
// what they accept, because the bytes come from whoever holds the chat key, not from
// the server we trust to relay them.

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

// Padded plaintext stays within 16 KiB: a 0x80 marker always follows, then zeros up to
// the next 256-byte boundary (crypto.md), so 16383 bytes is the most that fits.
export const MAX_PLAINTEXT_BYTES = 16 * 1024 - 1;
export const MAX_GROUP_NAME = 64;

/** @typedef {{ok: true, bytes: Uint8Array} | {ok: false, error: string}} Encoded */

/** @param {unknown} doc @returns {Encoded} */
function encode(doc) {
  const bytes = encoder.encode(JSON.stringify(doc));
  if (bytes.length > MAX_PLAINTEXT_BYTES) {
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
export function encodeText(text) {
  const clean = cleanText(text);
  if (!clean.trim()) return { ok: false, error: 'Type a message first.' };
  return encode({ text: clean });
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

/** @param {string} raw */
export const cleanName = (raw) => raw.replace(/\s+/g, ' ').trim();

/** @param {string} raw @returns {Encoded} */
export function encodeName(raw) {
  const name = cleanName(raw);
  if (!name) return { ok: false, error: 'Give the group a name.' };
  if ([...name].length > MAX_GROUP_NAME) return { ok: false, error: `Group names are at most ${MAX_GROUP_NAME} characters.` };
  return encode({ name });
}

/** @param {Uint8Array} bytes @returns {string | null} the group's name, if the document holds a usable one */
export function decodeName(bytes) {
  const doc = parse(bytes);
  if (!doc || typeof doc.name !== 'string') return null;
  const name = cleanName(doc.name);
  return name ? [...name].slice(0, MAX_GROUP_NAME).join('') : null;
}
