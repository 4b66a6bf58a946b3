// @ts-check
// A forwarded message's files, sealed again for the chat it goes to: each file (and
// its thumbnail or poster) is downloaded, opened here and uploaded as a new stream
// under a new key (docs/crypto.md, "Messages": nothing ties the copy to the original).
// One file at a time, like the composer's uploads (the server limits unfinished ones).

import { FileUpload, downloadFile } from './transfer.js';
import { fetchImage } from '../images/media.js';
import { fileRef } from '../crypto/file-ref.js';
import { fromB64u, toB64u } from '../crypto/bytes.js';

/** @typedef {import('../crypto/file-ref.js').FileRef} FileRef */
/** @typedef {import('../crypto/plaintext.js').ImageRef} ImageRef */
/** @typedef {import('../images/media.js').Media} Media */

/** @param {string} chatId @param {Blob} blob @param {AbortSignal} [signal] */
async function upload(chatId, blob, signal) {
  const up = new FileUpload(chatId, blob);
  const done = await up.run({ signal });
  return { blob: done.id, key: toB64u(done.key) };
}

/**
 * The message's files as new uploads to `chatId`, in the same order. The older image
 * form (ImageRef) becomes a FileRef of kind "image", which is what clients send now.
 * @param {{chatId: string, media: Media, files: FileRef[], images: ImageRef[], signal?: AbortSignal}} p
 * @returns {Promise<FileRef[]>}
 */
export async function reuploadFiles({ chatId, media, files, images, signal }) {
  /** @type {FileRef[]} */
  const out = [];
  for (const img of images) {
    const main = await upload(chatId, await media.full(img, { signal }), signal);
    const thumb = await upload(chatId, await fetchImage(img.thumb, img.thumb_key, img.type, { signal }), signal);
    const ref = fileRef({ ...main, size: img.size, name: 'photo', type: img.type, kind: 'image', thumb: thumb.blob,
      thumb_key: thumb.key, width: img.width, height: img.height });
    if (!ref) throw new Error('This photo could not be forwarded.');
    out.push(ref);
  }
  for (const f of files) {
    const main = await upload(chatId, await media.full(f, { signal }), signal);
    /** @type {FileRef} */
    const ref = { ...f, ...main };
    if (f.thumb && f.thumb_key) {
      const type = f.kind === 'video' ? 'image/jpeg' : f.type;
      const thumb = await upload(chatId, await downloadFile(f.thumb, fromB64u(f.thumb_key), null, { type, signal }), signal);
      Object.assign(ref, { thumb: thumb.blob, thumb_key: thumb.key });
    }
    const checked = fileRef(ref);
    if (!checked) throw new Error('This file could not be forwarded.');
    out.push(checked);
  }
  return out;
}
