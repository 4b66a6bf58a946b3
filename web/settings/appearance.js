// @ts-check
// Accent colour and text size: remembered in localStorage, applied as classes on <html>
// (accent-*, font-*), which styles/profile.css keys its custom properties on. The theme itself
// is theme.js's.

/** @typedef {'blue' | 'green' | 'purple' | 'orange' | 'pink'} Accent */
/** @typedef {'small' | 'normal' | 'large'} FontSize */

/** @type {Accent[]} */
export const ACCENTS = ['blue', 'green', 'purple', 'orange', 'pink'];
/** @type {FontSize[]} */
export const FONT_SIZES = ['small', 'normal', 'large'];
export const ACCENT_LABELS = { blue: 'Blue', green: 'Green', purple: 'Purple', orange: 'Orange', pink: 'Pink' };
export const FONT_LABELS = { small: 'Small', normal: 'Normal', large: 'Large' };

const ACCENT_KEY = 'messgo.accent';
const FONT_KEY = 'messgo.fontSize';
/** @type {Record<string, string>} this page's choices, for when storage is disabled */
const chosen = {};

/** @template {string} T @param {string} key @param {readonly T[]} allowed @param {T} fallback @returns {T} */
function read(key, allowed, fallback) {
  let value = chosen[key] ?? null;
  try {
    value = localStorage.getItem(key) ?? value;
  } catch {
    // Storage disabled: this page's choice.
  }
  return allowed.includes(/** @type {T} */ (value)) ? /** @type {T} */ (value) : fallback;
}

/** @param {string} key @param {string} value */
function write(key, value) {
  chosen[key] = value;
  try {
    localStorage.setItem(key, value);
  } catch {
    // Not remembered, but applied for this page.
  }
  apply();
}

/** @returns {Accent} */
export const accent = () => read(ACCENT_KEY, ACCENTS, 'blue');
/** @returns {FontSize} */
export const fontSize = () => read(FONT_KEY, FONT_SIZES, 'normal');
/** @param {Accent} value */
export const setAccent = (value) => write(ACCENT_KEY, value);
/** @param {FontSize} value */
export const setFontSize = (value) => write(FONT_KEY, value);

function apply() {
  const list = document.documentElement.classList;
  for (const a of ACCENTS) list.toggle(`accent-${a}`, a === accent());
  for (const f of FONT_SIZES) list.toggle(`font-${f}`, f === fontSize());
}

/** Applies the choices now, and again when another tab changes them. */
export function initAppearance() {
  apply();
  window.addEventListener('storage', (e) => {
    if (e.key === ACCENT_KEY || e.key === FONT_KEY || e.key === null) apply();
  });
}
