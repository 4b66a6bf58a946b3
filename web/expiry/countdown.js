// @ts-check
// The "time left" on each message ("2h", "4m", "12s"). Rows are rebuilt only when
// their message changes, so the clock is kept here instead: one timer for the whole
// page that rewrites every countdown on screen when the next one's text changes, and
// stops when there is none. Removing the message itself is the state's job
// (watch.js), not this one's.

import { nextTick, timeLeft, timeLeftText } from './timers.js';
import { h } from '../ui/dom.js';

const SELECTOR = '.msg-expiry[data-expires]';
// Checked at least this often, so countdowns added later are not left waiting long.
const MAX_WAIT_MS = 30_000;

/** @type {ReturnType<typeof setTimeout> | undefined} */
let timer;
/** When the planned tick runs (0: none planned). */
let dueAt = 0;

/** @param {Element} el @param {number} now */
function refresh(el, now) {
  const at = Number(el.getAttribute('data-expires'));
  const short = timeLeft(at, now);
  if (el.textContent !== short) el.textContent = short;
  const long = timeLeftText(at, now);
  if (el.getAttribute('title') !== long) {
    el.setAttribute('title', long);
    el.setAttribute('aria-label', long);
  }
  return nextTick(at, now);
}

function tick() {
  dueAt = 0;
  const now = Date.now();
  let wait = MAX_WAIT_MS;
  const all = document.querySelectorAll(SELECTOR);
  for (const el of all) wait = Math.min(wait, refresh(el, now));
  if (all.length) plan(wait);
}

/** Plans the next tick, unless one is planned sooner. @param {number} wait */
function plan(wait) {
  const at = Date.now() + wait;
  if (dueAt && dueAt <= at) return;
  clearTimeout(timer);
  dueAt = at;
  timer = setTimeout(tick, wait);
}

/** A live countdown to `expiresAt`. @param {number} expiresAt ms */
export function countdown(expiresAt) {
  const now = Date.now();
  const el = h('span', { class: 'msg-expiry', 'data-expires': expiresAt, role: 'img' });
  // The new one may need to change before the others do.
  plan(Math.min(refresh(el, now), MAX_WAIT_MS));
  return el;
}
