// @ts-check
// The unwrapped identity of the logged-in user, kept in IndexedDB so a reload needs no
// password. Private keys are stored as non-extractable CryptoKeys: script on this
// origin can use them but never read their bytes.

const DB_NAME = 'messgo';
const DB_VERSION = 1;
const STORE = 'identity';
const RECORD = 'current';

/**
 * @typedef {{userId: string, username: string, x25519Private: CryptoKey, ed25519Private: CryptoKey,
 *   x25519Public: Uint8Array, ed25519Public: Uint8Array}} StoredIdentity
 */

/** @returns {Promise<IDBDatabase>} */
function open() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, DB_VERSION);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
    req.onblocked = () => reject(new Error('The key store is blocked by another tab.'));
  });
}

/**
 * @template T
 * @param {IDBTransactionMode} mode
 * @param {(store: IDBObjectStore) => IDBRequest<T>} op
 * @returns {Promise<T>}
 */
async function run(mode, op) {
  const db = await open();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const req = op(tx.objectStore(STORE));
      // Resolve on commit, not on the request: a write is only kept once the transaction is.
      tx.oncomplete = () => resolve(req.result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error ?? new Error('key store transaction aborted'));
    });
  } finally {
    db.close();
  }
}

/** @param {StoredIdentity} identity */
export async function save(identity) {
  if (identity.x25519Private.extractable || identity.ed25519Private.extractable) {
    throw new Error('Refusing to store extractable private keys.');
  }
  await run('readwrite', (s) => s.put(identity, RECORD));
}

/** @param {string} userId @returns {Promise<StoredIdentity | null>} the identity, if it belongs to userId */
export async function load(userId) {
  const found = /** @type {StoredIdentity | undefined} */ (await run('readonly', (s) => s.get(RECORD)));
  return found && found.userId === userId ? found : null;
}

export async function clear() {
  await run('readwrite', (s) => s.clear());
}
