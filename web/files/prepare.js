// @ts-check
// What goes up for one picked file, made here before anything is sealed: an image is
// re-encoded (its metadata stays behind, images/process.js) with its thumbnail; a
// video gets a poster frame drawn from it in the browser (a <video> element and a
// canvas, as JPEG), its size and its length; any other file goes as it is.

import { ImageError, THUMB_SIDE, fitWithin, processImage } from '../images/process.js';
import { kindFor } from './format.js';

/** @typedef {import('../crypto/file-ref.js').FileKind} FileKind */
/**
 * @typedef {{kind: FileKind, name: string, type: string, main: Blob, thumb?: Blob, width?: number, height?: number,
 *   duration?: number, waveform?: string}} Prepared
 */

// A poster is the frame a little into the video (the first is often black), at most this far in.
const POSTER_AT_S = 0.5;
const POSTER_QUALITY = 0.8;
// A video the browser cannot open in this long gets no poster (it goes as a plain file).
const POSTER_DEADLINE_MS = 10_000;

/** "holiday.heic" re-encoded as JPEG is "holiday.jpg". @param {string} name @param {string} type */
function renamed(name, type) {
  const ext = type === 'image/png' ? 'png' : 'jpg';
  const base = name.replace(/\.[^.]{1,8}$/, '') || 'image';
  return `${base}.${ext}`;
}

/**
 * A poster frame, the size and the length of a video, or null when this browser cannot
 * play it.
 * @param {Blob} file @returns {Promise<{thumb: Blob, width: number, height: number, duration: number} | null>}
 */
export async function videoPoster(file) {
  const url = URL.createObjectURL(file);
  const video = document.createElement('video');
  video.muted = true;
  video.preload = 'auto';
  video.playsInline = true;
  try {
    const ready = await new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), POSTER_DEADLINE_MS);
      const done = (/** @type {boolean} */ ok) => () => {
        clearTimeout(timer);
        resolve(ok);
      };
      video.addEventListener('loadeddata', done(true), { once: true });
      video.addEventListener('error', done(false), { once: true });
      video.src = url;
    });
    if (!ready || !video.videoWidth || !video.videoHeight) return null;
    const length = Number.isFinite(video.duration) ? video.duration : 0;
    const at = Math.min(POSTER_AT_S, length / 2);
    if (at > 0) {
      await new Promise((resolve) => {
        video.addEventListener('seeked', resolve, { once: true });
        video.addEventListener('error', resolve, { once: true });
        video.currentTime = at;
      });
    }
    const size = fitWithin(video.videoWidth, video.videoHeight, THUMB_SIDE);
    const canvas = document.createElement('canvas');
    canvas.width = size.width;
    canvas.height = size.height;
    canvas.getContext('2d')?.drawImage(video, 0, 0, size.width, size.height);
    const thumb = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', POSTER_QUALITY));
    if (!thumb) return null;
    return { thumb, width: video.videoWidth, height: video.videoHeight, duration: Math.round(length * 1000) };
  } finally {
    video.removeAttribute('src');
    video.load();
    URL.revokeObjectURL(url);
  }
}

/**
 * @param {File} file
 * @param {{kind?: FileKind, duration?: number, waveform?: string}} [meta] what the caller knows (a voice note)
 * @returns {Promise<Prepared>}
 */
export async function prepareFile(file, meta = {}) {
  const name = file.name || 'file';
  const type = file.type || 'application/octet-stream';
  const kind = meta.kind ?? kindFor(file.type);
  if (kind === 'image') {
    const p = await processImage(file);
    return {
      kind, name: renamed(name, p.type), type: p.type, width: p.width, height: p.height,
      main: new Blob([/** @type {Uint8Array<ArrayBuffer>} */ (p.full)], { type: p.type }),
      thumb: new Blob([/** @type {Uint8Array<ArrayBuffer>} */ (p.thumb)], { type: p.type }),
    };
  }
  if (kind === 'video') {
    const poster = await videoPoster(file);
    if (!poster) return { kind: 'file', name, type, main: file };
    return { kind, name, type, main: file, ...poster };
  }
  if (kind === 'voice') {
    return { kind, name, type, main: file,
      ...(meta.duration !== undefined ? { duration: Math.round(meta.duration) } : {}),
      ...(meta.waveform ? { waveform: meta.waveform } : {}) };
  }
  return { kind: 'file', name, type, main: file };
}

export { ImageError };
