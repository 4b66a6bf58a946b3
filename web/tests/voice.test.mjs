// Voice notes' pure parts: loudness and the waveform's reduction to at most 64 bytes
// and back (web/voice/waveform.js), times as people read them, the speed button's
// cycle, where keys and pointers seek, and the shortest note (web/voice/format.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { decodeWaveform, encodeWaveform, loudness, reduceLevels, resample } from '../voice/waveform.js';
import {
  MAX_RECORDING_MS, MIN_RECORDING_MS, SPEEDS, checkLength, clock, limitWarning, nextSpeed, seekAt, seekByKey, speedLabel,
  spokenTime,
} from '../voice/format.js';
import { fileRef } from '../crypto/file-ref.js';

test('loudness is 0 for silence and rises with the signal on a decibel scale', () => {
  assert.equal(loudness([]), 0);
  assert.equal(loudness(new Float32Array(512)), 0);
  const full = loudness(new Float32Array(512).fill(1));
  assert.equal(full, 1);
  const tenth = loudness(new Float32Array(512).fill(0.1)); // -20 dBFS
  assert.ok(Math.abs(tenth - 2 / 3) < 1e-6, `-20 dB is two thirds up a 60 dB scale, got ${tenth}`);
  assert.equal(loudness(new Float32Array(512).fill(0.0001)), 0, 'below -60 dB is silence');
  assert.equal(loudness([NaN, NaN]), 0);
});

test('a long recording reduces to 64 levels, the loudest at 255, each the mean of its share', () => {
  // 15 minutes of samples every 50 ms: a ramp, then silence.
  const samples = Array.from({ length: 18_000 }, (_, i) => (i < 9_000 ? i / 9_000 : 0));
  const levels = reduceLevels(samples);
  assert.equal(levels.length, 64);
  assert.equal(Math.max(...levels), 255);
  assert.deepEqual([...levels.slice(32)], new Array(32).fill(0));
  for (let i = 1; i < 32; i++) assert.ok(levels[i] > levels[i - 1], 'the ramp stays a ramp');
  assert.ok(levels[0] < 10);
});

test('a short recording keeps one level per sample; silence stays flat; bad samples count as 0', () => {
  assert.deepEqual([...reduceLevels([0.5, 0.25, 0])], [255, 128, 0]);
  assert.deepEqual([...reduceLevels([0, 0, 0, 0])], [0, 0, 0, 0]);
  assert.deepEqual([...reduceLevels([])], []);
  assert.deepEqual([...reduceLevels([NaN, 2, -1, 0.5])], [0, 255, 0, 128]);
  assert.equal(reduceLevels(new Array(1000).fill(0.3), 10).length, 10);
});

test('the waveform travels as base64url a message accepts, and reads back as 0..1', () => {
  const levels = reduceLevels(Array.from({ length: 500 }, (_, i) => Math.abs(Math.sin(i / 20))));
  const wire = encodeWaveform(levels);
  assert.match(wire, /^[A-Za-z0-9_-]+$/);
  assert.ok(wire.length <= 86);
  const ref = fileRef({
    blob: '0b9d7a5e-1c2f-4e8b-9a7d-3f1e2d4c5b6a', key: 'A'.repeat(43), size: 1234, name: 'voice-note.webm',
    type: 'audio/webm;codecs=opus', kind: 'voice', duration: 1500, waveform: wire,
  });
  assert.equal(ref?.waveform, wire, 'file-ref.js keeps it');
  const back = decodeWaveform(wire);
  assert.equal(back.length, 64);
  assert.deepEqual(back.map((x) => Math.round(x * 255)), [...levels]);
  assert.throws(() => encodeWaveform(new Uint8Array(65)), /at most 64/);
});

test('a missing or broken waveform draws flat, so the note still gets a seek bar', () => {
  assert.deepEqual(decodeWaveform(undefined, 5), [0, 0, 0, 0, 0]);
  assert.deepEqual(decodeWaveform('', 3), [0, 0, 0]);
  assert.deepEqual(decodeWaveform('!!not base64', 2), [0, 0]);
  assert.equal(decodeWaveform('_'.repeat(200)).length, 64, 'never more than 64 levels');
});

test('levels stretch or shrink to the bars drawn, keeping peaks', () => {
  assert.deepEqual(resample([0, 1], 4), [0, 0, 1, 1]);
  assert.deepEqual(resample([0, 1, 0, 0, 0.5, 0], 3), [1, 0, 0.5]);
  assert.deepEqual(resample([], 3), [0, 0, 0]);
  assert.equal(resample(new Array(64).fill(0.5), 40).length, 40);
});

test('times read as m:ss, rounded down, hours when needed, and in words for screen readers', () => {
  assert.equal(clock(0), '0:00');
  assert.equal(clock(999), '0:00');
  assert.equal(clock(1500), '0:01');
  assert.equal(clock(65_000), '1:05');
  assert.equal(clock(MAX_RECORDING_MS), '15:00');
  assert.equal(clock(3_723_000), '1:02:03');
  assert.equal(clock(-5), '0:00');
  assert.equal(clock(Infinity), '0:00');
  assert.equal(clock(NaN), '0:00');
  assert.equal(spokenTime(1000), '1 second');
  assert.equal(spokenTime(7_400), '7 seconds');
  assert.equal(spokenTime(60_000), '1 minute');
  assert.equal(spokenTime(125_000), '2 minutes 5 seconds');
});

test('the speed button cycles 1x, 1.5x, 2x and back; anything else starts at 1x', () => {
  assert.deepEqual(SPEEDS, [1, 1.5, 2]);
  assert.equal(nextSpeed(1), 1.5);
  assert.equal(nextSpeed(1.5), 2);
  assert.equal(nextSpeed(2), 1);
  assert.equal(nextSpeed(0.75), 1);
  let rate = 1;
  const seen = [];
  for (let i = 0; i < 6; i++) seen.push(speedLabel((rate = nextSpeed(rate))));
  assert.deepEqual(seen, ['1.5×', '2×', '1×', '1.5×', '2×', '1×']);
});

test('keys seek by a second, ten with Page keys, to either end with Home/End, within the note', () => {
  assert.equal(seekByKey('ArrowRight', 2000, 7000), 3000);
  assert.equal(seekByKey('ArrowUp', 2000, 7000), 3000);
  assert.equal(seekByKey('ArrowLeft', 2000, 7000), 1000);
  assert.equal(seekByKey('ArrowLeft', 500, 7000), 0);
  assert.equal(seekByKey('ArrowRight', 6500, 7000), 7000);
  assert.equal(seekByKey('PageUp', 0, 60_000), 10_000);
  assert.equal(seekByKey('PageDown', 5000, 60_000), 0);
  assert.equal(seekByKey('Home', 5000, 60_000), 0);
  assert.equal(seekByKey('End', 5000, 60_000), 60_000);
  assert.equal(seekByKey('a', 5000, 60_000), null);
  assert.equal(seekByKey('Enter', 5000, 60_000), null);
});

test('a pointer seeks to its place on the bar, clamped to the note', () => {
  assert.equal(seekAt(150, 100, 200, 8000), 2000);
  assert.equal(seekAt(50, 100, 200, 8000), 0);
  assert.equal(seekAt(400, 100, 200, 8000), 8000);
  assert.equal(seekAt(150, 100, 0, 8000), 0);
});

test('a tap is not a voice note; half a second and more is', () => {
  assert.equal(MIN_RECORDING_MS, 500);
  const tap = checkLength(200);
  assert.equal(tap.ok, false);
  assert.match(/** @type {{error: string}} */ (tap).error, /at least half a second/);
  assert.deepEqual(checkLength(500), { ok: true });
  assert.deepEqual(checkLength(90_000), { ok: true });
});

test('the last 30 seconds before the 15-minute stop say how long is left', () => {
  assert.equal(MAX_RECORDING_MS, 15 * 60 * 1000);
  assert.equal(limitWarning(0), null);
  assert.equal(limitWarning(MAX_RECORDING_MS - 30_001), null);
  assert.equal(limitWarning(MAX_RECORDING_MS - 30_000), 'Voice notes stop at 15:00: 0:30 left.');
  assert.equal(limitWarning(MAX_RECORDING_MS - 24_500), 'Voice notes stop at 15:00: 0:25 left.');
  assert.equal(limitWarning(MAX_RECORDING_MS - 1), 'Voice notes stop at 15:00: 0:01 left.');
  assert.equal(limitWarning(MAX_RECORDING_MS + 50), 'Voice notes stop at 15:00: 0:00 left.');
});
