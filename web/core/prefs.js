// @ts-check
// What this browser remembers per account, outside the server: messages deleted "for
// me", the signing key first seen for each person (to notice a change), and how
// desktop notifications should look. localStorage, keyed by user id, so two accounts
// on one browser do not mix. None of it is secret: ids and public keys only.

/** @param {string} what @param {string} userId */
const keyFor = (what, userId) => `messgo.${what}.${userId}`;

/** @template T @param {string} key @param {T} fallback @returns {T} */
function read(key, fallback) {
  try {
    const raw = globalThis.localStorage?.getItem(key);
    const value = raw ? JSON.parse(raw) : null;
    return value && typeof value === 'object' ? value : fallback;
  } catch {
    return fallback;
  }
}

/** @param {string} key @param {unknown} value */
function write(key, value) {
  try {
    globalThis.localStorage?.setItem(key, JSON.stringify(value));
  } catch {
    // Storage full or disabled: the preference lasts for this page only.
  }
}

/** @param {string} userId @returns {Record<string, Record<string, true>>} chat id → message ids */
export const loadHidden = (userId) => read(keyFor('hidden', userId), {});

/**
 * @param {string} userId @param {Record<string, Record<string, true>>} hidden
 * @param {(chatId: string) => boolean} [keep] drops chats that no longer exist, so the list does not grow forever
 */
export function saveHidden(userId, hidden, keep = () => true) {
  write(keyFor('hidden', userId), Object.fromEntries(Object.entries(hidden).filter(([id]) => keep(id))));
}

/** @param {string} userId @returns {Record<string, string>} user id → ed25519 public key */
export const loadPins = (userId) => read(keyFor('pins', userId), {});

/** @param {string} userId @param {Record<string, string>} pins */
export const savePins = (userId, pins) => write(keyFor('pins', userId), pins);

/** @param {string} userId @returns {{enabled: boolean, showText: boolean}} */
export function loadNotify(userId) {
  const n = read(keyFor('notify', userId), /** @type {any} */ ({}));
  return { enabled: n.enabled === true, showText: n.showText === true };
}

/** @param {string} userId @param {{enabled: boolean, showText: boolean}} n */
export const saveNotify = (userId, n) => write(keyFor('notify', userId), n);

/**
 * New pins for people seen for the first time; a known person keeps their first key,
 * so a different one later is noticed.
 * @param {Record<string, string>} pins @param {{user_id: string, ed25519_public: string}[]} seen
 * @returns {Record<string, string>} the same object when nobody is new
 */
export function pinNew(pins, seen) {
  /** @type {Record<string, string> | null} */
  let next = null;
  for (const p of seen) {
    if (!p.ed25519_public || (next ?? pins)[p.user_id]) continue;
    next ??= { ...pins };
    next[p.user_id] = p.ed25519_public;
  }
  return next ?? pins;
}
