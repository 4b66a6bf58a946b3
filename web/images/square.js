// @ts-check
// A picked picture as a small square JPEG: center-cropped, resized in a canvas (so no
// metadata of the original survives), and encoded under a byte limit.

/**
 * @param {Blob} file
 * @param {{side: number, maxBytes: number}} p
 * @returns {Promise<Blob>} image/jpeg
 */
export async function squareJpeg(file, { side, maxBytes }) {
  let bitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    throw new Error('That file is not a picture this browser can read.');
  }
  const crop = Math.min(bitmap.width, bitmap.height);
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = side;
  const ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d'));
  ctx.fillStyle = '#ffffff'; // JPEG has no transparency: see-through areas become white
  ctx.fillRect(0, 0, side, side);
  ctx.drawImage(bitmap, (bitmap.width - crop) / 2, (bitmap.height - crop) / 2, crop, crop, 0, 0, side, side);
  bitmap.close();
  for (const quality of [0.88, 0.75, 0.6, 0.45]) {
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', quality));
    if (blob && blob.size <= maxBytes) return /** @type {Blob} */ (blob);
  }
  throw new Error('That picture could not be made small enough.');
}

/** @param {Blob} blob @returns {Promise<string>} a data: URL */
export function dataUrl(blob) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(blob);
  });
}
