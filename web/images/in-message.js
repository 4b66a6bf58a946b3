// @ts-check
// The images of one message: thumbnails laid out at their size before they arrive (so
// the list does not jump), each filled in once fetched and decrypted, and each a button
// that opens the viewer on the full image.

import { fitWithin, THUMB_SIDE } from './process.js';
import { h } from '../ui/dom.js';

/** An image of either form: whole-blob (images) or streamed (files). @typedef {import('../crypto/plaintext.js').ImageRef | import('../crypto/file-ref.js').FileRef} ImageRef */
/** @typedef {import('./media.js').Media} Media */

/**
 * @param {ImageRef[]} images
 * @param {{media: Media, open: (images: ImageRef[], index: number, opener: HTMLElement) => void}} p
 */
export function messageImages(images, { media, open }) {
  const n = images.length;
  return h('div', { class: `msg-images${n === 1 ? ' single' : ''}` }, images.map((ref, i) => {
    const size = fitWithin(ref.width ?? THUMB_SIDE, ref.height ?? THUMB_SIDE, THUMB_SIDE);
    // width/height attributes give the box its aspect ratio before the image is in.
    const img = h('img', { class: 'msg-thumb', alt: '', width: size.width, height: size.height, decoding: 'async' });
    const button = h('button', {
      type: 'button', class: 'msg-image loading', 'aria-label': n === 1 ? 'Open image' : `Open image ${i + 1} of ${n}`,
      'data-blob': ref.blob, onclick: () => open(images, i, button),
    }, img);
    media.thumb(ref).then((url) => {
      img.src = url;
      button.classList.remove('loading');
    }, (err) => {
      if (err instanceof DOMException && err.name === 'AbortError') return;
      button.classList.remove('loading');
      button.classList.add('failed');
      button.setAttribute('title', 'This image could not be loaded.');
    });
    return button;
  }));
}
