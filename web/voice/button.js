// @ts-check
// The composer's mic button. Hold it (pointer, or Space/Enter while it has focus) to
// record, release to send; slide off it or press Esc to cancel. Ctrl+Shift+M starts a
// recording without holding anything and sends it when pressed again (Esc cancels;
// Send and Cancel buttons show too). While recording, the composer shows the elapsed
// time and a live waveform. A tap is not sent, and 15 minutes is the longest note.

import { h, setChildren } from '../ui/dom.js';
import { MAX_RECORDING_MS, checkLength, clock } from './format.js';
import { RecorderError, startRecording } from './recorder.js';

/** @typedef {import('./recorder.js').Recorder} Recorder */
/** @typedef {{kind: 'voice', duration: number, waveform: string}} VoiceMeta */
/** @typedef {(file: File, meta: VoiceMeta) => Promise<void>} SendVoice */
/** @typedef {{mode: 'pointer' | 'key' | 'toggle', key?: string, rec: Recorder | null, ended: 'sent' | 'cancelled' | null}} Session */

/** Bars in the live waveform: the last 1.6 s at one sample every 50 ms. */
const LIVE_BARS = 32;
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
    title: `Hold to record a voice note, release to send; slide away or press Esc to cancel. ${SHORTCUT} starts and stops without holding.`,
  }, h('span', { class: 'voice-icon mic', 'aria-hidden': 'true' }));
  const elapsed = h('span', { class: 'voice-elapsed', role: 'timer', 'aria-label': 'Recorded' }, '0:00');
  const bars = Array.from({ length: LIVE_BARS }, () => h('span', { class: 'voice-bar' }));
  const hint = h('span', { class: 'voice-hint', 'aria-live': 'polite' });
  const cancelButton = h('button', { type: 'button', class: 'button', onclick: () => cancel() }, 'Cancel');
  const sendButton = h('button', { type: 'button', class: 'button primary', onclick: () => finish() }, 'Send');
  const panel = h('div', { class: 'voice-recording', hidden: true },
    h('span', { class: 'voice-dot', 'aria-hidden': 'true' }), elapsed,
    h('span', { class: 'voice-live', 'aria-hidden': 'true' }, bars), hint, cancelButton, sendButton);
  const view = h('div', { class: 'voice-tools' }, panel, mic);

  /** @type {Session | null} */
  let session = null;
  /** @type {number[]} */
  let live = [];

  /** @param {Session | null} s */
  function showPanel(s) {
    const on = Boolean(s?.rec);
    // Send and Cancel are about to hide: keep the keyboard on the mic rather than lose it.
    if (!on && panel.contains(document.activeElement)) mic.focus();
    panel.hidden = !on;
    view.closest('.composer-row')?.classList.toggle('voice-recording-on', on);
    mic.classList.toggle('recording', on);
    mic.setAttribute('aria-label', s?.mode === 'toggle' ? 'Stop and send the voice note' : 'Record a voice note');
    cancelButton.hidden = s?.mode !== 'toggle';
    sendButton.hidden = s?.mode !== 'toggle';
    setChildren(hint, !on ? '' : s?.mode === 'toggle'
      ? `Recording. ${SHORTCUT} or Send sends, Esc cancels.`
      : 'Recording. Release to send; slide away or press Esc to cancel.');
    live = [];
    paint(0);
  }

  /** @param {number} ms */
  function paint(ms) {
    const text = clock(ms);
    if (elapsed.textContent !== text) elapsed.textContent = text;
    const from = live.length - LIVE_BARS;
    bars.forEach((bar, i) => bar.style.setProperty('--level', String(Math.round((live[from + i] ?? 0) * 100) / 100)));
  }

  /** @param {Session['mode']} mode @param {string} [key] */
  async function begin(mode, key) {
    if (session) return;
    const s = /** @type {Session} */ ({ mode, key, rec: null, ended: null });
    session = s;
    say('');
    const asked = performance.now();
    try {
      s.rec = await startRecording({
        onLevel: (level, ms) => {
          live.push(level);
          if (live.length > LIVE_BARS) live.shift();
          paint(ms);
        },
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
    showPanel(s);
  }

  /** Ends the recording and sends it (unless it is only a tap). @param {string} [notice] */
  async function finish(notice) {
    const s = session;
    if (!s) return;
    session = null;
    s.ended = 'sent';
    showPanel(null);
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
    showPanel(null);
  }

  mic.addEventListener('pointerdown', (e) => {
    if (e.button !== 0) return;
    e.preventDefault();
    if (session?.mode === 'toggle') {
      finish();
      return;
    }
    mic.setPointerCapture(e.pointerId);
    begin('pointer');
  });
  // A long press on a touch screen would open the context menu over the recording.
  mic.addEventListener('contextmenu', (e) => e.preventDefault());
  mic.addEventListener('pointermove', (e) => {
    if (session?.mode !== 'pointer' || !mic.hasPointerCapture(e.pointerId)) return;
    const box = mic.getBoundingClientRect();
    const off = e.clientX < box.left - SLACK || e.clientX > box.right + SLACK
      || e.clientY < box.top - SLACK || e.clientY > box.bottom + SLACK;
    if (off) cancel();
  });
  mic.addEventListener('pointerup', () => {
    if (session?.mode === 'pointer') finish();
  });
  mic.addEventListener('pointercancel', () => {
    if (session?.mode === 'pointer') cancel();
  });
  mic.addEventListener('keydown', (e) => {
    if ((e.key !== ' ' && e.key !== 'Enter') || e.ctrlKey || e.altKey || e.metaKey) return;
    e.preventDefault();
    if (e.repeat) return;
    if (session?.mode === 'toggle') finish();
    else begin('key', e.key);
  });

  /** Keys that work anywhere while the chat is open: the shortcut, Esc, and letting go of a held key. @param {KeyboardEvent} e */
  function onKeyDown(e) {
    if (!view.isConnected) return;
    // A modal dialog makes the chat inert: the shortcut waits until it closes.
    if (isShortcut(e) && !document.querySelector('dialog[open]')) {
      e.preventDefault();
      if (e.repeat) return;
      if (session?.mode === 'toggle') finish();
      else if (!session) begin('toggle');
    } else if (e.key === 'Escape' && session) {
      // Before the chat view's own Esc, which would close the chat.
      e.preventDefault();
      e.stopPropagation();
      cancel();
    }
  }
  /** @param {KeyboardEvent} e */
  function onKeyUp(e) {
    if (session?.mode !== 'key' || e.key !== session.key) return;
    e.preventDefault();
    finish();
  }
  window.addEventListener('keydown', onKeyDown, true);
  window.addEventListener('keyup', onKeyUp, true);

  return {
    view,
    /** The chat closes: a recording under way is dropped and the microphone released. */
    unmount() {
      window.removeEventListener('keydown', onKeyDown, true);
      window.removeEventListener('keyup', onKeyUp, true);
      cancel();
    },
  };
}
