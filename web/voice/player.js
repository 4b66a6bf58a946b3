// @ts-check
// A voice note in a message, at its simplest: a button that downloads and decrypts it,
// then the browser's own player. (The voice notes' own player, with a waveform, a seek
// bar and speeds, replaces this file.)

import { h, setChildren } from '../ui/dom.js';

/** @typedef {import('../crypto/file-ref.js').FileRef} FileRef */

/** "0:42". @param {number} ms */
const clock = (ms) => `${Math.floor(ms / 60000)}:${String(Math.floor((ms % 60000) / 1000)).padStart(2, '0')}`;

/**
 * @param {FileRef} ref
 * @param {(onProgress?: (done: number, total: number) => void) => Promise<Blob>} load downloads and decrypts the note
 * @returns {HTMLElement}
 */
export function renderVoice(ref, load) {
  const length = ref.duration !== undefined ? ` (${clock(ref.duration)})` : '';
  const view = h('div', { class: 'voice-note', 'data-blob': ref.blob });
  const play = h('button', { type: 'button', class: 'button voice-play', 'aria-label': `Play voice note${length}` }, `▶ Voice note${length}`);
  play.addEventListener('click', async () => {
    play.disabled = true;
    setChildren(play, 'Loading…');
    try {
      const blob = await load();
      const audio = h('audio', { controls: true, src: URL.createObjectURL(blob), 'aria-label': `Voice note${length}` });
      setChildren(view, audio);
      /** @type {HTMLAudioElement} */ (audio).play().catch(() => {});
    } catch {
      play.disabled = false;
      setChildren(play, 'Could not load the voice note. Try again');
    }
  });
  setChildren(view, play);
  return view;
}
