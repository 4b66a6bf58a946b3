// @ts-check
// What the voice note views say and step through: times as m:ss, the playback speeds,
// and where a seek lands. Pure, so node --test checks it.

/** The speeds the player offers, in the order its button cycles through them. */
export const SPEEDS = /** @type {const} */ ([1, 1.5, 2]);

/** Shorter than this is a tap on the mic button, not a voice note. */
export const MIN_RECORDING_MS = 500;
/** The longest voice note: recording stops here and what was said is sent. */
export const MAX_RECORDING_MS = 15 * 60 * 1000;
/** How far an arrow key moves the seek bar; Page Up/Down move ten times as far. */
export const SEEK_STEP_MS = 1000;

/**
 * "0:07", "1:05", "15:00", "1:02:03": whole seconds, rounded down, so the elapsed time
 * never says more than was heard.
 * @param {number} ms
 */
export function clock(ms) {
  const total = Number.isFinite(ms) && ms > 0 ? Math.floor(ms / 1000) : 0;
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** The same time in words, for a screen reader: "1 minute 5 seconds". @param {number} ms */
export function spokenTime(ms) {
  const total = Number.isFinite(ms) && ms > 0 ? Math.floor(ms / 1000) : 0;
  const m = Math.floor(total / 60);
  const s = total % 60;
  const part = (/** @type {number} */ n, /** @type {string} */ unit) => `${n} ${unit}${n === 1 ? '' : 's'}`;
  if (m === 0) return part(s, 'second');
  return s === 0 ? part(m, 'minute') : `${part(m, 'minute')} ${part(s, 'second')}`;
}

/** The speed after `rate`: 1× → 1.5× → 2× → 1×; anything else starts again at 1×. @param {number} rate */
export function nextSpeed(rate) {
  const i = SPEEDS.findIndex((s) => s === rate);
  return SPEEDS[(i + 1) % SPEEDS.length];
}

/** "1×", "1.5×", "2×". @param {number} rate */
export const speedLabel = (rate) => `${rate}×`;

/**
 * Where a key sends the seek bar from `at` (ms) in a note of `total` ms, or null for a
 * key the slider does not use.
 * @param {string} key @param {number} at @param {number} total
 */
export function seekByKey(key, at, total) {
  const steps = {
    ArrowRight: SEEK_STEP_MS, ArrowUp: SEEK_STEP_MS, ArrowLeft: -SEEK_STEP_MS, ArrowDown: -SEEK_STEP_MS,
    PageUp: 10 * SEEK_STEP_MS, PageDown: -10 * SEEK_STEP_MS,
  };
  if (key === 'Home') return 0;
  if (key === 'End') return total;
  const step = /** @type {Record<string, number>} */ (steps)[key];
  return step === undefined ? null : Math.min(total, Math.max(0, at + step));
}

/**
 * The time (ms) under a pointer at `x` on a bar from `left` that is `width` wide.
 * @param {number} x @param {number} left @param {number} width @param {number} total
 */
export function seekAt(x, left, width, total) {
  if (!(width > 0)) return 0;
  return Math.min(1, Math.max(0, (x - left) / width)) * total;
}

/** The last stretch of a recording in which the bar says how long is left. */
export const WARN_BEFORE_MS = 30_000;

/**
 * What the recording bar says near the longest note, or null before then: "Voice notes
 * stop at 15:00: 0:25 left."
 * @param {number} ms recorded so far
 */
export function limitWarning(ms) {
  const left = MAX_RECORDING_MS - ms;
  if (left > WARN_BEFORE_MS) return null;
  return `Voice notes stop at ${clock(MAX_RECORDING_MS)}: ${clock(Math.max(0, left) + 999)} left.`;
}

/**
 * Whether a recording of `ms` may be sent, and if not, the sentence saying why.
 * @param {number} ms @returns {{ok: true} | {ok: false, error: string}}
 */
export function checkLength(ms) {
  if (ms < MIN_RECORDING_MS) {
    return { ok: false, error: 'Too short to send: hold the mic button while you speak (at least half a second), release to send.' };
  }
  return { ok: true };
}
