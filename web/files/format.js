// @ts-check
// How a file is named to people: its size in the units they know, and a word (and an
// icon) for what it is, from its MIME type and, failing that, its extension. Only ever
// for labels: what is opened inline is decided by file-ref.js's `inlineAs`, never here.

const UNITS = ['bytes', 'KB', 'MB', 'GB'];

/** "512 bytes", "1.5 MB", "30 MB". @param {number} bytes */
export function formatSize(bytes) {
  let n = Math.max(0, bytes);
  let u = 0;
  while (n >= 1000 && u < UNITS.length - 1) {
    n /= 1000;
    u++;
  }
  if (u === 0) return `${n} ${n === 1 ? 'byte' : 'bytes'}`;
  return `${n < 10 ? n.toFixed(1) : Math.round(n)} ${UNITS[u]}`;
}

/** @typedef {'image' | 'video' | 'audio' | 'pdf' | 'archive' | 'text' | 'document' | 'code' | 'file'} Family */

const BY_EXT = /** @type {Record<string, Family>} */ ({
  pdf: 'pdf', zip: 'archive', gz: 'archive', tgz: 'archive', '7z': 'archive', rar: 'archive', xz: 'archive', tar: 'archive',
  txt: 'text', md: 'text', csv: 'text', log: 'text', doc: 'document', docx: 'document', odt: 'document', rtf: 'document',
  xls: 'document', xlsx: 'document', ods: 'document', ppt: 'document', pptx: 'document', odp: 'document',
  html: 'code', htm: 'code', svg: 'code', js: 'code', json: 'code', xml: 'code', sh: 'code', exe: 'code', bat: 'code',
});

/** What kind of thing a file is, for its icon and its label. @param {string} type @param {string} name @returns {Family} */
export function familyOf(type, name) {
  const t = type.toLowerCase().split(';')[0].trim();
  if (t === 'application/pdf') return 'pdf';
  if (t === 'image/svg+xml' || t === 'text/html') return 'code';
  if (t.startsWith('image/')) return 'image';
  if (t.startsWith('video/')) return 'video';
  if (t.startsWith('audio/')) return 'audio';
  const ext = name.includes('.') ? name.split('.').pop()?.toLowerCase() ?? '' : '';
  if (BY_EXT[ext]) return BY_EXT[ext];
  if (t.startsWith('text/')) return 'text';
  if (/zip|compressed|tar|gzip/.test(t)) return 'archive';
  return 'file';
}

const ICONS = /** @type {Record<Family, string>} */ ({
  image: '🖼', video: '🎞', audio: '🎵', pdf: '📕', archive: '🗜', text: '📄', document: '📝', code: '⚙', file: '📎',
});

/** A glyph for the family (decorative: the label says the same in words). @param {Family} f */
export const iconOf = (f) => ICONS[f];

/** "PDF · 1.5 MB": what the card says under the name. @param {string} type @param {string} name @param {number} size */
export function fileSummary(type, name, size) {
  const f = familyOf(type, name);
  const word = { image: 'Image', video: 'Video', audio: 'Audio', pdf: 'PDF', archive: 'Archive', text: 'Text', document: 'Document', code: 'File', file: 'File' }[f];
  return `${word} · ${formatSize(size)}`;
}

/**
 * Which kind a picked file goes as: raster images are re-encoded (and lose their
 * metadata), the videos browsers play get a poster; everything else, SVG included,
 * goes as a plain file.
 * @param {string} type @returns {'image' | 'video' | 'file'}
 */
export function kindFor(type) {
  const t = type.toLowerCase();
  if (/^image\/(?:jpeg|png|webp|gif|bmp|avif)$/.test(t)) return 'image';
  if (/^video\/(?:mp4|webm|ogg)$/.test(t)) return 'video';
  return 'file';
}
