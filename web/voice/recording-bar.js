// @ts-check
// What the composer shows while a voice note records, in the field's place: a pulsing
// dot, the time recorded, a live waveform of the last second and a half, a hint (in
// the last 30 seconds, how long is left before the 15-minute stop), and (when
// recording without holding) Cancel and Send.

import { h, setChildren } from '../ui/dom.js';
import { clock, limitWarning } from './format.js';

/** Bars in the live waveform: the last 1.6 s at one sample every 50 ms. */
const LIVE_BARS = 32;

/** @typedef {'pointer' | 'key' | 'toggle'} Mode */

/** @param {{shortcut: string, onCancel: () => void, onSend: () => void}} p */
export function recordingBar({ shortcut, onCancel, onSend }) {
  const elapsed = h('span', { class: 'voice-elapsed', role: 'timer', 'aria-label': 'Recorded' }, '0:00');
  const bars = Array.from({ length: LIVE_BARS }, () => h('span', { class: 'voice-bar' }));
  const hint = h('span', { class: 'voice-hint', 'aria-live': 'polite' });
  const cancel = h('button', { type: 'button', class: 'button', onclick: onCancel }, 'Cancel');
  const send = h('button', { type: 'button', class: 'button primary', onclick: onSend }, 'Send');
  const view = h('div', { class: 'voice-recording', hidden: true },
    h('span', { class: 'voice-dot', 'aria-hidden': 'true' }), elapsed,
    h('span', { class: 'voice-live', 'aria-hidden': 'true' }, bars), hint, cancel, send);
  /** @type {number[]} */
  let live = [];
  let usual = '';

  /** @param {number} ms */
  function paint(ms) {
    const text = clock(ms);
    if (elapsed.textContent !== text) elapsed.textContent = text;
    const from = live.length - LIVE_BARS;
    bars.forEach((bar, i) => bar.style.setProperty('--level', String(Math.round((live[from + i] ?? 0) * 100) / 100)));
  }

  return {
    view,
    /** Shows the bar for a recording in `mode`, or hides it (null). @param {Mode | null} mode */
    show(mode) {
      view.hidden = mode === null;
      cancel.hidden = mode !== 'toggle';
      send.hidden = mode !== 'toggle';
      usual = mode === null ? '' : mode === 'toggle'
        ? `Recording. ${shortcut} or Send sends, Esc cancels.`
        : 'Recording. Release to send; slide away or press Esc to cancel.';
      setChildren(hint, usual);
      live = [];
      paint(0);
    },
    /** One loudness sample (0..1) at `ms` into the recording. @param {number} level @param {number} ms */
    sample(level, ms) {
      live.push(level);
      if (live.length > LIVE_BARS) live.shift();
      paint(ms);
      const say = limitWarning(ms) ?? usual;
      if (hint.textContent !== say) setChildren(hint, say);
    },
  };
}
