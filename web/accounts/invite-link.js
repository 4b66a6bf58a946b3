// @ts-check
// Invite links as people share and open them (docs/api.md, "Invites"): the code rides
// in the URL's fragment ("#invite=…"), which browsers never send to the server, so it
// stays out of every server and proxy log. No DOM and no network: node --test covers it.

/** A code as the server makes it: 32 random bytes in unpadded base64url. */
const CODE = /^[A-Za-z0-9_-]{43}$/;
const LINK = /#invite=([^&\s]*)/i;

/** @param {string} origin location.origin @param {string} code */
export const inviteLink = (origin, code) => `${origin}/#invite=${code}`;

/** @param {string} raw */
function decoded(raw) {
  try {
    return decodeURIComponent(raw).trim();
  } catch {
    // A malformed escape: keep the text; the server will call the invite invalid.
    return raw.trim();
  }
}

/**
 * The code carried by a URL fragment such as "#invite=…", or null.
 * @param {string} hash location.hash
 */
export function inviteFromHash(hash) {
  const found = hash.match(/^#invite=([^&]*)/i);
  return found ? decoded(found[1]) || null : null;
}

/**
 * What someone typed or pasted in the invite field: a whole link or the bare code.
 * Empty input is null; anything else is sent as it is, so the server's one answer for
 * a bad invite explains it.
 * @param {string} input
 */
export function inviteFromInput(input) {
  const text = input.trim();
  if (!text) return null;
  const link = text.match(LINK);
  return link ? decoded(link[1]) || null : text;
}

/** @param {string} code */
export const looksLikeCode = (code) => CODE.test(code);

/** How long a new invite may last, as offered: at most the server's 72 hours. */
export const EXPIRY_CHOICES = Object.freeze([
  { secs: 3600, label: '1 hour' },
  { secs: 24 * 3600, label: '24 hours' },
  { secs: 72 * 3600, label: '3 days' },
]);
export const DEFAULT_EXPIRY_SECS = 24 * 3600;
export const MAX_USES = 100;

/**
 * The number of uses typed, when it is one the server takes (1 to 100), else null.
 * @param {string} raw
 */
export function parseUses(raw) {
  const text = raw.trim();
  if (!/^\d{1,3}$/.test(text)) return null;
  const n = Number(text);
  return n >= 1 && n <= MAX_USES ? n : null;
}

/** "in 5 minutes", "in 23 hours", "in 2 days". @param {number} ms */
function inTime(ms) {
  const minutes = Math.max(1, Math.round(ms / 60_000));
  if (minutes < 60) return `in ${minutes} minute${minutes === 1 ? '' : 's'}`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `in ${hours} hour${hours === 1 ? '' : 's'}`;
  return `in ${Math.round(hours / 24)} days`;
}

/**
 * One line about a live invite: its uses left and when it expires.
 * @param {{uses: number, uses_left: number, expires_at: number}} invite
 * @param {number} now
 */
export function describeInvite(invite, now) {
  const uses = invite.uses === 1
    ? 'Single use'
    : `${invite.uses_left} of ${invite.uses} uses left`;
  const left = invite.expires_at - now;
  return `${uses} · ${left > 0 ? `expires ${inTime(left)}` : 'expired'}`;
}
