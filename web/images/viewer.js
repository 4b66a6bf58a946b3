// @ts-check
// The full image of a message, in a modal: downloaded and decrypted when opened, with
// its progress; ← and → move between the message's images, Esc closes (the native
// dialog's own). It closes by itself when the message expires or is deleted, and its
// blob: URLs are revoked when it closes.

import { openDialog } from '../ui/dialog.js';
import { h, setChildren } from '../ui/dom.js';

/** An image of either form: whole-blob (images) or streamed (files). @typedef {import('../crypto/plaintext.js').ImageRef | import('../crypto/file-ref.js').FileRef} ImageRef */
/** @typedef {import('./media.js').Media} Media */

/** @type {Blob | null} */
let shown = null;

/**
 * The decrypted image the viewer shows now. The page's CSP forbids reading blob: URLs
 * back with fetch, so the browser tests check the bytes that reach the screen here.
 */
export const shownImage = () => shown;

/** @param {number} done @param {number} total */
const percent = (done, total) => (total > 0 ? Math.min(100, Math.floor((100 * done) / total)) : 0);

/**
 * @param {{images: ImageRef[], index: number, media: Media, returnFocus?: HTMLElement | null}} p
 */
export function openViewer({ images, index, media, returnFocus }) {
  const n = images.length;
  let at = Math.max(0, Math.min(index, n - 1));
  /** Opened images of this message, so going back and forth fetches each once. @type {Map<number, Blob>} */
  const opened = new Map();
  /** @type {Set<string>} */
  const urls = new Set();
  /** @type {AbortController | null} */
  let loading = null;

  const img = h('img', { class: 'viewer-image', alt: '', hidden: true });
  const bar = h('progress', { max: 100, value: 0 });
  const label = h('span', null, 'Downloading…');
  const progress = h('div', { class: 'viewer-progress', role: 'status' },
    h('span', { class: 'spinner', 'aria-hidden': 'true' }), label, bar);
  const error = h('p', { class: 'form-error', role: 'alert' });
  const prev = h('button', { type: 'button', class: 'button', 'aria-label': 'Previous image', onclick: () => go(-1) }, '←');
  const next = h('button', { type: 'button', class: 'button', 'aria-label': 'Next image', onclick: () => go(1) }, '→');
  const save = h('a', { class: 'button', hidden: true }, 'Save');
  const closeButton = h('button', { type: 'button', class: 'button primary', onclick: () => dialog.close() }, 'Close');
  prev.hidden = next.hidden = n < 2;

  const dialog = openDialog({
    title: 'Image',
    className: 'viewer',
    content: [
      h('div', { class: 'viewer-stage' }, progress, img, error),
      h('div', { class: 'dialog-actions' }, prev, next, save, closeButton),
    ],
    focus: closeButton,
    returnFocus,
    onClose: cleanup,
  });
  const title = /** @type {HTMLElement} */ (dialog.dialog.querySelector('.dialog-title'));
  // All images of a message share its life: the first one stands for them all.
  const stopWatching = media.onGone(images[0], () => dialog.close());

  dialog.dialog.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowLeft' || e.key === 'ArrowRight') {
      e.preventDefault();
      go(e.key === 'ArrowLeft' ? -1 : 1);
    }
  });

  /** @param {number} step */
  function go(step) {
    if (n < 2) return;
    at = (at + step + n) % n;
    show();
  }

  /** @param {Blob} blob */
  function display(blob) {
    const url = URL.createObjectURL(blob);
    urls.add(url);
    img.src = url;
    img.alt = n === 1 ? 'Image' : `Image ${at + 1} of ${n}`;
    img.hidden = false;
    progress.hidden = true;
    save.setAttribute('href', url);
    save.setAttribute('download', `messgo-image-${at + 1}.${blob.type === 'image/png' ? 'png' : 'jpg'}`);
    save.hidden = false;
    shown = blob;
  }

  function show() {
    loading?.abort();
    loading = null;
    shown = null;
    setChildren(title, n === 1 ? 'Image' : `Image ${at + 1} of ${n}`);
    setChildren(error);
    img.hidden = true;
    save.hidden = true;
    const have = opened.get(at);
    if (have) {
      display(have);
      return;
    }
    const i = at;
    const ref = images[i];
    const abort = new AbortController();
    loading = abort;
    bar.value = 0;
    setChildren(label, 'Downloading…');
    progress.hidden = false;
    media.full(ref, {
      signal: abort.signal,
      onProgress: (done, total) => {
        const p = percent(done, total);
        bar.value = p;
        setChildren(label, `Downloading… ${p}%`);
      },
    }).then((blob) => {
      opened.set(i, blob);
      if (at === i && loading === abort) display(blob);
    }, (err) => {
      if (abort.signal.aborted) return;
      progress.hidden = true;
      setChildren(error, err instanceof Error && err.message ? err.message : 'This image could not be loaded.');
    });
  }

  function cleanup() {
    stopWatching();
    loading?.abort();
    shown = null;
    img.removeAttribute('src');
    for (const url of urls) URL.revokeObjectURL(url);
    urls.clear();
    opened.clear();
  }

  show();
  return { close: () => dialog.close() };
}
