// @ts-check
// Account actions of Settings: the profile (name, bio, picture), the sessions, a new
// password and deleting the account. The password change re-derives the keys and
// re-wraps the same identity bundle, exactly as registration wraps it.

import * as api from '../core/api.js';
import * as accountApi from './api.js';
import { SOMETHING_WRONG, actWith } from '../core/outcome.js';
import { deriveAccountKeys, fromB64u, openBundleChecked, sealBundle, toB64u, CryptoError } from '../crypto/protocol.js';
import { squareJpeg } from '../images/square.js';

/** @typedef {import('../core/state.js').Store} Store */
/** @typedef {import('../core/outcome.js').Outcome} Outcome */

export const BIO_MAX = 160;
export const AVATAR_SIDE = 256;
export const AVATAR_MAX_BYTES = 256 * 1024;

/** The sentence for a failed account action: a refused current password says so. @param {unknown} err */
function explain(err) {
  if (err instanceof api.ApiError) {
    if (err.code === 'invalid_credentials' || err.status === 401 || err.status === 403) return 'The current password is wrong.';
    return err.message;
  }
  if (err instanceof CryptoError) return err.code === 'bundle' ? 'The current password is wrong.' : err.message;
  if (err instanceof Error && err.message) return err.message;
  return SOMETHING_WRONG;
}

/**
 * @param {{store: Store, deleted: () => Promise<void>}} p
 *   deleted: the account is gone; stop everything and show the login page
 */
export function createAccount({ store, deleted }) {
  const me = () => {
    const m = store.getState().me;
    if (!m) throw new Error('Not signed in.');
    return m;
  };
  const config = () => /** @type {import('../core/api.js').Config} */ (store.getState().config);
  /** @param {Partial<import('../core/api.js').Me>} fields */
  const profile = (fields) => store.dispatch({ type: 'profile', ...fields });

  const act = actWith(explain);

  /** The current password's keys, checked against the bundle before the server sees them. @param {string} password */
  async function currentKeys(password) {
    const m = me();
    const keys = await deriveAccountKeys({ realmId: config().realm_id, username: m.username, password, kdf: m.kdf });
    const secrets = await openBundleChecked({
      wrapKey: keys.wrapKey, userId: m.user_id, bundle: fromB64u(m.key_bundle),
      x25519Public: fromB64u(m.x25519_public), ed25519Public: fromB64u(m.ed25519_public),
    });
    return { keys, secrets };
  }

  return {
    /** @param {string} name @param {string} bio */
    saveProfile: (name, bio) => act(async () => {
      const p = await accountApi.putProfile(name.trim() || null, bio.trim() || null);
      profile({ display_name: p.display_name ?? null, bio: p.bio ?? null });
    }),

    /** @param {Blob} file */
    setAvatar: (file) => act(async () => {
      const jpeg = await squareJpeg(file, { side: AVATAR_SIDE, maxBytes: AVATAR_MAX_BYTES });
      await accountApi.putAvatar(jpeg);
      const fresh = await api.me();
      profile({ avatar_updated_at: fresh.avatar_updated_at ?? Date.now() });
    }),

    removeAvatar: () => act(async () => {
      await accountApi.deleteAvatar();
      profile({ avatar_updated_at: null });
    }),

    /** @returns {Promise<{ok: true, sessions: import('./api.js').Session[]} | {ok: false, error: string}>} */
    async sessions() {
      try {
        return { ok: true, sessions: (await accountApi.sessions()).sessions };
      } catch (err) {
        return { ok: false, error: explain(err) };
      }
    },

    /** @param {string} id */
    revoke: (id) => act(() => accountApi.revokeSession(id)),

    /** @param {string} current @param {string} next */
    changePassword: (current, next) => act(async () => {
      const m = me();
      const { keys, secrets } = await currentKeys(current);
      try {
        const kdf = config().kdf;
        const fresh = await deriveAccountKeys({ realmId: config().realm_id, username: m.username, password: next, kdf });
        const bundle = await sealBundle({ wrapKey: fresh.wrapKey, userId: m.user_id, ...secrets });
        await accountApi.changePassword({
          auth_key: toB64u(keys.authKey), new_auth_key: toB64u(fresh.authKey), new_kdf: kdf, new_key_bundle: toB64u(bundle),
        });
      } finally {
        secrets.x25519Secret.fill(0);
        secrets.ed25519Seed.fill(0);
      }
      store.dispatch({ type: 'me_updated', me: await api.me() });
    }),

    /** @param {string} password */
    deleteAccount: (password) => act(async () => {
      const { keys, secrets } = await currentKeys(password);
      secrets.x25519Secret.fill(0);
      secrets.ed25519Seed.fill(0);
      await accountApi.deleteAccount(toB64u(keys.authKey));
      await deleted();
    }),
  };
}

/** @typedef {ReturnType<typeof createAccount>} AccountActions */
