// @ts-check
// Small words for numbers people read: ages of requests and the like.

/**
 * "just now", "2 min ago", "5 h ago", "3 d ago". Coarse on purpose: a request's exact
 * second says nothing useful, and coarse labels do not flicker while on screen.
 * @param {number} at milliseconds since the epoch
 * @param {number} [now]
 */
export function timeAgo(at, now = Date.now()) {
  const seconds = Math.max(0, Math.floor((now - at) / 1000));
  if (seconds < 60) return 'just now';
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  return `${Math.floor(hours / 24)} d ago`;
}

/** A full local date and time, for tooltips. @param {number} at */
export const fullDate = (at) => new Date(at).toLocaleString();

/** The name to show for a contact: their display name, else their username. @param {{display_name?: string | null, username: string}} c */
export const nameOf = (c) => c.display_name || c.username;
