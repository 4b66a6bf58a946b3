// @ts-check
// A voice note's waveform: what the recorder hears (one loudness sample every few tens
// of milliseconds), reduced to at most 64 one-byte levels for the message
// (docs/crypto.md, "Attachments"), and read back for the player. Pure: no DOM, no
// audio, so node --test checks it.

import { fromB64u, toB64u } from '../crypto/bytes.js';
import { MAX_WAVEFORM } from '../crypto/file-ref.js';

/** Below this (in dBFS) is silence; the scale from here to full scale is what people hear as loudness. */
const FLOOR_DB = -60;

/**
 * The loudness of one frame of samples (-1..1) as 0..1: its RMS on a decibel scale, so
 * a whisper still shows and a shout does not flatten everything else.
 * @param {ArrayLike<number>} frame
 */
export function loudness(frame) {
  if (frame.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < frame.length; i++) sum += frame[i] * frame[i];
  const rms = Math.sqrt(sum / frame.length);
  if (!(rms > 0)) return 0;
  const db = 20 * Math.log10(rms);
  return Math.min(1, Math.max(0, (db - FLOOR_DB) / -FLOOR_DB));
}

/**
 * At most `max` levels (0..255) from any number of loudness samples (0..1): each level
 * is the mean of its share of the samples, and the loudest becomes 255, so a quiet
 * note draws as clearly as a loud one. Fewer samples than `max` give one level each.
 * @param {readonly number[]} samples @param {number} [max]
 * @returns {Uint8Array}
 */
export function reduceLevels(samples, max = MAX_WAVEFORM) {
  const n = Math.min(samples.length, Math.max(1, Math.floor(max)));
  const means = [];
  for (let i = 0; i < n; i++) {
    const from = Math.floor((i * samples.length) / n);
    const to = Math.max(from + 1, Math.floor(((i + 1) * samples.length) / n));
    let sum = 0;
    for (let j = from; j < to; j++) sum += clamp01(samples[j]);
    means.push(sum / (to - from));
  }
  const peak = Math.max(0, ...means);
  return Uint8Array.from(means, (m) => (peak > 0 ? Math.round((m / peak) * 255) : 0));
}

/** @param {number} x */
const clamp01 = (x) => (Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0);

/** The message's form of levels: base64url of the bytes. @param {Uint8Array} levels */
export function encodeWaveform(levels) {
  if (levels.length > MAX_WAVEFORM) throw new RangeError(`a waveform has at most ${MAX_WAVEFORM} levels`);
  return toB64u(levels);
}

/**
 * Levels as 0..1 from a message's waveform; a missing or broken one is a flat line of
 * `fallback` levels, so a note from an older client still has a seek bar.
 * @param {string | undefined} waveform @param {number} [fallback]
 * @returns {number[]}
 */
export function decodeWaveform(waveform, fallback = 32) {
  try {
    const bytes = waveform ? fromB64u(waveform).subarray(0, MAX_WAVEFORM) : new Uint8Array(0);
    if (bytes.length > 0) return Array.from(bytes, (b) => b / 255);
  } catch {
    // A sender's broken waveform: drawn flat, the note still plays.
  }
  return new Array(fallback).fill(0);
}

/**
 * `want` levels for display from any number: each the highest of its share (or the
 * nearest one, when stretching a short list), so peaks are not averaged away.
 * @param {readonly number[]} levels @param {number} want
 */
export function resample(levels, want) {
  if (levels.length === 0) return new Array(want).fill(0);
  return Array.from({ length: want }, (_, i) => {
    const from = Math.floor((i * levels.length) / want);
    const to = Math.max(from + 1, Math.floor(((i + 1) * levels.length) / want));
    return Math.max(...levels.slice(from, to));
  });
}
