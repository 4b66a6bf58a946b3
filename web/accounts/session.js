// @ts-check
// Account flows: register, log in, unlock, restore and log out. Each one ties the API,
// the crypto and the key store together, and leaves the identity's private keys in
// IndexedDB as non-extractable CryptoKeys. No DOM here; progress goes to a callback.

import * as api from '../core/api.js';
import {
  deriveAccountKeys, fromB64u, generateIdentity, importEd25519Private, importX25519Private,
  openBundleChecked, sealBundle, toB64u,
} from '../crypto/protocol.js';
import * as keystore from './keystore.js';

/** @typedef {import('../core/api.js').Me} Me */
/** @typedef {import('../core/api.js').Config} Config */
/** @typedef {import('./keystore.js').StoredIdentity} StoredIdentity */
/** @typedef {(text: string) => void} Progress */

export const USERNAME_RULE = '3–32 characters: a–z, 0–9, _ and .';
export const PASSWORD_MIN = 8;
export const DERIVING = 'Deriving keys… this takes a moment.';

/** @param {string} raw @returns {{ok: true, username: string} | {ok: false, error: string}} */
export function checkUsername(raw) {
  const username = raw.trim().toLowerCase();
  if (!/^[a-z0-9_.]{3,32}$/.test(username)) {
    return { ok: false, error: `Usernames are ${USERNAME_RULE}` };
  }
  return { ok: true, username };
}

/**
 * Keeps the unwrapped secrets only as non-extractable keys, then wipes the raw bytes.
 * @param {Me} me
 * @param {{x25519Secret: Uint8Array, ed25519Seed: Uint8Array}} secrets
 */
async function store(me, secrets) {
  try {
    await keystore.save({
      userId: me.user_id,
      username: me.username,
      x25519Private: await importX25519Private(secrets.x25519Secret, false),
      ed25519Private: await importEd25519Private(secrets.ed25519Seed, false),
      x25519Public: fromB64u(me.x25519_public),
      ed25519Public: fromB64u(me.ed25519_public),
    });
  } finally {
    secrets.x25519Secret.fill(0);
    secrets.ed25519Seed.fill(0);
  }
}

/**
 * @param {{config: Config, username: string, password: string, invite?: string | null, onProgress: Progress}} p
 *   invite: the code of an invite link, if the person has one
 * @returns {Promise<Me>}
 */
export async function register({ config, username, password, invite, onProgress }) {
  onProgress('Generating your keys…');
  const userId = crypto.randomUUID();
  const identity = await generateIdentity();
  onProgress(DERIVING);
  const keys = await deriveAccountKeys({ realmId: config.realm_id, username, password, kdf: config.kdf });
  const bundle = await sealBundle({ wrapKey: keys.wrapKey, userId, ...identity });
  onProgress('Creating your account…');
  const me = await api.register({
    user_id: userId,
    username,
    auth_key: toB64u(keys.authKey),
    kdf: config.kdf,
    key_bundle: toB64u(bundle),
    x25519_public: toB64u(identity.x25519Public),
    ed25519_public: toB64u(identity.ed25519Public),
    ...(invite ? { invite } : {}),
  });
  await store(me, identity);
  return me;
}

/**
 * Derives the keys with the KDF parameters the server names (refusing weak ones) and
 * opens the bundle; a bundle that does not match the account's public keys is refused.
 * @param {{config: Config, me: Me, password: string, wrapKey?: Uint8Array}} p
 */
async function openKeys({ config, me, password, wrapKey }) {
  const key = wrapKey
    ?? (await deriveAccountKeys({ realmId: config.realm_id, username: me.username, password, kdf: me.kdf })).wrapKey;
  return openBundleChecked({
    wrapKey: key,
    userId: me.user_id,
    bundle: fromB64u(me.key_bundle),
    x25519Public: fromB64u(me.x25519_public),
    ed25519Public: fromB64u(me.ed25519_public),
  });
}

/**
 * @param {{config: Config, username: string, password: string, onProgress: Progress}} p
 * @returns {Promise<Me>}
 */
export async function login({ config, username, password, onProgress }) {
  onProgress('Contacting the server…');
  const { kdf } = await api.prelogin(username);
  onProgress(DERIVING);
  const keys = await deriveAccountKeys({ realmId: config.realm_id, username, password, kdf });
  onProgress('Logging in…');
  const me = await api.login(username, toB64u(keys.authKey));
  onProgress('Unlocking your keys…');
  try {
    await store(me, await openKeys({ config, me, password, wrapKey: keys.wrapKey }));
  } catch (err) {
    // Logged in but without usable keys: do not leave a half-open session behind.
    await api.logout().catch(() => {});
    throw err;
  }
  return me;
}

/**
 * The session is alive but this browser has no keys: the password opens the bundle
 * from /api/me, without a new login.
 * @param {{config: Config, me: Me, password: string, onProgress: Progress}} p
 */
export async function unlock({ config, me, password, onProgress }) {
  onProgress(DERIVING);
  await store(me, await openKeys({ config, me, password }));
  return me;
}

/**
 * What a page load finds: a session with keys here, a session without, or none.
 * @returns {Promise<{state: 'signed_in' | 'locked', me: Me} | {state: 'signed_out'}>}
 */
export async function restore() {
  let me;
  try {
    me = await api.me();
  } catch (err) {
    if (err instanceof api.ApiError && err.status === 401) return { state: 'signed_out' };
    throw err;
  }
  const identity = await keystore.load(me.user_id).catch(() => null);
  return identity ? { state: 'signed_in', me } : { state: 'locked', me };
}

/** Ends the session on the server (if any is left) and forgets the keys here. */
export async function logout() {
  try {
    await api.logout();
  } catch (err) {
    if (!(err instanceof api.ApiError && err.status === 401)) throw err;
  } finally {
    await keystore.clear();
  }
}


/** The server already ended the session (revoked, expired): only the keys here are left to drop. */
export const forget = () => keystore.clear();
