// @ts-check
// One attachment of a message, as it travels inside the sealed plaintext
// (docs/crypto.md, "Attachments"): a STREAM-sealed blob, its key, and what the
// receiver needs before downloading it (name, type, size, kind, a thumbnail or poster,
// a voice note's length and waveform). Every field comes from whoever holds the chat
// key, so each is checked here; what the UI then opens inline is decided by
// `inlineAs`, never by the name.

/**
 * @typedef {'file' | 'image' | 'video' | 'voice'} FileKind
 * @typedef {{blob: string, key: string, size: number, name: string, type: string, kind: FileKind,
 *   thumb?: string, thumb_key?: string, width?: number, height?: number, duration?: number,
 *   waveform?: string}} FileRef
 */

/** Attachments one message may carry: each may bring a thumbnail, and the server binds at most 20 blobs. */
export const MAX_FILES = 10;
export const MAX_FILE_NAME = 255;
const MAX_TYPE = 127;
const MAX_SIDE = 16384;
/** A voice note's waveform: at most 64 levels of one byte, base64url (86 characters). */
export const MAX_WAVEFORM = 64;
const KINDS = new Set(['file', 'image', 'video', 'voice']);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// 32 bytes of base64url without padding are 43 characters.
const KEY = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;
const B64U = /^[A-Za-z0-9_-]*$/;
// A MIME type as a browser reports it: type/subtype, parameters allowed (codecs=opus).
const MIME = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*(?:;[ -~]*)?$/i;

// What a receiver may show inline, by kind; anything else is a download only.
const INLINE = {
  image: new Set(['image/jpeg', 'image/png', 'image/webp', 'image/gif']),
  video: /^video\/(?:mp4|webm|ogg)(?:;|$)/i,
  voice: /^audio\/(?:webm|ogg|mp4|mpeg|wav)(?:;|$)/i,
};

/** @param {unknown} n @param {number} min @param {number} max */
const int = (n, min, max) => Number.isSafeInteger(n) && /** @type {number} */ (n) >= min && /** @type {number} */ (n) <= max;

/**
 * A name as the sender typed it, made safe to show and to save: no path, no control
 * characters, at most 255 characters; never empty.
 * @param {string} raw
 */
export function safeName(raw) {
  // eslint-disable-next-line no-control-regex
  const base = raw.split(/[\\/]/).pop()?.replace(/[\u0000-\u001f\u007f\u202a-\u202e\u2066-\u2069]/g, '').trim() ?? '';
  const name = [...base.replace(/^\.+/, '')].slice(0, MAX_FILE_NAME).join('');
  return name || 'file';
}

/**
 * A type as the sender's browser reported it, if receivers will take it; anything
 * else (too long, not type/subtype) goes as application/octet-stream.
 * @param {string} raw
 */
export const safeType = (raw) => (raw && raw.length <= MAX_TYPE && MIME.test(raw) ? raw : 'application/octet-stream');

/** @param {unknown} raw @returns {FileRef | null} */
export function fileRef(raw) {
  const r = /** @type {Record<string, unknown>} */ (raw);
  if (!r || typeof r !== 'object') return null;
  const { blob, key, size, name, type, kind } = r;
  if (typeof blob !== 'string' || !UUID.test(blob) || typeof key !== 'string' || !KEY.test(key)) return null;
  if (!int(size, 0, Number.MAX_SAFE_INTEGER) || typeof kind !== 'string' || !KINDS.has(kind)) return null;
  if (typeof name !== 'string' || [...name].length > MAX_FILE_NAME) return null;
  if (typeof type !== 'string' || type.length > MAX_TYPE || (type && !MIME.test(type))) return null;
  /** @type {FileRef} */
  const out = { blob, key, size: /** @type {number} */ (size), name: safeName(name), type, kind: /** @type {FileKind} */ (kind) };
  if (r.thumb !== undefined || r.thumb_key !== undefined) {
    if (typeof r.thumb !== 'string' || !UUID.test(r.thumb) || typeof r.thumb_key !== 'string' || !KEY.test(r.thumb_key)) return null;
    out.thumb = r.thumb;
    out.thumb_key = r.thumb_key;
  }
  if (r.width !== undefined || r.height !== undefined) {
    if (!int(r.width, 1, MAX_SIDE) || !int(r.height, 1, MAX_SIDE)) return null;
    out.width = /** @type {number} */ (r.width);
    out.height = /** @type {number} */ (r.height);
  }
  if (r.duration !== undefined) {
    if (!int(r.duration, 0, 24 * 3600 * 1000)) return null;
    out.duration = /** @type {number} */ (r.duration);
  }
  if (r.waveform !== undefined) {
    if (typeof r.waveform !== 'string' || !B64U.test(r.waveform) || r.waveform.length > Math.ceil(MAX_WAVEFORM * 4 / 3)) return null;
    out.waveform = r.waveform;
  }
  return out;
}

/**
 * How a receiver may show an attachment: inline as an image, a video or a voice note
 * only when its kind and its type agree on something the browser plays safely;
 * everything else (html, svg, executables, unknown) is a file to download.
 * @param {FileRef} f @returns {'image' | 'video' | 'voice' | 'download'}
 */
export function inlineAs(f) {
  const type = f.type.toLowerCase();
  if (f.kind === 'image' && INLINE.image.has(type)) return 'image';
  if (f.kind === 'video' && INLINE.video.test(type)) return 'video';
  if (f.kind === 'voice' && INLINE.voice.test(type)) return 'voice';
  return 'download';
}
