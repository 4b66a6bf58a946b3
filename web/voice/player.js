// @ts-check
// A voice note in a message: play/pause, the waveform as a seek bar, elapsed and total
// time, and a speed button (1× → 1.5× → 2×). Nothing is fetched until the first play:
// then the note is downloaded and decrypted (progress shown) and played from a blob:
// URL, which is revoked once the message leaves the page (deleted, expired, the chat
// closed). One note plays at a time: starting one pauses the other.

import { h, setChildren } from '../ui/dom.js';
import { clock, nextSpeed, speedLabel, spokenTime } from './format.js';
import { seekBar } from './seekbar.js';
import { decodeWaveform } from './waveform.js';

/** @typedef {import('../crypto/file-ref.js').FileRef} FileRef */
/** @typedef {(onProgress?: (done: number, total: number) => void) => Promise<Blob>} Load */

/** The player playing now, if any: another one starting pauses it. @type {{pause: () => void} | null} */
let playing = null;

/** Players holding a blob: URL, released once their element has left the document. @type {Set<{root: Element, release: () => void}>} */
const holding = new Set();
/** @type {MutationObserver | null} */
let watcher = null;

function sweep() {
  for (const p of holding) {
    if (!p.root.isConnected) {
      holding.delete(p);
      p.release();
    }
  }
  if (holding.size === 0) {
    watcher?.disconnect();
    watcher = null;
  }
}

/** @param {{root: Element, release: () => void}} p */
function hold(p) {
  holding.add(p);
  if (!watcher) {
    watcher = new MutationObserver(sweep);
    watcher.observe(document.body, { childList: true, subtree: true });
  }
}

/**
 * @param {FileRef} ref a voice entry of a message (file-ref.js checked it)
 * @param {Load} load downloads and decrypts the note
 * @returns {HTMLElement}
 */
export function renderVoice(ref, load) {
  const levels = decodeWaveform(ref.waveform);
  let total = ref.duration ?? 0;
  let position = 0;
  let rate = 1;
  /** @type {string | null} */
  let url = null;
  /** @type {Promise<boolean> | null} */
  let loading = null;

  const audio = h('audio', { preload: 'auto' });
  const playButton = h('button', { type: 'button', class: 'voice-play', 'aria-label': 'Play voice note' },
    h('span', { class: 'voice-icon', 'aria-hidden': 'true' }));
  const time = h('span', { class: 'voice-time' });
  const speed = h('button', { type: 'button', class: 'voice-speed' });
  const problem = h('p', { class: 'voice-error', role: 'alert', hidden: true });
  const bar = seekBar({ levels, label: 'Voice note position', onSeek: seek });
  const root = h('div', { class: 'voice-player', role: 'group', 'aria-label': `Voice note, ${spokenTime(total)}` },
    playButton, bar.view, time, speed, audio, problem);

  const me = { pause: () => audio.pause() };
  /** @type {{root: Element, release: () => void}} */
  const held = { root, release };

  function show() {
    bar.set(position, total);
    if (!loading) setChildren(time, `${clock(position)} / ${clock(total)}`);
    setChildren(speed, speedLabel(rate));
    speed.setAttribute('aria-label', `Playback speed ${speedLabel(rate)}`);
    const on = !audio.paused;
    root.classList.toggle('playing', on);
    playButton.setAttribute('aria-label', on ? 'Pause voice note' : 'Play voice note');
  }

  /** @param {number} done @param {number} all */
  function progress(done, all) {
    const pct = all > 0 ? Math.floor((done / all) * 100) : 0;
    setChildren(time, `Loading ${pct}%`);
  }

  /** Downloads, decrypts and readies the audio once; false (with a sentence) when it fails. */
  function fetchNote() {
    if (loading) return loading;
    root.classList.add('loading');
    playButton.setAttribute('aria-busy', 'true');
    problem.hidden = true;
    progress(0, 1);
    loading = load(progress).then(async (blob) => {
      // The message left the page while the note came in: nothing to play it in.
      if (!root.isConnected) return false;
      url = URL.createObjectURL(blob);
      hold(held);
      audio.src = url;
      await knowDuration(audio);
      if (!total && Number.isFinite(audio.duration)) total = Math.round(audio.duration * 1000);
      return true;
    }, (err) => {
      problem.hidden = false;
      setChildren(problem, `This voice note could not be loaded: ${err instanceof Error ? err.message : 'try again.'}`);
      return false;
    }).finally(() => {
      loading = null;
      root.classList.remove('loading');
      playButton.removeAttribute('aria-busy');
      show();
    });
    return loading;
  }

  async function play() {
    if (playing && playing !== me) playing.pause();
    playing = me;
    if (!url && !(await fetchNote())) return;
    if (playing !== me) return;
    if (position >= total) position = 0;
    audio.currentTime = position / 1000;
    audio.defaultPlaybackRate = rate;
    audio.playbackRate = rate;
    try {
      await audio.play();
    } catch (err) {
      if (!(err instanceof DOMException && err.name === 'AbortError')) {
        problem.hidden = false;
        setChildren(problem, 'This voice note could not be played in this browser.');
      }
    }
  }

  /** @param {number} ms */
  function seek(ms) {
    position = ms;
    if (url && audio.readyState >= HTMLMediaElement.HAVE_METADATA) audio.currentTime = ms / 1000;
    show();
  }

  function release() {
    audio.pause();
    audio.removeAttribute('src');
    audio.load();
    if (url) URL.revokeObjectURL(url);
    url = null;
    if (playing === me) playing = null;
  }

  // While playing, the playhead follows every frame rather than timeupdate's few a second.
  function follow() {
    if (audio.paused) return;
    position = Math.min(total, audio.currentTime * 1000);
    show();
    requestAnimationFrame(follow);
  }

  playButton.addEventListener('click', () => (audio.paused ? play() : audio.pause()));
  speed.addEventListener('click', () => {
    rate = nextSpeed(rate);
    audio.defaultPlaybackRate = rate;
    audio.playbackRate = rate;
    show();
  });
  audio.addEventListener('play', () => {
    if (playing && playing !== me) playing.pause();
    playing = me;
    show();
    requestAnimationFrame(follow);
  });
  audio.addEventListener('pause', () => {
    if (playing === me) playing = null;
    show();
  });
  audio.addEventListener('ended', () => {
    position = 0;
    show();
  });

  show();
  return root;
}

/**
 * Resolves once the audio knows how long it is. MediaRecorder's WebM has no duration
 * in its header, so the browser reports Infinity until it has seen the end: a seek far
 * past the end makes it look, and seeking is then exact.
 * @param {HTMLAudioElement} audio
 */
async function knowDuration(audio) {
  await once(audio, 'loadedmetadata');
  if (Number.isFinite(audio.duration)) return;
  const found = Promise.race([once(audio, 'durationchange', () => Number.isFinite(audio.duration)), once(audio, 'seeked')]);
  audio.currentTime = 1e7;
  await found;
  audio.currentTime = 0;
}

/**
 * The next `type` event on `target` for which `until` holds; rejects on an error event.
 * @param {HTMLMediaElement} target @param {string} type @param {() => boolean} [until]
 */
function once(target, type, until = () => true) {
  return new Promise((resolve, reject) => {
    const done = () => {
      if (!until()) return;
      target.removeEventListener(type, done);
      target.removeEventListener('error', fail);
      resolve(undefined);
    };
    const fail = () => {
      target.removeEventListener(type, done);
      target.removeEventListener('error', fail);
      reject(new Error('the browser cannot play this recording.'));
    };
    target.addEventListener(type, done);
    target.addEventListener('error', fail);
  });
}
