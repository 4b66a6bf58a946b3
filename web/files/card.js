// @ts-check
// The files of a received (or own) message: images inline as thumbnails that open the
// viewer, a video as its poster with a play button (downloaded, decrypted and played
// from a blob: URL on click), a voice note by the voice player, and everything else
// as a card (icon, name, size) whose Download button fetches and decrypts it with
// progress and saves it under its safe name. What shows inline is decided by
// `inlineAs` (kind and type together), so html, svg, executables and unknown types are
// only ever saved, never opened here.

import { inlineAs } from '../crypto/file-ref.js';
import { familyOf, fileSummary, formatSize, iconOf } from './format.js';
import { percent } from './attach-state.js';
import { h, setChildren } from '../ui/dom.js';
import { renderVoice } from '../voice/player.js';
import { messageImages } from '../images/in-message.js';

/** @typedef {import('../crypto/file-ref.js').FileRef} FileRef */
/** @typedef {import('../images/media.js').Media} Media */
/** @typedef {{media: Media, open: (images: FileRef[], index: number, opener: HTMLElement) => void}} CardDeps */

// The blob: URL a download is saved from lives this long after the click; the browser
// has taken the bytes by then, and they do not outlive the save in this tab.
const SAVE_URL_MS = 10_000;

/** Hands a decrypted file to the browser's downloads under its name. @param {Blob} blob @param {string} name */
export function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), SAVE_URL_MS);
}

/** @param {FileRef} ref @param {Media} media */
function fileCard(ref, media) {
  const bar = h('progress', { max: 100, value: 0, hidden: true, 'aria-label': `Downloading ${ref.name}` });
  const status = h('span', { class: 'file-status muted', role: 'status' });
  const button = h('button', { type: 'button', class: 'button file-download', 'aria-label': `Download ${ref.name} (${formatSize(ref.size)})` }, 'Download');
  button.addEventListener('click', async () => {
    button.disabled = true;
    bar.hidden = false;
    setChildren(status, 'Downloading…');
    try {
      const blob = await media.full(ref, {
        onProgress: (done, total) => {
          bar.value = percent(done, total);
          setChildren(status, `Downloading ${percent(done, total)}%`);
        },
      });
      saveBlob(blob, ref.name);
      setChildren(status, 'Saved');
    } catch (err) {
      setChildren(status, err instanceof Error && err.message ? err.message : 'This file could not be downloaded.');
      status.classList.add('form-error');
    } finally {
      bar.hidden = true;
      button.disabled = false;
    }
  });
  return h('div', { class: 'file-card', 'data-blob': ref.blob, 'data-kind': ref.kind },
    h('span', { class: 'file-icon', 'aria-hidden': 'true' }, iconOf(familyOf(ref.type, ref.name))),
    h('div', { class: 'file-info' },
      h('span', { class: 'file-name', title: ref.name }, ref.name),
      h('span', { class: 'file-meta muted' }, fileSummary(ref.type, ref.name, ref.size)),
      bar, status),
    button);
}

/** @param {FileRef} ref @param {Media} media */
function videoCard(ref, media) {
  const poster = h('img', { class: 'video-poster', alt: '', width: ref.width ?? 320, height: ref.height ?? 180 });
  const bar = h('progress', { max: 100, value: 0, hidden: true, 'aria-label': `Downloading ${ref.name}` });
  const play = h('button', { type: 'button', class: 'video-play', 'aria-label': `Play video ${ref.name} (${formatSize(ref.size)})` },
    poster, h('span', { class: 'video-play-icon', 'aria-hidden': 'true' }, '▶'));
  const view = h('div', { class: 'msg-video', 'data-blob': ref.blob }, play, bar);
  if (ref.thumb) media.thumb(ref).then((url) => { poster.setAttribute('src', url); }, () => {});
  play.addEventListener('click', async () => {
    play.disabled = true;
    bar.hidden = false;
    try {
      const url = await media.playable(ref, { onProgress: (done, total) => { bar.value = percent(done, total); } });
      const video = h('video', { class: 'msg-video-player', controls: true, playsinline: true, src: url,
        'aria-label': `Video ${ref.name}` });
      setChildren(view, video);
      /** @type {HTMLVideoElement} */ (video).play().catch(() => {});
      video.focus();
    } catch {
      play.disabled = false;
      bar.hidden = true;
      play.setAttribute('title', 'This video could not be loaded. Try again.');
    }
  });
  return view;
}

/**
 * @param {FileRef[]} files @param {CardDeps} deps @returns {HTMLElement}
 */
export function messageFiles(files, { media, open }) {
  const images = files.filter((f) => inlineAs(f) === 'image');
  return h('div', { class: 'msg-files' },
    images.length ? messageImages(images, { media, open: (list, i, opener) => open(/** @type {FileRef[]} */ (list), i, opener) }) : null,
    files.map((ref) => {
      switch (inlineAs(ref)) {
        case 'image': return null;
        case 'video': return videoCard(ref, media);
        case 'voice': return renderVoice(ref, (onProgress) => media.full(ref, { onProgress }));
        case 'download': return fileCard(ref, media);
        default: return fileCard(ref, media);
      }
    }));
}
