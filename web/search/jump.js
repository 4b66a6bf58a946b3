// @ts-check
// Going to one message: scroll it into the middle of the chat, loading older pages
// until it is there, and mark it for a moment. A result chosen in another chat (the
// Ctrl+K switcher) is remembered here until that chat's view mounts and takes it.

/** @type {{chatId: string, id: string} | null} */
let wanted = null;
/** The chat view on screen, which takes a jump into its own chat at once. @type {{chatId: string, go: (id: string) => void} | null} */
let mounted = null;

/** Go to message `id` of `chatId`, now if its view is on screen, else once it mounts. @param {string} chatId @param {string} id */
export function requestJump(chatId, id) {
  if (mounted?.chatId === chatId) {
    wanted = null;
    mounted.go(id);
  } else {
    wanted = { chatId, id };
  }
}

/**
 * A chat view says it is on screen; it is handed the jump that waited for it, if any.
 * @param {string} chatId @param {(id: string) => void} go @returns {() => void} to call when it goes
 */
export function onJump(chatId, go) {
  const me = { chatId, go };
  mounted = me;
  if (wanted?.chatId === chatId) {
    const { id } = wanted;
    wanted = null;
    go(id);
  }
  return () => {
    if (mounted === me) mounted = null;
  };
}

// Enough pages for 72 hours of a busy chat; a bound so a server that keeps saying
// "there is more" cannot keep this going.
const MAX_PAGES = 400;
const MARKED_MS = 2_500;

/**
 * @param {{list: HTMLElement, id: string, hasOlder: () => boolean, loadOlder: () => Promise<unknown>,
 *   rendered: () => Promise<void>, focus?: boolean}} p
 * @returns {Promise<HTMLElement | null>} the message's element, or null when it is not (or no longer) there
 */
export async function jumpTo({ list, id, hasOlder, loadOlder, rendered, focus = false }) {
  for (let page = 0; page <= MAX_PAGES; page++) {
    const el = /** @type {HTMLElement | null} */ (list.querySelector(`li[data-id="${CSS.escape(id)}"]`));
    if (el) {
      el.scrollIntoView({ block: 'center' });
      mark(el);
      if (focus) {
        el.tabIndex = -1;
        el.focus({ preventScroll: true });
      }
      return el;
    }
    if (!hasOlder()) return null;
    await loadOlder();
    await rendered();
  }
  return null;
}

/** @param {HTMLElement} el */
function mark(el) {
  for (const old of el.parentElement?.querySelectorAll('.jumped') ?? []) old.classList.remove('jumped');
  // Reading the layout restarts the flash when the same message is jumped to twice.
  void el.offsetWidth;
  el.classList.add('jumped');
  setTimeout(() => el.classList.remove('jumped'), MARKED_MS);
}

/** Waits for the browser to lay out what a state change rendered. @returns {Promise<void>} */
export const nextFrame = () => new Promise((resolve) => requestAnimationFrame(() => resolve()));
