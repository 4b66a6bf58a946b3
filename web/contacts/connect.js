// @ts-check
// Connect keys as people type, paste and share them (docs/api.md, "Connections"): one
// input takes a username, a key in any grouping or case, or a link; this module decides
// which it is. No DOM and no network, so node --test covers it.

/** Crockford base32 in lower case: 0-9 a-z without i, l, o, u. */
const KEY_ALPHABET = /^[0-9a-hjkmnp-tv-z]{32}$/;
const LINK = /#connect=([^&\s]*)/i;

/**
 * The server's normalization: spaces and dashes dropped, lower case, i/l read as 1 and o
 * as 0 (the letters people confuse with digits when copying by hand).
 * @param {string} raw
 */
export function normalizeKey(raw) {
  return raw.replace(/[\s-]/g, '').toLowerCase().replace(/[il]/g, '1').replace(/o/g, '0');
}

/** @param {string} key a normalized key @returns {boolean} */
export const isKey = (key) => KEY_ALPHABET.test(key);

/** "abcd-efgh-…": 8 groups of 4, the form shown to people. @param {string} key */
export function groupKey(key) {
  return (key.match(/.{1,4}/g) ?? []).join('-');
}

/** @param {string} origin location.origin @param {string} key */
export const connectLink = (origin, key) => `${origin}/#connect=${normalizeKey(key)}`;

/**
 * The key carried by a URL fragment such as "#connect=abcd…", or null.
 * @param {string} hash location.hash
 */
export function keyFromHash(hash) {
  const found = hash.match(/^#connect=([^&]*)/i);
  if (!found) return null;
  let value = found[1];
  try {
    value = decodeURIComponent(value);
  } catch {
    // A malformed escape: keep the text as it is; the server will call it invalid.
  }
  return value.trim() || null;
}

/**
 * What one "Add contact" input means. A link or anything that normalizes to 32 key
 * characters is a connect key; everything else is a username (a leading @ dropped). A
 * link with a broken key is still sent as a key, so the server's message explains it.
 * @param {string} input
 * @returns {{connect_key: string} | {username: string} | null} null for an empty input
 */
export function parseTarget(input) {
  const text = input.trim();
  if (!text) return null;
  const link = text.match(LINK);
  if (link) {
    let value = link[1];
    try {
      value = decodeURIComponent(value);
    } catch {
      // As in keyFromHash.
    }
    return { connect_key: normalizeKey(value) };
  }
  const key = normalizeKey(text);
  if (isKey(key)) return { connect_key: key };
  return { username: text.replace(/^@/, '').toLowerCase() };
}

/**
 * How a target is named on screen: the username, or the key in groups.
 * @param {{connect_key?: string, username?: string}} target
 */
export function describeTarget(target) {
  if (target.username !== undefined) return target.username;
  const raw = target.connect_key ?? '';
  const key = normalizeKey(raw);
  return isKey(key) ? groupKey(key) : raw;
}

/**
 * The one confirmation every accepted request gets, whatever happened on the other side:
 * it must read the same for a user who exists and one who does not.
 * @param {{connect_key?: string, username?: string}} target
 */
export function sentText(target) {
  const who = target.username !== undefined ? target.username : `the owner of ${describeTarget(target)}`;
  return `Request sent. If ${who} exists and accepts, they'll appear in your contacts.`;
}
