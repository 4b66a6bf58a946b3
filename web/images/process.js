// @ts-check
// Turning a picked picture into what is sent: decoded, then drawn and encoded again
// through a canvas. Nothing of the original file survives but its pixels, so EXIF
// (GPS position, camera, time), XMP, ICC profiles and comments all stay behind. The
// long side is limited to 2048 px, and a thumbnail (long side 320 px) is made to show
// in the chat before the image is opened. JPEG, or PNG for images with transparency.

export const MAX_SIDE = 2048;
export const THUMB_SIDE = 320;
const JPEG_QUALITY = 0.85;
const THUMB_QUALITY = 0.8;
// Transparency is looked for on a copy this small: enough to see any see-through area.
const ALPHA_PROBE_SIDE = 256;

/** A problem with one picked file, in a sentence for the composer. */
export class ImageError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'ImageError';
  }
}

/**
 * The size of a picture scaled down (never up) so its long side is at most `max`.
 * @param {number} width @param {number} height @param {number} max
 */
export function fitWithin(width, height, max) {
  const scale = Math.min(1, max / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/**
 * @typedef {{full: Uint8Array, thumb: Uint8Array, type: 'image/jpeg' | 'image/png', width: number, height: number,
 *   thumbWidth: number, thumbHeight: number}} Processed
 */

/** @param {number} width @param {number} height */
function canvas(width, height) {
  if (typeof OffscreenCanvas !== 'undefined') return new OffscreenCanvas(width, height);
  const c = document.createElement('canvas');
  c.width = width;
  c.height = height;
  return c;
}

/** @param {OffscreenCanvas | HTMLCanvasElement} c @param {string} type @param {number} quality @returns {Promise<Blob>} */
function toBlob(c, type, quality) {
  if ('convertToBlob' in c) return c.convertToBlob({ type, quality });
  return new Promise((resolve, reject) => c.toBlob((b) => (b ? resolve(b) : reject(new Error('encoding failed'))), type, quality));
}

/** @param {ImageBitmap} bitmap @param {number} width @param {number} height */
function draw(bitmap, width, height) {
  const c = canvas(width, height);
  const ctx = /** @type {OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D} */ (c.getContext('2d'));
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(bitmap, 0, 0, width, height);
  return { c, ctx };
}

/** Whether any pixel is see-through (JPEG cannot keep that; PNG can). @param {ImageBitmap} bitmap */
function hasAlpha(bitmap) {
  const { width, height } = fitWithin(bitmap.width, bitmap.height, ALPHA_PROBE_SIDE);
  const { ctx } = draw(bitmap, width, height);
  const data = ctx.getImageData(0, 0, width, height).data;
  for (let i = 3; i < data.length; i += 4) if (data[i] < 255) return true;
  return false;
}

/** @param {ImageBitmap} bitmap @param {{width: number, height: number}} size @param {string} type @param {number} quality */
async function encode(bitmap, size, type, quality) {
  const { c } = draw(bitmap, size.width, size.height);
  const blob = await toBlob(c, type, quality);
  return new Uint8Array(await blob.arrayBuffer());
}

/**
 * Decodes, strips and re-encodes one picked file, and makes its thumbnail.
 * @param {Blob & {name?: string}} file @returns {Promise<Processed>}
 */
export async function processImage(file) {
  const name = file.name ? `"${file.name}"` : 'This file';
  if (file.type && !file.type.startsWith('image/')) throw new ImageError(`${name} is not an image.`);
  /** @type {ImageBitmap} */
  let bitmap;
  try {
    // from-image: a photo taken sideways is turned upright now, since its EXIF
    // orientation tag is about to be dropped with the rest.
    bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
  } catch {
    throw new ImageError(`${name} could not be read as an image here.`);
  }
  try {
    const type = file.type !== 'image/jpeg' && hasAlpha(bitmap) ? 'image/png' : 'image/jpeg';
    const size = fitWithin(bitmap.width, bitmap.height, MAX_SIDE);
    const thumbSize = fitWithin(bitmap.width, bitmap.height, THUMB_SIDE);
    const full = await encode(bitmap, size, type, JPEG_QUALITY);
    const thumb = await encode(bitmap, thumbSize, type, THUMB_QUALITY);
    return { full, thumb, type, ...size, thumbWidth: thumbSize.width, thumbHeight: thumbSize.height };
  } catch (err) {
    if (err instanceof ImageError) throw err;
    throw new ImageError(`${name} could not be prepared for sending.`);
  } finally {
    bitmap.close();
  }
}
