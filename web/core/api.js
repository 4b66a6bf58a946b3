// @ts-check
// The HTTP API of docs/api.md. Every state-changing request carries the CSRF header
// and a JSON body; every error body becomes a thrown ApiError.

/** @typedef {{alg: string, iterations: number}} KdfParams */
/**
 * Who may sign up (`registration`), and whether users may make invite links.
 * @typedef {{realm_id: string, kdf: KdfParams, version: string, registration?: 'open' | 'invite' | 'closed',
 *   user_invites?: boolean}} Config
 */
/** @typedef {{id: string, uses: number, uses_left: number, created_at: number, expires_at: number}} Invite */
/**
 * @typedef {{user_id: string, username: string, display_name?: string | null, kdf: KdfParams,
 *   key_bundle: string, x25519_public: string, ed25519_public: string, created_at: number,
 *   bio?: string | null, avatar_updated_at?: number | null}} Me
 */
/** @typedef {{connect_key: string, display: string}} ConnectKey */
/** @typedef {{username: string} | {connect_key: string}} Target */
/**
 * @typedef {{id: string, from: {user_id: string, username: string, ed25519_public: string},
 *   created_at: number, expires_at: number}} IncomingRequest
 */
/** @typedef {{id: string, target: {username?: string, connect_key?: string}, created_at: number, expires_at: number}} OutgoingRequest */
/**
 * @typedef {{user_id: string, username: string, display_name: string | null, x25519_public: string,
 *   ed25519_public: string, connected_at: number, chat_id: string | null,
 *   bio?: string | null, avatar_updated_at?: number | null}} Contact
 */
/** @typedef {{user_id: string, username: string, blocked_at: number}} Blocked */

export class ApiError extends Error {
  /**
   * @param {number} status HTTP status; 0 when the server could not be reached
   * @param {string} code snake_case code from the error body
   * @param {string} message a human sentence
   * @param {number | null} [retryAfter] seconds, from Retry-After on 429
   */
  constructor(status, code, message, retryAfter = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

/**
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body] sent as JSON; state-changing requests always send one
 * @returns {Promise<any>} the parsed JSON answer, or null for 204
 */
export async function request(method, path, body) {
  /** @type {RequestInit} */
  const init = { method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
  if (method !== 'GET' && method !== 'HEAD') {
    init.headers = { ...init.headers, 'X-MessGo': '1', 'Content-Type': 'application/json' };
    init.body = JSON.stringify(body ?? {});
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch {
    throw new ApiError(0, 'network', 'Can\'t reach the server. Check your connection and try again.');
  }
  if (res.ok) return res.status === 204 ? null : res.json();

  let code = 'http_' + res.status;
  let message = res.statusText || 'The server answered with an error.';
  try {
    const err = (await res.json())?.error;
    if (typeof err?.code === 'string') code = err.code;
    if (typeof err?.message === 'string') message = err.message;
  } catch {
    // Not our JSON (a proxy's error page, say): keep the status line.
  }
  const retry = Number.parseInt(res.headers.get('Retry-After') ?? '', 10);
  throw new ApiError(res.status, code, message, Number.isFinite(retry) ? retry : null);
}

/**
 * Asks the assistant (POST /api/assistant/ask): the answer streams back in the
 * response, one event per line. Over HTTP, not the socket: a question with images is
 * far larger than a socket frame may be.
 * @param {{request_id: string, messages: unknown[]}} question
 * @param {AbortSignal} signal aborting it stops the answer (the server closes the model's connection)
 * @returns {Promise<ReadableStream<Uint8Array>>} the answer's lines
 */
export async function askAssistant(question, signal) {
  let res;
  try {
    res = await fetch('/api/assistant/ask', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'X-MessGo': '1', 'Content-Type': 'application/json', Accept: 'application/x-ndjson' },
      body: JSON.stringify(question),
      signal,
    });
  } catch {
    throw new ApiError(0, 'network', 'Can\'t reach the server. Check your connection and try again.');
  }
  if (res.ok && res.body) return res.body;
  let code = 'http_' + res.status;
  let message = res.statusText || 'The server answered with an error.';
  try {
    const err = (await res.json())?.error;
    if (typeof err?.code === 'string') code = err.code;
    if (typeof err?.message === 'string') message = err.message;
  } catch {
    // Not our JSON: keep the status line.
  }
  throw new ApiError(res.status, code, message);
}

/** @returns {Promise<Config>} */
export const getConfig = () => request('GET', '/api/config');

/** @param {string} username @returns {Promise<{kdf: KdfParams}>} */
export const prelogin = (username) => request('POST', '/api/prelogin', { username });

/**
 * @param {{user_id: string, username: string, auth_key: string, kdf: KdfParams, key_bundle: string,
 *   x25519_public: string, ed25519_public: string, invite?: string}} body
 * @returns {Promise<Me>}
 */
export const register = (body) => request('POST', '/api/register', body);

/**
 * A new invite link's code, shown this once.
 * @param {{uses: number, expires_in_secs: number}} body
 * @returns {Promise<Invite & {code: string}>}
 */
export const createInvite = (body) => request('POST', '/api/invites', body);

/** @returns {Promise<{invites: Invite[]}>} */
export const invites = () => request('GET', '/api/invites');

/** @param {string} id */
export const revokeInvite = (id) => request('DELETE', `/api/invites/${encodeURIComponent(id)}`);

/** @param {string} username @param {string} authKey base64url @returns {Promise<Me>} */
export const login = (username, authKey) => request('POST', '/api/login', { username, auth_key: authKey });

/** @returns {Promise<null>} */
export const logout = () => request('POST', '/api/logout', {});

/** @returns {Promise<Me>} */
export const me = () => request('GET', '/api/me');

/** @param {string | null} displayName @returns {Promise<{display_name: string | null}>} */

/** @returns {Promise<ConnectKey>} */
export const connectKey = () => request('GET', '/api/connect-key');

/** @returns {Promise<ConnectKey>} */
export const rotateConnectKey = () => request('POST', '/api/connect-key/rotate', {});

/** Always 202 for a well-formed target, whoever is (or is not) behind it. @param {Target} target */
export const sendRequest = (target) => request('POST', '/api/connections/requests', target);

/** @returns {Promise<{incoming: IncomingRequest[], outgoing: OutgoingRequest[]}>} */
export const requests = () => request('GET', '/api/connections/requests');

const requestPath = (/** @type {string} */ id) => `/api/connections/requests/${encodeURIComponent(id)}`;

/** @param {string} id @returns {Promise<Contact>} */
export const acceptRequest = (id) => request('POST', `${requestPath(id)}/accept`, {});

/** @param {string} id @returns {Promise<null>} */
export const declineRequest = (id) => request('POST', `${requestPath(id)}/decline`, {});

/** @param {string} id @returns {Promise<null>} */
export const blockRequest = (id) => request('POST', `${requestPath(id)}/block`, {});

/** @param {string} id @returns {Promise<null>} */
export const cancelRequest = (id) => request('DELETE', requestPath(id));

/** @returns {Promise<{contacts: Contact[]}>} */
export const contacts = () => request('GET', '/api/contacts');

/** @param {string} userId @returns {Promise<null>} */
export const removeContact = (userId) => request('DELETE', `/api/contacts/${encodeURIComponent(userId)}`);

/** @returns {Promise<{blocked: Blocked[]}>} */
export const blocks = () => request('GET', '/api/blocks');

/** @param {string} userId @returns {Promise<null>} */
export const block = (userId) => request('POST', '/api/blocks', { user_id: userId });

/** @param {string} userId @returns {Promise<null>} */
export const unblock = (userId) => request('DELETE', `/api/blocks/${encodeURIComponent(userId)}`);

// ---------------------------------------------------------------- chats (docs/protocol.md)

/**
 * @typedef {{user_id: string, username: string, role: 'admin' | 'member', joined_at: number,
 *   x25519_public: string, ed25519_public: string}} ChatMember
 */
/** @typedef {{epoch: number, sender: string, id: string, nonce: string, ciphertext: string, signature: string}} Sealed */
/**
 * @typedef {{id: string, kind: 'direct' | 'group' | 'assistant', members: ChatMember[], epoch: number, epoch_opened_at: number,
 *   rotation_required: boolean, seq: number, meta: Sealed | null, created_at: number, last_activity_at: number,
 *   last_read_seq?: number, unread?: number, timer_secs?: number}} Chat
 */
/** @typedef {{event: string, by: string, user_id?: string, seconds?: number}} SystemEvent */
/**
 * `target`: the message a reaction or an edit is about; `edited`: a message whose content
 * an edit replaced (it then has no ciphertext). docs/protocol.md, "Reactions and edits".
 * @typedef {{chat_id: string, seq: number, id: string, sender: string | null, epoch: number,
 *   kind: 'message' | 'system' | 'reaction' | 'edit', nonce?: string, ciphertext?: string, signature?: string,
 *   system?: SystemEvent, target?: string, edited?: boolean,
 *   created_at: number, expires_at?: number, deleted: boolean}} Message
 */
/**
 * @typedef {{chat_id: string, id: string, epoch: number, nonce: string, ciphertext: string, signature: string,
 *   blobs?: string[], kind?: 'reaction' | 'edit', target?: string}} SendBody
 *   blobs: the attachments the message takes (docs/protocol.md, "Attachments"); kind and target: a reaction or an edit
 */
/** @typedef {{typing_indicators: boolean, read_receipts: boolean, default_timer_secs?: number}} Settings */

const chatPath = (/** @type {string} */ id) => `/api/chats/${encodeURIComponent(id)}`;

/** @returns {Promise<{chats: Chat[]}>} */
export const chats = () => request('GET', '/api/chats');

/** @param {string} id @returns {Promise<Chat>} */
export const chat = (id) => request('GET', chatPath(id));

/** @param {string[]} members user ids, all your contacts @returns {Promise<Chat>} */
export const createGroup = (members) => request('POST', '/api/chats', { kind: 'group', members });

/**
 * @param {string} id @param {{epoch: number, keys: {user_id: string, wrapped: string}[], meta?: Sealed}} body
 * @returns {Promise<{epoch: number}>}
 */
export const openEpoch = (id, body) => request('POST', `${chatPath(id)}/epochs`, body);

/** @param {string} id @param {number} epoch @returns {Promise<{epoch: number, wrapped: string, opened_by: string, opened_at: number}>} */
export const epochKey = (id, epoch) => request('GET', `${chatPath(id)}/keys?epoch=${epoch}`);

/** @param {string} id @param {string} userId @returns {Promise<null>} */
export const addMember = (id, userId) => request('POST', `${chatPath(id)}/members`, { user_id: userId });

/** Removes someone (admins), or yourself (leaving). @param {string} id @param {string} userId @returns {Promise<null>} */
export const removeMember = (id, userId) => request('DELETE', `${chatPath(id)}/members/${encodeURIComponent(userId)}`);

/** @param {string} id @param {string} userId @returns {Promise<null>} */
export const promote = (id, userId) => request('POST', `${chatPath(id)}/admins`, { user_id: userId });

/** @param {string} id @param {Sealed} meta @returns {Promise<null>} */
export const setMeta = (id, meta) => request('PUT', `${chatPath(id)}/meta`, { meta });

/**
 * Newest first below `before` (or from the top), or oldest first above `after`.
 * @param {string} id @param {{before?: number, after?: number, limit?: number}} page
 * @returns {Promise<{messages: Message[]}>}
 */
export function messages(id, { before, after, limit = 50 }) {
  const q = new URLSearchParams({ limit: String(limit) });
  if (before !== undefined) q.set('before', String(before));
  if (after !== undefined) q.set('after', String(after));
  return request('GET', `${chatPath(id)}/messages?${q}`);
}

/**
 * The stored message's place and times: the socket's `ack`, and the REST send's answer.
 * @typedef {{chat_id: string, id: string, seq: number, created_at: number, expires_at: number}} Ack
 */

/** The REST twin of the socket's `send`, for when the socket is down. @param {SendBody} m @returns {Promise<Ack>} */
export const sendMessage = ({ chat_id, ...body }) => request('POST', `${chatPath(chat_id)}/messages`, body);

/** @param {string} id @param {string} messageId @returns {Promise<null>} */
export const deleteMessage = (id, messageId) =>
  request('DELETE', `${chatPath(id)}/messages/${encodeURIComponent(messageId)}`);

/** @param {string} id @param {number} seq @returns {Promise<null>} */
export const markRead = (id, seq) => request('POST', `${chatPath(id)}/read`, { seq });

/** Messages sent from now on disappear after this long. @param {string} id @param {number} seconds @returns {Promise<null>} */
export const setTimer = (id, seconds) => request('PUT', `${chatPath(id)}/timer`, { seconds });

/** @returns {Promise<Settings>} */
export const settings = () => request('GET', '/api/settings');

/** @param {Settings} s @returns {Promise<Settings>} */
export const putSettings = (s) => request('PUT', '/api/settings', s);

/**
 * Whether this server has a model, its name, and the user's assistant chat (created on
 * first use). @returns {Promise<{configured: boolean, model: string | null, chat_id: string}>}
 */
export const assistant = () => request('GET', '/api/assistant');
