// @ts-check
// Actions about people: the live socket's lifecycle, snapshots of contacts, requests
// and blocks, and every change the user asks for. State changes go through the store;
// each action also resolves to {ok, error?} so the dialog or panel that asked can say
// how it went right where the user is looking.

import * as api from '../core/api.js';
import { describeTarget, parseTarget, sentText } from './connect.js';
import { fromB64u, safetyNumber } from '../crypto/protocol.js';
import { actWith, say } from '../core/outcome.js';
import { openSocket } from '../core/socket.js';

/** @typedef {import('../core/state.js').Store} Store */
/** @typedef {import('../core/socket.js').ServerEvent} ServerEvent */
/** @typedef {import('../core/outcome.js').Outcome} Outcome */

/**
 * @param {{store: Store, onSessionEnded: () => void, onOpen?: () => void, onEvent?: (event: ServerEvent) => void}} p
 *   onSessionEnded: the server no longer knows this session (revoked elsewhere, expired);
 *   onOpen, onEvent: the chats share this socket, and hear of every (re)open and frame
 *   after the store has taken it in
 */
export function createPeople({ store, onSessionEnded, onOpen = () => {}, onEvent: onChatEvent = () => {} }) {
  /** @type {ReturnType<typeof openSocket> | null} */
  let socket = null;
  // Snapshots and events race: an event can arrive while a snapshot taken before it is
  // on its way. Events seen during a fetch are replayed on top of its snapshot, and a
  // snapshot overtaken by a newer fetch is dropped.
  let generation = 0;
  /** @type {ServerEvent[] | null} */
  let replay = null;
  /** @type {Map<string, Promise<string>>} */
  const safetyCache = new Map();

  const dispatch = store.dispatch;

  /** @param {unknown} err @returns {boolean} true when the session is gone */
  function sessionGone(err) {
    if (err instanceof api.ApiError && err.status === 401) {
      onSessionEnded();
      return true;
    }
    return false;
  }

  const act = actWith((err) => (sessionGone(err) ? 'Your session has ended.' : say(err)));

  async function refresh() {
    const gen = ++generation;
    replay = [];
    try {
      const [me, contacts, requests, blocks] = await Promise.all([api.me(), api.contacts(), api.requests(), api.blocks()]);
      if (gen !== generation) return;
      const missed = replay ?? [];
      replay = null;
      dispatch({ type: 'me_updated', me });
      dispatch({
        type: 'people_loaded', contacts: contacts.contacts, incoming: requests.incoming,
        outgoing: requests.outgoing, blocked: blocks.blocked,
      });
      for (const event of missed) dispatch({ type: 'live', event });
    } catch (err) {
      if (gen !== generation) return;
      replay = null;
      if (!sessionGone(err)) dispatch({ type: 'people_failed', error: say(err) });
    }
  }

  async function loadBlocks() {
    try {
      dispatch({ type: 'blocked_loaded', blocked: (await api.blocks()).blocked });
    } catch (err) {
      sessionGone(err);
    }
  }

  /** @param {ServerEvent} event */
  function onEvent(event) {
    replay?.push(event);
    dispatch({ type: 'live', event, at: Date.now() });
    // The event says only that something changed; the list itself is fetched.
    if (event.type === 'blocks.changed') loadBlocks();
    onChatEvent(event);
  }

  /** @param {boolean} neverOpened */
  async function onDrop(neverOpened) {
    // A refused handshake may mean the session ended; /api/me says whether it did.
    if (!neverOpened) return;
    try {
      await api.me();
    } catch (err) {
      sessionGone(err);
    }
  }

  /** Events that the socket would also bring, applied now so the UI does not wait for it. @param {ServerEvent} event */
  const local = (event) => dispatch({ type: 'live', event });

  return {
    /** Opens the socket; the first snapshot does not wait for it. */
    start() {
      if (socket) return;
      socket = openSocket({
        onEvent,
        onOpen() {
          refresh();
          onOpen();
        },
        onDrop,
        onStatus: (status) => dispatch({ type: 'socket', status }),
      });
      refresh();
    },

    /** Closes the socket and forgets pending snapshots. @returns {Promise<void>} */
    async stop() {
      generation++;
      replay = null;
      safetyCache.clear();
      const s = socket;
      socket = null;
      await s?.close();
    },

    /**
     * Sends a connection request for whatever the input names. Every 202 gets the same
     * sentence: the answer must not tell whether anyone is there.
     * @param {string} input @returns {Promise<Outcome>}
     */
    async sendRequest(input) {
      const target = parseTarget(input);
      if (!target) return { ok: false, error: 'Enter a username, a connect key or a link.' };
      const outcome = await act(() => api.sendRequest(target));
      if (!outcome.ok) return outcome;
      // outgoing.added brings the new entry; without a socket, fetch it.
      if (!socket?.isOpen()) refresh();
      return { ok: true, text: sentText(target) };
    },

    /** @param {string} id */
    accept: (id) => act(() => api.acceptRequest(id), (contact) => {
      local({ type: 'contact.added', contact });
      local({ type: 'request.removed', id });
    }),
    /** @param {string} id */
    decline: (id) => act(() => api.declineRequest(id), () => local({ type: 'request.removed', id })),
    /** @param {string} id */
    blockRequest: (id) => act(() => api.blockRequest(id), () => {
      local({ type: 'request.removed', id });
      loadBlocks();
    }),
    /** @param {string} id */
    cancel: (id) => act(() => api.cancelRequest(id), () => local({ type: 'outgoing.removed', id })),

    /** @param {string} userId */
    removeContact: (userId) => act(() => api.removeContact(userId), () => local({ type: 'contact.removed', user_id: userId })),
    /** @param {string} userId */
    blockContact: (userId) => act(() => api.block(userId), () => {
      local({ type: 'contact.removed', user_id: userId });
      loadBlocks();
    }),
    /** @param {string} userId */
    unblock: (userId) => act(() => api.unblock(userId), loadBlocks),

    loadConnectKey: () => act(api.connectKey, (key) => dispatch({ type: 'connect_key', key })),
    rotateConnectKey: () => act(api.rotateConnectKey, (key) => dispatch({ type: 'connect_key', key })),

    /**
     * The pair's safety number, computed here from the keys the server handed out: the
     * point is that both people compare what their own devices computed.
     * @param {{user_id: string, ed25519_public: string}} other
     * @returns {Promise<string>}
     */
    safetyNumber(other) {
      const me = store.getState().me;
      if (!me) return Promise.reject(new Error('signed out'));
      const key = `${me.user_id}:${me.ed25519_public}:${other.user_id}:${other.ed25519_public}`;
      let found = safetyCache.get(key);
      if (!found) {
        found = safetyNumber({
          aId: me.user_id, aPublic: fromB64u(me.ed25519_public),
          bId: other.user_id, bPublic: fromB64u(other.ed25519_public),
        });
        safetyCache.set(key, found);
      }
      return found;
    },

    describeTarget,

    /** Sends a frame if the socket is open. @param {object} frame @returns {boolean} whether it went out */
    sendFrame: (frame) => socket?.send(frame) ?? false,
    isLive: () => socket?.isOpen() ?? false,
  };
}

/** @typedef {ReturnType<typeof createPeople>} PeopleActions */
