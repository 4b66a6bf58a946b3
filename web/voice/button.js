// @ts-check
// The composer's mic button. Hold it (pointer, or Space/Enter while it has focus) to
// record, release to send; slide off it or press Esc to cancel. Ctrl+Shift+M starts a
// recording without holding and sends it when pressed again (Esc cancels; Send and
// Cancel buttons show too). While recording, the composer shows the recording bar
// (recording-bar.js). A tap is not sent, and 15 minutes is the longest note.

import { h } from '../ui/dom.js';
import { MAX_RECORDING_MS, checkLength, clock } from './format.js';
import { RecorderError, startRecording } from './recorder.js';
import { recordingBar } from './recording-bar.js';

/** @typedef {import('./recorder.js').Recorder} Recorder */
/** @typedef {import('./recording-bar.js').Mode} Mode */
/** @typedef {{kind: 'voice', duration: number, waveform: string}} VoiceMeta */
/** @typedef {(file: File, meta: VoiceMeta) => Promise<void>} SendVoice */
/** @typedef {{mode: Mode, key?: string, rec: Recorder | null, ended: 'sent' | 'cancelled' | null}} Session */

/** How far (px) the pointer may stray off the button before the recording is cancelled. */
const SLACK = 24;
/** Opening the microphone longer than this means the browser asked for permission first. */
const PROMPT_MS = 1000;
export const SHORTCUT = 'Ctrl+Shift+M';

/** Whether a key event is the shortcut that starts and stops a recording. @param {KeyboardEvent} e */
export const isShortcut = (e) => (e.ctrlKey || e.metaKey) && e.shiftKey && !e.altKey && e.code === 'KeyM';

/**
 * @param {{send: SendVoice, say: (text: string) => void}} p
 *   send: uploads the note and sends a message with it (`sendAttachment`, web/files/attach.js: it
 *   resolves once the message is handed over, rejects when refused or cancelled, and shows the
 *   upload's progress meanwhile); say: shows a sentence (or clears it with '')
 */
export function voiceButton({ send, say }) {
  const mic = h('button', {
    type: 'button', class: 'button quiet voice-mic', 'aria-label': 'Record a voice note',
    'aria-keyshortcuts': 'Control+Shift+M',
    title: `Hold to record a voice note (up to ${clock(MAX_RECORDING_MS)}), release to send; slide away or press Esc to cancel. `
      + `${SHORTCUT} starts and stops without holding.`,
  }, h('span', { class: 'voice-icon mic', 'aria-hidden': 'true' }));
  const bar = recordingBar({ shortcut: SHORTCUT, onCancel: () => cancel(), onSend: () => finish() });
  const view = h('div', { class: 'voice-tools' }, bar.view, mic);

  /** @type {Session | null} */
  let session = null;

  /** @param {Session | null} s */
  function showBar(s) {
    const on = Boolean(s?.rec);
    // Send and Cancel are about to hide: keep the keyboard on the mic rather than lose it.
    if (!on && bar.view.contains(document.activeElement)) mic.focus();
    bar.show(on && s ? s.mode : null);
    view.closest('.composer-row')?.classList.toggle('voice-recording-on', on);
    mic.classList.toggle('recording', on);
    mic.setAttribute('aria-label', s?.mode === 'toggle' ? 'Stop and send the voice note' : 'Record a voice note');
  }

  /** @param {Mode} mode @param {string} [key] */
  async function begin(mode, key) {
    if (session) return;
    const s = /** @type {Session} */ ({ mode, key, rec: null, ended: null });
    session = s;
    say('');
    const asked = performance.now();
    try {
      s.rec = await startRecording({
        onLevel: (level, ms) => bar.sample(level, ms),
        onLimit: () => finish(`Voice notes stop at ${clock(MAX_RECORDING_MS)}: this one was sent as it was.`),
      });
    } catch (err) {
      if (session === s) session = null;
      say(err instanceof RecorderError ? err.message : 'The microphone could not be opened.');
      return;
    }
    if (s.ended) {
      // Let go (or cancelled) before the microphone opened: a tap, or the browser's
      // permission prompt in between (which takes longer than any tap).
      s.rec.cancel();
      if (s.ended !== 'sent') return;
      say(performance.now() - asked > PROMPT_MS
        ? 'The microphone is ready: now hold the mic button while you speak, and release to send.'
        : /** @type {{ok: false, error: string}} */ (checkLength(0)).error);
      return;
    }
    showBar(s);
  }

  /** Ends the recording and sends it (unless it is only a tap). @param {string} [notice] */
  async function finish(notice) {
    const s = session;
    if (!s) return;
    session = null;
    s.ended = 'sent';
    showBar(null);
    if (!s.rec) return;
    const check = checkLength(s.rec.elapsed());
    if (!check.ok) {
      s.rec.cancel();
      say(check.error);
      return;
    }
    try {
      const note = await s.rec.stop();
      const name = note.type.startsWith('audio/ogg') ? 'voice-note.ogg' : 'voice-note.webm';
      const file = new File([note.blob], name, { type: note.type });
      if (notice) say(notice);
      await send(file, { kind: 'voice', duration: note.duration, waveform: note.waveform });
    } catch (err) {
      // Cancelled in the tray: nothing to say.
      if (err instanceof DOMException && err.name === 'AbortError') return;
      say(err instanceof Error && err.message ? `The voice note was not sent: ${err.message}` : 'The voice note was not sent.');
    }
  }

  function cancel() {
    const s = session;
    if (!s) return;
    session = null;
    s.ended = 'cancelled';
    s.rec?.cancel();
    showBar(null);
  }

  // The window lost focus mid-hold (another app, or the browser's permission prompt):
  // the release will never come here. Before the microphone opened that is a let-go
  // (which says what happened); once recording, the hold is over without a send. A
  // recording without holding goes on.
  function blurred() {
    if (!session || session.mode === 'toggle') return;
    if (session.rec) cancel();
    else finish();
  }

  const unbind = bindGestures(mic, view, { begin, finish: () => finish(), cancel, mode: () => session?.mode ?? null,
    heldKey: () => session?.key, blurred });

  return {
    view,
    /** The chat closes: a recording under way is dropped and the microphone released. */
    unmount() {
      unbind();
      cancel();
    },
  };
}

/**
 * The gestures: hold and slide on the button, Space/Enter held on it, and the keys
 * that work anywhere while the chat is open (the shortcut, Esc, letting go of a held
 * key). Returns what removes the page-wide listeners.
 * @param {HTMLButtonElement} mic @param {HTMLElement} view
 * @param {{begin: (mode: Mode, key?: string) => void, finish: () => void, cancel: () => void,
 *   mode: () => Mode | null, heldKey: () => string | undefined, blurred: () => void}} on
 */
function bindGestures(mic, view, on) {
  mic.addEventListener('pointerdown', (e) => {
    if (e.button !== 0) return;
    e.preventDefault();
    if (on.mode() === 'toggle') {
      on.finish();
    } else {
      mic.setPointerCapture(e.pointerId);
      on.begin('pointer');
    }
  });
  // A long press on a touch screen would open the context menu over the recording.
  mic.addEventListener('contextmenu', (e) => e.preventDefault());
  mic.addEventListener('pointermove', (e) => {
    if (on.mode() !== 'pointer' || !mic.hasPointerCapture(e.pointerId)) return;
    const box = mic.getBoundingClientRect();
    const off = e.clientX < box.left - SLACK || e.clientX > box.right + SLACK
      || e.clientY < box.top - SLACK || e.clientY > box.bottom + SLACK;
    if (off) on.cancel();
  });
  mic.addEventListener('pointerup', () => on.mode() === 'pointer' && on.finish());
  mic.addEventListener('pointercancel', () => on.mode() === 'pointer' && on.cancel());
  mic.addEventListener('keydown', (e) => {
    if ((e.key !== ' ' && e.key !== 'Enter') || e.ctrlKey || e.altKey || e.metaKey) return;
    e.preventDefault();
    if (e.repeat) return;
    if (on.mode() === 'toggle') on.finish();
    else on.begin('key', e.key);
  });

  /** @param {KeyboardEvent} e */
  function onKeyDown(e) {
    if (!view.isConnected) return;
    // A modal dialog makes the chat inert: the shortcut waits until it closes.
    if (isShortcut(e) && !document.querySelector('dialog[open]')) {
      e.preventDefault();
      if (e.repeat) return;
      const mode = on.mode();
      if (mode === 'toggle') on.finish();
      else if (mode === null) on.begin('toggle');
    } else if (e.key === 'Escape' && on.mode() !== null) {
      // Before the chat view's own Esc, which would close the chat.
      e.preventDefault();
      e.stopPropagation();
      on.cancel();
    }
  }
  /** @param {KeyboardEvent} e */
  function onKeyUp(e) {
    if (on.mode() !== 'key' || e.key !== on.heldKey()) return;
    e.preventDefault();
    on.finish();
  }
  window.addEventListener('keydown', onKeyDown, true);
  window.addEventListener('keyup', onKeyUp, true);
  window.addEventListener('blur', on.blurred);
  return () => {
    window.removeEventListener('keydown', onKeyDown, true);
    window.removeEventListener('keyup', onKeyUp, true);
    window.removeEventListener('blur', on.blurred);
  };
}
