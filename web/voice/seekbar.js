// @ts-check
// A voice note's waveform as its seek bar: a slider (role="slider", aria-valuenow in
// seconds, to a tenth) drawn as bars whose heights are the note's levels and whose played part is
// coloured. Click or drag to move; the arrow keys step a second, Page Up/Down ten,
// Home and End go to either end. Heights are custom properties set through the CSSOM
// (the CSP allows no style attributes); colours come from the stylesheet, so both
// themes follow.

import { h } from '../ui/dom.js';
import { clock, seekAt, seekByKey, spokenTime } from './format.js';
import { resample } from './waveform.js';

/** Milliseconds as the slider's value: seconds to a tenth ("1", "1.6"). @param {number} ms */
const seconds = (ms) => String(Math.round(ms / 100) / 10);

/** Bars drawn per note, whatever the number of levels, so every player is one width. */
export const BARS = 32;

/**
 * Bars for `levels` (0..1) in `container`, replacing what was there.
 * @param {HTMLElement} container @param {readonly number[]} levels
 * @returns {HTMLElement[]}
 */
export function drawBars(container, levels) {
  const bars = levels.map((level) => {
    const bar = h('span', { class: 'voice-bar' });
    bar.style.setProperty('--level', String(Math.round(level * 100) / 100));
    return bar;
  });
  container.replaceChildren(...bars);
  return bars;
}

/**
 * @param {{levels: readonly number[], label: string, onSeek: (ms: number) => void}} p
 */
export function seekBar({ levels, label, onSeek }) {
  const view = h('div', {
    class: 'voice-seek', role: 'slider', tabindex: 0, 'aria-label': label,
    'aria-valuemin': 0, 'aria-valuemax': 0, 'aria-valuenow': 0, 'aria-orientation': 'horizontal',
  });
  const bars = drawBars(view, resample(levels, BARS));
  let at = 0;
  let total = 0;
  let lit = -1;

  /** @param {number} ms */
  const seek = (ms) => onSeek(Math.min(total, Math.max(0, ms)));
  /** @param {PointerEvent} e */
  const fromPointer = (e) => {
    const box = view.getBoundingClientRect();
    seek(seekAt(e.clientX, box.left, box.width, total));
  };

  view.addEventListener('pointerdown', (e) => {
    if (e.button !== 0 || total <= 0) return;
    e.preventDefault();
    view.focus();
    view.setPointerCapture(e.pointerId);
    fromPointer(e);
  });
  view.addEventListener('pointermove', (e) => {
    if (view.hasPointerCapture(e.pointerId)) fromPointer(e);
  });
  view.addEventListener('keydown', (e) => {
    const to = seekByKey(e.key, at, total);
    if (to === null || e.altKey || e.ctrlKey || e.metaKey) return;
    e.preventDefault();
    seek(to);
  });

  return {
    view,
    /** Shows `position` of `length` (ms). @param {number} position @param {number} length */
    set(position, length) {
      at = position;
      if (length !== total) {
        total = length;
        view.setAttribute('aria-valuemax', seconds(total));
      }
      const now = seconds(at);
      if (view.getAttribute('aria-valuenow') !== now) {
        view.setAttribute('aria-valuenow', now);
        view.setAttribute('aria-valuetext', `${spokenTime(at)} of ${spokenTime(total)}`);
        view.title = `${clock(at)} / ${clock(total)}`;
      }
      // A bar is played once the playhead passed its middle.
      const upTo = total > 0 ? Math.floor((at / total) * bars.length + 0.5) - 1 : -1;
      if (upTo !== lit) {
        bars.forEach((bar, i) => bar.classList.toggle('played', i <= upTo));
        lit = upTo;
      }
    },
  };
}
