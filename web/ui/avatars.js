// @ts-check
// Profile pictures: fetched once per (user, version) as blob: URLs, shown in an avatar
// bubble. Without a picture of their own, a person shows the operator's default
// avatar and the assistant its picture (GET /api/pictures/…, when the server has
// them), else the bubble shows the initial.

import { avatarBlob } from '../accounts/api.js';
import { h } from './dom.js';

/** @typedef {{user_id: string, avatar_updated_at?: number | null}} Pictured */

/** @type {Map<string, Promise<string | null>>} */
const cache = new Map();

/** @param {string} userId @param {number} version @returns {Promise<string | null>} */
export function avatarUrl(userId, version) {
  const key = `${userId}:${version}`;
  let found = cache.get(key);
  if (!found) {
    found = avatarBlob(userId).then((b) => (b ? URL.createObjectURL(b) : null), () => null);
    cache.set(key, found);
  }
  return found;
}

/** @type {Promise<{default_avatar: string | null, assistant: string | null}> | null} */
let operatorPictures = null;

/**
 * The operator's picture `which` (its URL, which the browser caches), or null when the
 * server has none. Which ones are set is asked once per page load, so a server
 * without them is never asked for a picture it would answer 404 to.
 * @param {'default_avatar' | 'assistant'} which @returns {Promise<string | null>}
 */
export function operatorPicture(which) {
  operatorPictures ??= fetch('/api/pictures')
    .then((res) => (res.ok ? res.json() : null))
    .catch(() => null)
    .then((set) => ({ default_avatar: set?.default_avatar ?? null, assistant: set?.assistant ?? null }));
  return operatorPictures.then((set) => set[which]);
}

/**
 * An avatar bubble that follows a person: set() again whenever they may have changed.
 * @param {string} [extra] more classes
 */
export function avatarBubble(extra = '') {
  const view = h('span', { class: `avatar ${extra}`.trim(), 'aria-hidden': 'true' });
  let shown = '';
  /**
   * @param {Pictured | null} who @param {string} name @param {string | null} [picture] a group's own picture (a data: URL)
   * @param {boolean} [assistant] the bubble stands for the assistant
   */
  function set(who, name, picture = null, assistant = false) {
    const version = who?.avatar_updated_at ?? null;
    const key = `${who?.user_id}:${version}:${name}:${picture}:${assistant}`;
    if (key === shown) return;
    shown = key;
    view.classList.remove('has-picture');
    // The initial is drawn by CSS (::before), so it is not part of any button's visible label.
    view.setAttribute('data-initial', name.slice(0, 1).toUpperCase());
    view.replaceChildren();
    if (picture) {
      view.classList.add('has-picture');
      view.replaceChildren(h('img', { class: 'avatar-img', src: picture, alt: '' }));
      return;
    }
    /** @param {string | null} url */
    const show = (url) => {
      if (!url || shown !== key) return;
      view.classList.add('has-picture');
      view.replaceChildren(h('img', { class: 'avatar-img', src: url, alt: '' }));
    };
    if (assistant) {
      operatorPicture('assistant').then(show);
      return;
    }
    if (!who) return;
    if (!version) {
      operatorPicture('default_avatar').then(show);
      return;
    }
    avatarUrl(who.user_id, version).then(show);
  }
  return { view, set };
}

/**
 * Who a chat's picture shows: the other person of a direct chat (a contact), else no one.
 * @param {import('../chats/state.js').ChatEntry} entry @param {string | null} me
 * @param {import('../core/api.js').Contact[]} contacts
 * @returns {Pictured | null}
 */
export function chatPerson(entry, me, contacts) {
  if (entry.chat.kind !== 'direct') return null;
  const other = entry.chat.members.find((m) => m.user_id !== me);
  return (other && contacts.find((c) => c.user_id === other.user_id)) || null;
}
