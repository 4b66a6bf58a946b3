// @ts-check
// The account endpoints of the settings page: profile, avatar, sessions, password and
// deletion. JSON goes through api.request; the avatar is raw image bytes.

import { ApiError, request } from '../core/api.js';

/** @typedef {{id: string, device: string, created_at: number, last_seen_at: number, current: boolean}} Session */

/** @param {string | null} displayName @param {string | null} bio @returns {Promise<{display_name: string | null, bio: string | null}>} */
export const putProfile = (displayName, bio) => request('PUT', '/api/profile', { display_name: displayName, bio });

/** @param {Blob} image JPEG, PNG or WebP */
export async function putAvatar(image) {
  let res;
  try {
    res = await fetch('/api/profile/avatar', {
      method: 'PUT', credentials: 'same-origin', body: image,
      headers: { 'X-MessGo': '1', 'Content-Type': image.type || 'image/jpeg', Accept: 'application/json' },
    });
  } catch {
    throw new ApiError(0, 'network', 'Can\'t reach the server. Check your connection and try again.');
  }
  if (res.ok) return;
  const err = await res.json().catch(() => null);
  throw new ApiError(res.status, err?.error?.code ?? `http_${res.status}`, err?.error?.message ?? 'The picture was not accepted.');
}

export const deleteAvatar = () => request('DELETE', '/api/profile/avatar');

/** @param {string} userId @returns {Promise<Blob | null>} null when there is none (or no longer) */
export async function avatarBlob(userId) {
  const res = await fetch(`/api/users/${encodeURIComponent(userId)}/avatar`, { credentials: 'same-origin' });
  return res.ok ? res.blob() : null;
}

/** @returns {Promise<{sessions: Session[]}>} */
export const sessions = () => request('GET', '/api/sessions');

/** @param {string} id */
export const revokeSession = (id) => request('DELETE', `/api/sessions/${encodeURIComponent(id)}`);

/** @param {{auth_key: string, new_auth_key: string, new_kdf: {alg: string, iterations: number}, new_key_bundle: string}} body */
export const changePassword = (body) => request('POST', '/api/account/password', body);

/** @param {string} authKey */
export const deleteAccount = (authKey) => request('DELETE', '/api/account', { auth_key: authKey });
