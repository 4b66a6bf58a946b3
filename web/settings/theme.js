// @ts-check
// Theme preference: "system" (the default) follows prefers-color-scheme live; "light"
// and "dark" are remembered in localStorage. The resolved theme is written to
// <html data-theme>, which styles/base.css keys its custom properties on.

/** @typedef {'system' | 'light' | 'dark'} ThemePreference */

const KEY = 'messgo.theme';
/** @type {ThemePreference[]} */
export const PREFERENCES = ['system', 'light', 'dark'];
const darkQuery = globalThis.matchMedia?.('(prefers-color-scheme: dark)');
/** @type {ThemePreference | null} the choice of this page, for when storage is disabled */
let chosen = null;

/** @returns {ThemePreference} */
export function preference() {
  /** @type {string | null} */
  let stored = chosen;
  try {
    stored = localStorage.getItem(KEY) ?? 'system';
  } catch {
    // Storage can be disabled: keep this page's choice.
  }
  return PREFERENCES.includes(/** @type {ThemePreference} */ (stored)) ? /** @type {ThemePreference} */ (stored) : 'system';
}

/** @param {ThemePreference} pref @returns {'light' | 'dark'} */
export const resolve = (pref) => (pref === 'system' ? (darkQuery?.matches ? 'dark' : 'light') : pref);

function apply() {
  const pref = preference();
  const root = document.documentElement;
  root.dataset.theme = resolve(pref);
  root.dataset.themePreference = pref;
}

/** @param {ThemePreference} pref */
export function setPreference(pref) {
  chosen = pref;
  try {
    if (pref === 'system') localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, pref);
  } catch {
    // Not remembered, but still applied for this page.
  }
  apply();
}

/** Applies the theme now and keeps it current: system changes, and other tabs' choices. */
export function initTheme() {
  apply();
  darkQuery?.addEventListener('change', () => {
    if (preference() === 'system') apply();
  });
  window.addEventListener('storage', (e) => {
    if (e.key === KEY || e.key === null) apply();
  });
}
