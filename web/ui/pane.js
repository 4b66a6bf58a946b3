// @ts-check
// The frame every page of the main pane shares: a titled region with a Close button
// that returns to the start page. Its heading takes focus when the page opens, so
// keyboard and screen-reader users land where the new content begins.

import { h, uid } from './dom.js';

/** @typedef {import('./dom.js').Child} Child */

/**
 * @param {{title: string, onClose: () => void, lead?: Child}} p
 * @param {...Child} children
 */
export function paneFrame({ title, onClose, lead }, ...children) {
  const titleId = uid('pane-title');
  const heading = h('h2', { id: titleId, tabindex: -1 }, title);
  const view = h('section', { class: 'pane', 'aria-labelledby': titleId },
    h('header', { class: 'pane-header' },
      heading,
      h('button', { type: 'button', class: 'button quiet', onclick: onClose, 'aria-label': `Close ${title}` }, 'Close')),
    lead ? h('p', { class: 'muted' }, lead) : null,
    ...children);
  return { view, heading };
}
