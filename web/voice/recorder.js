// @ts-check
// Recording a voice note: the microphone through MediaRecorder as Opus (in WebM, or Ogg
// where that is what the browser makes), and beside it an AnalyserNode whose loudness,
// sampled every 50 ms, draws the live waveform and becomes the message's waveform. The
// microphone's tracks are stopped as soon as the recording ends, sent or not, so the
// browser's recording indicator goes away with it.

import { MAX_RECORDING_MS } from './format.js';
import { encodeWaveform, loudness, reduceLevels } from './waveform.js';

/** The formats a voice note may be recorded in, best first (file-ref.js plays both). */
const TYPES = ['audio/webm;codecs=opus', 'audio/ogg;codecs=opus'];
/** Opus at 32 kbit/s is clear speech: 15 minutes is about 3.6 MB. */
const BITRATE = 32_000;
/** How often loudness is sampled for the waveform. */
const SAMPLE_MS = 50;
/** Encoded audio is handed over this often, so stopping never waits on one large piece. */
const SLICE_MS = 1000;

/** A reason in words, for the composer to show. */
export class RecorderError extends Error {}

/** @typedef {{blob: Blob, type: string, duration: number, waveform: string}} VoiceNote */

/** The type this browser records voice notes in, or null when it cannot. */
export function recordingType() {
  if (typeof MediaRecorder === 'undefined') return null;
  return TYPES.find((t) => MediaRecorder.isTypeSupported(t)) ?? null;
}

/** The sentence for a microphone that did not open. @param {unknown} err */
export function microphoneError(err) {
  const name = err instanceof DOMException || err instanceof Error ? err.name : '';
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'MessGo may not use your microphone. Allow it for this site in the browser (the icon beside the address), then try again.';
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'No microphone was found. Connect one and try again.';
    case 'NotReadableError':
    case 'AbortError':
      return 'The microphone could not be started: another app may be using it. Close that app and try again.';
    default:
      return 'The microphone could not be opened.';
  }
}

/**
 * Opens the microphone and starts recording.
 * @param {{onLevel?: (level: number, elapsed: number) => void, onLimit?: () => void}} [hooks]
 *   onLevel: each loudness sample (0..1); onLimit: the recording reached its longest
 * @returns {Promise<Recorder>}
 */
export async function startRecording(hooks = {}) {
  const type = recordingType();
  if (!type) throw new RecorderError('This browser cannot record voice notes: it makes no Opus audio (WebM or Ogg).');
  if (!navigator.mediaDevices?.getUserMedia) {
    throw new RecorderError('The microphone is only available on a secure page (HTTPS or localhost).');
  }
  /** @type {MediaStream} */
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true } });
  } catch (err) {
    throw new RecorderError(microphoneError(err));
  }
  try {
    return new Recorder(stream, type, hooks);
  } catch {
    for (const t of stream.getTracks()) t.stop();
    throw new RecorderError('This browser could not start recording.');
  }
}

export class Recorder {
  /**
   * @param {MediaStream} stream @param {string} type
   * @param {{onLevel?: (level: number, elapsed: number) => void, onLimit?: () => void}} hooks
   */
  constructor(stream, type, hooks) {
    this.stream = stream;
    this.type = type;
    this.hooks = hooks;
    this.media = new MediaRecorder(stream, { mimeType: type, audioBitsPerSecond: BITRATE });
    /** @type {Blob[]} */
    this.chunks = [];
    /** @type {number[]} */
    this.levels = [];
    this.media.ondataavailable = (e) => {
      if (e.data.size > 0) this.chunks.push(e.data);
    };
    this.audio = new AudioContext();
    this.analyser = this.audio.createAnalyser();
    this.analyser.fftSize = 1024;
    this.audio.createMediaStreamSource(stream).connect(this.analyser);
    this.frame = new Float32Array(this.analyser.fftSize);
    // A context made after an await may start suspended; resuming is allowed within the gesture's grace.
    this.audio.resume().catch(() => {});
    this.startedAt = performance.now();
    this.media.start(SLICE_MS);
    this.ticker = setInterval(() => this.sample(), SAMPLE_MS);
    this.done = false;
  }

  /** Milliseconds recorded so far. */
  elapsed() {
    return performance.now() - this.startedAt;
  }

  sample() {
    this.analyser.getFloatTimeDomainData(this.frame);
    const level = loudness(this.frame);
    this.levels.push(level);
    const elapsed = this.elapsed();
    this.hooks.onLevel?.(level, elapsed);
    if (elapsed >= MAX_RECORDING_MS) this.hooks.onLimit?.();
  }

  /** Ends the recording and hands over the note. @returns {Promise<VoiceNote>} */
  stop() {
    const duration = Math.min(MAX_RECORDING_MS, Math.round(this.elapsed()));
    const waveform = encodeWaveform(reduceLevels(this.levels));
    return new Promise((resolve, reject) => {
      if (this.done) {
        reject(new RecorderError('The recording has already ended.'));
        return;
      }
      this.media.onstop = () => {
        const type = this.media.mimeType || this.type;
        resolve({ blob: new Blob(this.chunks, { type }), type, duration, waveform });
      };
      this.media.onerror = () => reject(new RecorderError('The recording failed.'));
      this.release();
    });
  }

  /** Ends the recording and drops what was recorded. */
  cancel() {
    if (this.done) return;
    this.media.ondataavailable = null;
    this.media.onstop = null;
    this.release();
    this.chunks = [];
  }

  release() {
    this.done = true;
    clearInterval(this.ticker);
    if (this.media.state !== 'inactive') this.media.stop();
    for (const t of this.stream.getTracks()) t.stop();
    this.audio.close().catch(() => {});
  }
}
