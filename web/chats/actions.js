// @ts-check
// Actions about chats: keeping every chat's history complete and in order across
// reconnects (snapshots, resume, gap fills), opening what arrives, and everything the
// user asks for (send, delete, groups, read state, typing, settings). State changes go
// through the store; user actions resolve to {ok, error?} like the people actions.

import * as api from '../core/api.js';
import { createAttachmentShelf } from '../files/attach.js';
import { chatTitle } from './format.js';
import { createGroupActions } from './groups.js';
import { createKeyring } from './keys.js';
import { createChatOptions } from './options.js';
import { createSender } from './send.js';
import { ackWithoutCopy, gapAfter, resumePoints } from './state.js';
import { createReactionActions } from '../reactions/actions.js';
import { createExpiryWatch } from '../expiry/watch.js';
import * as keystore from '../accounts/keystore.js';
import { createMedia } from '../images/media.js';
import { decodeEdit, decodeMessage, decodeMeta, decodeReaction } from '../crypto/plaintext.js';
import { actWith, say } from '../core/outcome.js';

/** @typedef {import('../core/state.js').Store} Store */
/** @typedef {import('../core/state.js').State} State */
/** @typedef {import('../core/socket.js').ServerEvent} ServerEvent */
/** @typedef {import('./state.js').Msg} Msg */
/** @typedef {import('./state.js').Body} Body */
/** @typedef {import('../core/outcome.js').Outcome} Outcome */

const PAGE = 50;
const GAP_PAGE = 200;
const TYPING_EVERY_MS = 3_000;
// Pages of history in flight at once when a snapshot brings many chats.
const PARALLEL_LOADS = 4;

/**
 * @param {{store: Store, sendFrame: (frame: object) => boolean, isLive: () => boolean,
 *   onSessionEnded: () => void}} p
 */
export function createChats({ store, sendFrame, isLive, onSessionEnded }) {
  const dispatch = store.dispatch;
  const state = () => store.getState();
  const me = () => state().me?.user_id ?? null;

  /** @type {Promise<import('../accounts/keystore.js').StoredIdentity> | null} */
  let identityPromise = null;
  function identity() {
    if (!identityPromise) {
      const found = keystore.load(me() ?? '').then((id) => {
        if (!id) throw new Error('The keys of this account are not in this browser.');
        return id;
      });
      found.catch(() => { if (identityPromise === found) identityPromise = null; });
      identityPromise = found;
    }
    return identityPromise;
  }

  const act = actWith(explain);
  const keyring = createKeyring({ identity });
  const sender = createSender({ store, keyring, sendFrame, say: explain });
  const options = createChatOptions({ store, act });
  const groups = createGroupActions({ store, keyring, sender, act, say: explain, loaded: (chatId) => loadLatest(chatId) });
  const media = createMedia({ store });
  const attachments = createAttachmentShelf({ media, say: explain, send: (chatId, text, files) => sender.send(chatId, text, files) });
  const reactions = createReactionActions({ store, say: explain,
    sealing: { ensureEpoch: sender.ensureEpoch, openEpoch: sender.openEpoch, seal: keyring.seal } });
  const expiry = createExpiryWatch({ store, onExpired: forgetSpentKeys });

  let running = false;
  let generation = 0;
  // Socket opens so far: a page fetched before the latest one may have missed what
  // the socket brought in between, and is resumed from its end.
  let opens = 0;
  /** @type {ServerEvent[] | null} */
  let replay = null;
  /** @type {Map<string, Promise<void>>} */
  const loading = new Map();
  const opening = new Set();
  /** Messages that arrived while the tab was hidden, to announce once opened. */
  const toNotify = new Set();
  /** @type {Map<string, number>} */
  const typingSent = new Map();
  /** @type {Set<string>} */
  const reading = new Set();
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let typingTimer;
  /** @type {(() => void) | null} */
  let unsubscribe = null;

  /** say()'s sentence, and a 401 ends the session. @param {unknown} err */
  function explain(err) {
    if (err instanceof api.ApiError && err.status === 401) onSessionEnded();
    return say(err);
  }

  /** One at a time per key (a kind of load and its chat). @param {string} key @param {() => Promise<void>} run */
  function once(key, run) {
    let found = loading.get(key);
    if (!found) {
      found = run().catch((err) => { explain(err); }).finally(() => loading.delete(key));
      loading.set(key, found);
    }
    return found;
  }

  /** Pages of history are held back this way when many chats load at once. */
  let active = 0;
  /** @type {(() => void)[]} */
  const queue = [];
  /** @template T @param {() => Promise<T>} run @returns {Promise<T>} */
  async function limited(run) {
    if (active >= PARALLEL_LOADS) await new Promise((resolve) => queue.push(() => resolve(undefined)));
    active++;
    try {
      return await run();
    } finally {
      active--;
      queue.shift()?.();
    }
  }

  // ------------------------------------------------------------ history

  /** @param {string} chatId */
  function loadLatest(chatId) {
    return once(`latest:${chatId}`, async () => {
      const openedBefore = opens;
      const wasLive = isLive();
      const { messages } = await limited(() => api.messages(chatId, { limit: PAGE }));
      if (!running || !state().chats.byId[chatId]) return;
      dispatch({ type: 'history', chatId, messages, mode: 'latest', limit: PAGE });
      const top = state().chats.byId[chatId]?.top;
      if ((!wasLive || opens !== openedBefore) && top != null) sendFrame({ type: 'resume', chats: { [chatId]: top } });
      afterMessages(chatId);
    });
  }

  /** @param {string} chatId */
  function fill(chatId) {
    return once(`gap:${chatId}`, async () => {
      for (let round = 0; round < 20 && running; round++) {
        const after = gapAfter(state().chats.byId[chatId]);
        if (after === null) return;
        const { messages } = await api.messages(chatId, { after, limit: GAP_PAGE });
        dispatch({ type: 'history', chatId, messages, mode: 'after', limit: GAP_PAGE });
        afterMessages(chatId);
      }
    });
  }

  /**
   * The stored copy of an own message this tab let go of (its pending copy was
   * discarded after it timed out, yet it landed), as its echo would have brought it.
   * @param {string} chatId @param {number} seq
   */
  function fetchOwn(chatId, seq) {
    return once(`own:${chatId}:${seq}`, async () => {
      const { messages } = await api.messages(chatId, { after: seq - 1, limit: 1 });
      if (!running) return;
      for (const message of messages.filter((m) => m.seq === seq)) {
        dispatch({ type: 'live', event: { type: 'message', message }, at: Date.now() });
      }
      afterMessages(chatId);
    });
  }

  /** Opens what is new and fills what is missing. @param {string} chatId */
  function afterMessages(chatId) {
    openBodies(chatId);
    if (gapAfter(state().chats.byId[chatId]) !== null) fill(chatId);
  }

  /** @param {string} chatId */
  async function openBodies(chatId) {
    const e = state().chats.byId[chatId];
    if (!e) return;
    // An edited original has no ciphertext left: its edit is opened instead.
    const todo = e.messages.filter((m) => m.kind !== 'system' && !m.body && m.raw?.ciphertext && !opening.has(m.id));
    if (todo.length === 0) return;
    for (const m of todo) opening.add(m.id);
    try {
      const bodies = await Promise.all(todo.map(async (m) => ({ id: m.id, body: await openOne(chatId, m) })));
      if (!running) return;
      dispatch({ type: 'opened', chatId, bodies });
      for (const b of bodies) if (toNotify.delete(b.id)) announce(chatId, b.body);
    } finally {
      for (const m of todo) opening.delete(m.id);
    }
  }

  /** @param {string} chatId @param {Msg} m @returns {Promise<Body>} */
  async function openOne(chatId, m) {
    const raw = /** @type {import('../core/api.js').Message} */ (m.raw);
    const e = state().chats.byId[chatId];
    const senderPublic = (m.sender && e?.people[m.sender]?.ed25519_public) || null;
    const opened = await keyring.open({
      chatId, epoch: m.epoch, sender: m.sender ?? '', id: m.id, nonce: raw.nonce, ciphertext: raw.ciphertext,
      signature: raw.signature, senderPublic,
    });
    if (!opened.ok) return { status: opened.why };
    if (m.kind === 'reaction') return decodeReaction(opened.plaintext);
    return m.kind === 'edit' ? decodeEdit(opened.plaintext) : decodeMessage(opened.plaintext);
  }

  /** The group's name and picture, from its sealed meta, whenever the meta changes. @param {string} chatId */
  async function readName(chatId) {
    const e = state().chats.byId[chatId];
    const meta = e?.chat.meta;
    if (!e || !meta || e.nameOf === meta.id) return;
    // Added after the current epoch was opened: we hold none of its keys (nor older
    // ones) until the next epoch re-seals the name for us.
    const mine = e.chat.members.find((m) => m.user_id === me());
    if (mine && mine.joined_at > e.chat.epoch_opened_at && meta.epoch <= e.chat.epoch) return;
    const opened = await keyring.open({ chatId, ...meta, senderPublic: e.people[meta.sender]?.ed25519_public ?? null });
    if (!running) return;
    const read = opened.ok ? decodeMeta(opened.plaintext) : null;
    dispatch({ type: 'named', chatId, metaId: meta.id, name: read?.name ?? null, picture: read?.picture ?? null });
  }

  /** @param {string} chatId */
  function fetchChat(chatId) {
    return once(`chat:${chatId}`, async () => {
      const chat = await api.chat(chatId);
      if (!running) return;
      dispatch({ type: 'chat_upsert', chat });
      readName(chatId);
      loadLatest(chatId);
    });
  }

  async function loadChats() {
    const gen = ++generation;
    replay = [];
    try {
      const { chats } = await api.chats();
      if (gen !== generation || !running) return;
      const missed = replay ?? [];
      replay = null;
      dispatch({ type: 'chats_loaded', chats });
      for (const event of missed) dispatch({ type: 'live', event, at: Date.now() });
      for (const chat of chats) {
        readName(chat.id);
        if (state().chats.byId[chat.id]?.top == null) loadLatest(chat.id);
      }
    } catch (err) {
      if (gen !== generation) return;
      replay = null;
      dispatch({ type: 'chats_failed', error: explain(err) });
    }
  }

  async function loadSettings() {
    try {
      dispatch({ type: 'settings', settings: await api.settings() });
    } catch (err) {
      // A server without read state and typing yet: the toggles stay hidden.
      if (!(err instanceof api.ApiError && err.status === 404)) explain(err);
    }
  }

  // ------------------------------------------------------------ live events

  /** @param {ServerEvent} event */
  function onEvent(event) {
    if (!running) return;
    const e = /** @type {any} */ (event);
    if (replay && ['chat.updated', 'chat.removed', 'contact.removed'].includes(e.type)) replay.push(event);
    switch (e.type) {
      case 'message': {
        const chatId = e.message?.chat_id;
        if (!chatId) return;
        if (!state().chats.byId[chatId]) {
          fetchChat(chatId);
          return;
        }
        if (e.message.sender !== me() && e.message.kind === 'message' && document.visibilityState === 'hidden') {
          toNotify.add(e.message.id);
        }
        afterMessages(chatId);
        return;
      }
      case 'ack':
        sender.onAck(e);
        if (ackWithoutCopy(state().chats.byId[e.chat_id], e)) fetchOwn(e.chat_id, e.seq);
        return;
      case 'nack':
        sender.onNack(e);
        return;
      case 'resume.behind':
        // This socket started the chat later than the point asked for: the rest
        // comes from the history.
        if (state().chats.byId[e.chat_id]) fill(e.chat_id);
        return;
      case 'epoch.opened':
        keyring.remember(e.chat_id, e.epoch, e.wrapped);
        return;
      case 'chat.updated': {
        const entry = e.chat?.id && state().chats.byId[e.chat.id];
        if (!entry) return;
        readName(e.chat.id);
        if (entry.top === null) loadLatest(e.chat.id);
        return;
      }
      case 'contact.added':
        if (e.contact?.chat_id && !state().chats.byId[e.contact.chat_id]) fetchChat(e.contact.chat_id);
        return;
      case 'typing': {
        clearTimeout(typingTimer);
        typingTimer = setTimeout(expireTyping, 4_100);
        return;
      }
      default:
    }
  }

  function expireTyping() {
    dispatch({ type: 'typing_expired', now: Date.now() });
    const left = Object.values(state().chats.byId).flatMap((c) => Object.values(c.typing));
    if (left.length) typingTimer = setTimeout(expireTyping, Math.max(100, Math.min(...left) - Date.now() + 50));
  }

  /** A desktop notification for a message that arrived while the tab was hidden. @param {string} chatId @param {Body} body */
  function announce(chatId, body) {
    const s = state();
    const e = s.chats.byId[chatId];
    if (!e || !s.chats.notify.enabled || document.visibilityState !== 'hidden') return;
    if (typeof Notification === 'undefined' || Notification.permission !== 'granted') return;
    const text = s.chats.notify.showText && body.status === 'ok' ? body.text.slice(0, 200) : 'New message';
    const title = s.chats.notify.showText ? chatTitle(e, s.me?.user_id ?? null, s.people.contacts) : 'MessGo';
    try {
      const n = new Notification(title, { body: text, tag: chatId });
      n.onclick = () => {
        globalThis.focus();
        dispatch({ type: 'show', pane: { kind: 'chat', chatId } });
      };
    } catch {
      // Some browsers allow notifications only from a service worker; there is none here.
    }
  }

  /**
   * Messages expired: the keys of past epochs that no message here uses any more are
   * forgotten too, so what is gone cannot be opened again from a copy.
   * @param {State} s @param {State} prev
   */
  function forgetSpentKeys(s, prev) {
    for (const [chatId, before] of Object.entries(prev.chats.byId)) {
      const e = s.chats.byId[chatId];
      if (!e || e === before) continue;
      const used = new Set(e.messages.map((m) => m.epoch));
      for (const m of before.messages) if (m.epoch < e.chat.epoch && !used.has(m.epoch)) keyring.forget(chatId, m.epoch);
    }
  }

  // ------------------------------------------------------------ effects of the state

  /** @param {State} s @param {State} prev */
  function onState(s, prev) {
    if (s.people.contacts !== prev.people.contacts || s.chats.byId !== prev.chats.byId) options.pinNew(s);
    const pane = s.pane;
    if (pane.kind === 'chat' && (s.chats.byId[pane.chatId] !== prev.chats.byId[pane.chatId] || pane !== prev.pane)) {
      markRead(pane.chatId);
    }
  }

  const onVisible = () => {
    const pane = state().pane;
    if (document.visibilityState === 'visible' && pane.kind === 'chat') markRead(pane.chatId);
  };

  /** Moves the read position to the newest message on screen, if it is not there yet. @param {string} chatId */
  async function markRead(chatId) {
    const s = state();
    const e = s.chats.byId[chatId];
    if (!e || !s.chats.settings || document.visibilityState !== 'visible' || reading.has(chatId)) return;
    const seq = e.top ?? 0;
    if (seq <= (e.chat.last_read_seq ?? 0)) return;
    reading.add(chatId);
    try {
      await api.markRead(chatId, seq);
      dispatch({ type: 'live', event: { type: 'chat.read', chat_id: chatId, seq }, at: Date.now() });
    } catch (err) {
      explain(err);
      return;
    } finally {
      reading.delete(chatId);
    }
    markRead(chatId);
  }

  // ------------------------------------------------------------ the actions

  return {
    /** Loads what the socket does not bring by itself. Called when the shell appears. */
    start() {
      if (running) return;
      running = true;
      options.loadLocal();
      unsubscribe = store.subscribe(onState);
      media.start();
      expiry.start();
      document.addEventListener('visibilitychange', onVisible);
      loadChats();
      loadSettings();
    },

    stop() {
      running = false;
      generation++;
      replay = null;
      unsubscribe?.();
      unsubscribe = null;
      document.removeEventListener('visibilitychange', onVisible);
      clearTimeout(typingTimer);
      sender.stop();
      expiry.stop();
      media.stop();
      attachments.forget();
      keyring.clear();
      identityPromise = null;
      toNotify.clear();
    },

    /** Every (re)connect: replay what was missed, re-read the list, resend what hung. */
    onOpen() {
      if (!running) return;
      opens++;
      // Always, even with nothing loaded yet: the server holds a new socket's chat
      // messages back until the client's first frame says where it stands.
      sendFrame({ type: 'resume', chats: resumePoints(state().chats) });
      loadChats();
      loadSettings();
      sender.resendAll();
    },

    onEvent,

    /** @param {string} chatId */
    loadOlder(chatId) {
      return once(`older:${chatId}`, async () => {
        const e = state().chats.byId[chatId];
        const first = e?.messages[0];
        if (!e || !first || !e.hasOlder) return;
        const { messages } = await api.messages(chatId, { before: first.seq, limit: PAGE });
        dispatch({ type: 'history', chatId, messages, mode: 'before', limit: PAGE });
        openBodies(chatId);
      });
    },

    /** A chat that the state does not know yet (a contact just added, say). @param {string} chatId */
    ensureChat: (chatId) => (state().chats.byId[chatId] ? Promise.resolve() : fetchChat(chatId)),

    /**
     * @param {string} chatId @param {string} text @param {import('../crypto/file-ref.js').FileRef[]} [files] uploaded already
     * @param {import('../crypto/plaintext.js').MessageExtra} [extra]
     */
    send: (chatId, text, files, extra) => sender.send(chatId, text, files, extra),
    /** @param {string} chatId @param {string} id */
    retry: (chatId, id) => sender.retry(chatId, id),
    /** @param {string} chatId @param {string} id */
    discard: (chatId, id) => sender.discard(chatId, id),

    /** @param {string} chatId @param {Msg} msg */
    deleteForEveryone: (chatId, msg) => act(() => api.deleteMessage(chatId, msg.id),
      () => dispatch({ type: 'live', event: { type: 'message.deleted', chat_id: chatId, seq: msg.seq }, at: Date.now() })),

    /** "X is typing…" for the others, at most every few seconds. @param {string} chatId */
    typing(chatId) {
      if (!state().chats.settings?.typing_indicators) return;
      const now = Date.now();
      if (now - (typingSent.get(chatId) ?? 0) < TYPING_EVERY_MS) return;
      if (sendFrame({ type: 'typing', chat_id: chatId })) typingSent.set(chatId, now);
    },

    /** Messages sent from now on disappear after this long. @param {string} chatId @param {number} seconds */
    setTimer: (chatId, seconds) => act(() => api.setTimer(chatId, seconds)),

    /** Images, videos and files of messages, decrypted here. */
    media,
    /** Files waiting in each chat's composer. */
    attachments,

    /** Sealing and opening as the signed-in user, for a module with plaintexts of its own (the assistant). */
    sealing: { ensureEpoch: sender.ensureEpoch, openEpoch: sender.openEpoch, seal: keyring.seal, open: keyring.open },

    ...options,
    ...groups,
    ...reactions,
  };
}

/** @typedef {ReturnType<typeof createChats>} ChatActions */
