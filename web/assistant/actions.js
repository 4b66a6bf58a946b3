// @ts-check
// The assistant's actions (docs/protocol.md, "The assistant"). A question is stored in
// the assistant chat first, encrypted like any message; then the recent turns of that
// chat, decrypted here, go to the server in `POST /api/assistant/ask`, and the answer
// streams back in its response as `ai.delta` events. The finished (or stopped) answer is stored encrypted as well, so
// the chat is the only record, and the server keeps nothing. What goes to the model is
// plaintext by necessity: the view says so above the conversation.

import * as api from '../core/api.js';
import {
  CONTEXT_TURNS, decodeTurn, encodeTurn, isBusy, pickContext, roleOf, splitAnswer, toContext,
} from './state.js';
import { say } from '../core/outcome.js';
import { fileRef, inlineAs } from '../crypto/file-ref.js';

/** @typedef {import('../core/state.js').Store} Store */
/** @typedef {import('../core/state.js').State} State */
/** @typedef {import('../core/socket.js').ServerEvent} ServerEvent */
/** @typedef {import('../chats/actions.js').ChatActions} ChatActions */
/** @typedef {import('./state.js').Turn} Turn */
/** @typedef {import('./state.js').ContextTurn} ContextTurn */
/** @typedef {import('../core/outcome.js').Outcome} Outcome */

// Images go to the model as data URLs inside the one request, the newest first, up to a
// budget well under the server's default context limit (8 MiB of JSON, which base64
// fills by a third more than the bytes).
const IMAGE_BUDGET_BYTES = 4 * 1024 * 1024;
// After a load of the chat list that did not have the assistant chat (it is created by
// GET /api/assistant, which may run after the list was read), fetch it this many times at most.
const ENSURE_ATTEMPTS = 3;
// epoch_stale: someone (another tab) opened a new epoch; send again under it.
const MAX_STALE_RETRIES = 2;

/** @param {Blob} blob @returns {Promise<string>} */
const dataUrl = (blob) => new Promise((resolve, reject) => {
  const reader = new FileReader();
  reader.onload = () => resolve(String(reader.result));
  reader.onerror = () => reject(reader.error);
  reader.readAsDataURL(blob);
});

/**
 * @param {{store: Store, chats: ChatActions}} p
 */
export function createAssistant({ store, chats }) {
  const dispatch = store.dispatch;
  const state = () => store.getState();
  const turn = () => state().assistant.turn;
  /** Whether `requestId` is still the question on screen (not replaced, not signed out). @param {string} requestId */
  const current = (requestId) => running && turn()?.requestId === requestId;
  /** @param {string} requestId @param {Partial<Turn>} patch */
  const patch = (requestId, patch) => dispatch({ type: 'assistant_turn', requestId, patch });

  let running = false;
  let ensureAttempts = 0;
  /** The answer being streamed: aborting it stops the answer. @type {AbortController | null} */
  let answering = null;
  /** @type {(() => void) | null} */
  let unsubscribe = null;

  async function loadInfo() {
    try {
      const info = await api.assistant();
      if (!running) return;
      dispatch({ type: 'assistant_info', info });
      ensureListed(state());
    } catch (err) {
      if (running) dispatch({ type: 'assistant_info_failed', error: say(err) });
    }
  }

  /** The assistant chat belongs in the list even when it was created after the list was read. @param {State} s */
  function ensureListed(s) {
    const id = s.assistant.info?.chat_id;
    if (!id || !s.chats.loaded || s.chats.byId[id] || ensureAttempts >= ENSURE_ATTEMPTS) return;
    ensureAttempts++;
    chats.ensureChat(id);
  }

  /**
   * The assistant chat is of kind "assistant" (docs/protocol.md), which is how the list
   * pins it and the shell shows it. A server that reports it as "direct" is corrected
   * here, by the chat id GET /api/assistant gave; with one that says "assistant" this
   * does nothing.
   * @param {State} s
   */
  function markKind(s) {
    const id = s.assistant.info?.chat_id;
    const e = id ? s.chats.byId[id] : undefined;
    if (e && e.chat.kind !== 'assistant') dispatch({ type: 'chat_upsert', chat: { ...e.chat, kind: 'assistant' } });
  }

  /** @param {State} s @param {State} prev */
  function onState(s, prev) {
    if (s.chats.byId !== prev.chats.byId || s.assistant.info !== prev.assistant.info) {
      ensureListed(s);
      markKind(s);
    }
    // A stored answer is shown from the turn until its copy is in the chat: no flicker.
    const t = s.assistant.turn;
    const entry = s.assistant.info && s.chats.byId[s.assistant.info.chat_id];
    if (t?.phase === 'done' && entry && t.answerIds.every((id) => entry.messages.some((m) => m.id === id))) {
      dispatch({ type: 'assistant_cleared', requestId: t.requestId });
    }
  }

  /**
   * Seals a plaintext as the user and sends it to the chat over REST (the answer is the
   * ack). The same id on a retry: the server stores it once. `blobs`: the uploads the
   * message takes, which then live and die with it.
   * @param {string} chatId @param {string} id @param {Uint8Array} bytes @param {string[]} [blobs]
   */
  async function put(chatId, id, bytes, blobs = []) {
    const sealing = chats.sealing;
    let epoch = await sealing.ensureEpoch(chatId);
    for (let attempt = 0; ; attempt++) {
      const s = await sealing.seal({ chatId, epoch, id, plaintext: bytes });
      try {
        return await api.sendMessage({
          chat_id: chatId, id, epoch, nonce: s.nonce, ciphertext: s.ciphertext, signature: s.signature,
          ...(blobs.length ? { blobs } : {}),
        });
      } catch (err) {
        if (!(err instanceof api.ApiError && err.code === 'epoch_stale') || attempt >= MAX_STALE_RETRIES) throw err;
        epoch = await sealing.openEpoch(chatId, { staleEpoch: epoch });
      }
    }
  }

  /**
   * A message of the chat as the model should see it: opened again from its sealed copy
   * for the fields the chat's body leaves out (images), else from that body.
   * @param {string} chatId @param {import('../chats/state.js').Msg} m
   * @returns {Promise<{role: 'user' | 'assistant', text: string, images: unknown[]}>}
   */
  async function reread(chatId, m) {
    const fallback = { role: roleOf(m), text: m.body?.status === 'ok' ? m.body.text : '', images: [] };
    const raw = m.raw;
    const entry = state().chats.byId[chatId];
    if (!raw || !m.sender || !entry) return fallback;
    const opened = await chats.sealing.open({
      chatId, epoch: m.epoch, sender: m.sender, id: m.id, nonce: raw.nonce, ciphertext: raw.ciphertext,
      signature: raw.signature, senderPublic: entry.people[m.sender]?.ed25519_public ?? null,
    });
    return (opened.ok && decodeTurn(opened.plaintext)) || fallback;
  }

  /**
   * Data URLs for the images of the turns, the newest first within the budget; an image
   * that is too large, expired or unreadable is left out rather than failing the question.
   * @param {{images: unknown[]}[]} turns @returns {Promise<string[][]>}
   */
  async function imagesOf(turns) {
    const media = /** @type {{full?: (ref: object) => Promise<Blob>}} */ (/** @type {any} */ (chats).media ?? {});
    /** @type {string[][]} */
    const out = turns.map(() => []);
    if (!media.full) return out;
    let budget = IMAGE_BUDGET_BYTES;
    for (let i = turns.length - 1; i >= 0; i--) {
      for (const ref of /** @type {any[]} */ (turns[i].images)) {
        if (!ref || typeof ref.blob !== 'string' || typeof ref.key !== 'string' || typeof ref.type !== 'string') continue;
        // Of the stream form, only what is an image by kind and type goes to the model.
        if ('kind' in ref && (!fileRef(ref) || inlineAs(ref) !== 'image')) continue;
        if (typeof ref.size !== 'number' || ref.size > budget) continue;
        try {
          const blob = await media.full(ref);
          budget -= blob.size;
          out[i].push(await dataUrl(blob));
        } catch {
          // Gone with its message, or unreadable: the question goes without it.
        }
      }
    }
    return out;
  }

  /** The recent turns of the chat, the question last. @param {string} chatId @param {Turn} t @returns {Promise<ContextTurn[]>} */
  async function buildContext(chatId, t) {
    const picked = pickContext(state().chats.byId[chatId], {
      now: Date.now(), limit: CONTEXT_TURNS - 1, exclude: [t.questionId, ...t.answerIds],
    });
    /** @type {{role: 'user' | 'assistant', text: string, images: unknown[]}[]} */
    const turns = await Promise.all(picked.map((m) => reread(chatId, m)));
    turns.push({ role: 'user', text: t.question, images: t.images });
    const images = await imagesOf(turns);
    return toContext(turns.map((x, i) => ({ role: x.role, text: x.text, images: images[i] })));
  }

  /** Sends the question (again, under a new request id after a failure). @param {string} requestId @param {ContextTurn[]} context */
  function askNow(requestId, context) {
    patch(requestId, { phase: 'answering', context, answer: '', error: null, retry: null, stopped: false });
    answering?.abort();
    const controller = new AbortController();
    answering = controller;
    streamAnswer(requestId, context, controller.signal).catch((err) => {
      if (controller.signal.aborted) return;
      const t = turn();
      if (t?.requestId === requestId && t.phase === 'answering') {
        patch(requestId, { phase: 'failed', error: say(err), retry: 'ask' });
      }
    });
  }

  /** Reads the answer's events as they come. @param {string} requestId @param {ContextTurn[]} context @param {AbortSignal} signal */
  async function streamAnswer(requestId, context, signal) {
    const body = await api.askAssistant({ request_id: requestId, messages: context }, signal);
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        const line = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        if (line) onAnswerEvent(JSON.parse(line));
      }
    }
    const t = turn();
    if (t?.requestId === requestId && t.phase === 'answering') {
      patch(requestId, { phase: 'failed', error: 'The connection dropped before the answer was finished.', retry: 'ask' });
    }
  }

  /** One event of an answer: a piece of it, its end, or why it failed. @param {any} e */
  function onAnswerEvent(e) {
    if (!running) return;
    /** @type {unknown} */
    const requestId = e?.request_id;
    if (typeof requestId !== 'string') return;
    const t = turn();
    switch (e.type) {
      case 'ai.delta':
        if (typeof e.text === 'string') dispatch({ type: 'assistant_delta', requestId, text: e.text });
        return;
      case 'ai.done':
        if (t?.requestId === requestId) finish(false);
        return;
      case 'ai.error':
        if (t?.requestId === requestId && t.phase === 'answering') {
          const message = typeof e.message === 'string' && e.message ? e.message : 'The assistant could not answer.';
          patch(t.requestId, { phase: 'failed', error: message, retry: 'ask' });
        }
        return;
      default:
    }
  }

  /** Stores the question, then asks. @param {string} requestId */
  async function storeAndAsk(requestId) {
    const t = turn();
    const chatId = state().assistant.info?.chat_id;
    if (!t || !chatId || !current(requestId)) return;
    patch(requestId, { phase: 'storing', error: null, retry: null });
    try {
      const plain = encodeTurn(t.question, 'user', t.images);
      if (!plain.ok) throw new Error(plain.error);
      const blobs = /** @type {any[]} */ (t.images).flatMap((i) => [i.blob, i.thumb].filter((b) => typeof b === 'string'));
      await put(chatId, t.questionId, plain.bytes, blobs);
    } catch (err) {
      if (current(requestId)) patch(requestId, { phase: 'failed', error: `Not sent: ${say(err)}`, retry: 'store' });
      return;
    }
    if (!current(requestId)) return;
    let context;
    try {
      context = await buildContext(chatId, t);
    } catch (err) {
      if (current(requestId)) patch(requestId, { phase: 'failed', error: say(err), retry: 'ask' });
      return;
    }
    if (current(requestId)) askNow(requestId, context);
  }

  /** The answer is complete (or stopped): store it, in pieces if it is long. @param {boolean} stopped */
  function finish(stopped) {
    const t = turn();
    if (!t || t.phase !== 'answering') return;
    if (!t.answer.trim()) {
      // Stopped before a word came: there is nothing to keep.
      dispatch({ type: 'assistant_cleared', requestId: t.requestId });
      return;
    }
    const answerIds = splitAnswer(t.answer).map(() => crypto.randomUUID());
    patch(t.requestId, { phase: 'saving', stopped, answerIds });
    save(t.requestId);
  }

  /** @param {string} requestId */
  async function save(requestId) {
    const t = turn();
    const chatId = state().assistant.info?.chat_id;
    if (!t || !chatId || !current(requestId)) return;
    patch(requestId, { phase: 'saving', error: null, retry: null });
    const parts = splitAnswer(t.answer);
    try {
      // In order, so the pieces of one answer keep their order in the chat.
      for (let i = 0; i < parts.length; i++) {
        const plain = encodeTurn(parts[i], 'assistant');
        if (!plain.ok) throw new Error(plain.error);
        await put(chatId, t.answerIds[i], plain.bytes);
      }
    } catch (err) {
      if (current(requestId)) {
        patch(requestId, { phase: 'failed', error: `The answer could not be saved in the chat: ${say(err)}`, retry: 'save' });
      }
      return;
    }
    if (current(requestId)) patch(requestId, { phase: 'done' });
  }

  return {
    start() {
      if (running) return;
      running = true;
      ensureAttempts = 0;
      unsubscribe = store.subscribe(onState);
      loadInfo();
    },

    stop() {
      running = false;
      answering?.abort();
      answering = null;
      unsubscribe?.();
      unsubscribe = null;
    },

    /** Every (re)connect: the assistant's details may have failed to load before. */
    onOpen() {
      if (!running) return;
      if (state().assistant.infoError) loadInfo();
    },

    /** Answers no longer come over the socket; an event of one that does is read the same way. @param {ServerEvent} event */
    onEvent(event) {
      onAnswerEvent(event);
    },

    /** @param {string} text @param {unknown[]} [images] uploaded already (files/attach.js) @returns {Outcome} */
    ask(text, images = []) {
      const a = state().assistant;
      if (!a.info) return { ok: false, error: 'The assistant is not ready yet.' };
      if (!a.info.configured) return { ok: false, error: 'This server has no assistant configured.' };
      if (isBusy(a.turn)) return { ok: false, error: 'Wait for the answer, or stop it, before asking again.' };
      const plain = encodeTurn(text, 'user', images);
      if (!plain.ok) return plain;
      const question = /** @type {{text: string}} */ (decodeTurn(plain.bytes)).text;
      /** @type {Turn} */
      const t = {
        requestId: crypto.randomUUID(), questionId: crypto.randomUUID(), question, images, at: Date.now(), context: null,
        phase: 'storing', answer: '', answerIds: [], stopped: false, error: null, retry: null,
      };
      dispatch({ type: 'assistant_asked', turn: t });
      storeAndAsk(t.requestId);
      return { ok: true };
    },

    /** Stops the answer being written; what came so far is kept. */
    stopAnswer() {
      const t = turn();
      if (t?.phase !== 'answering') return;
      answering?.abort();
      answering = null;
      finish(true);
    },

    /** Does again what failed: storing the question, asking, or storing the answer. */
    retry() {
      const t = turn();
      if (!t || t.phase !== 'failed') return;
      if (t.retry === 'store') storeAndAsk(t.requestId);
      else if (t.retry === 'save') save(t.requestId);
      else {
        // A new request id: a late frame of the failed request cannot mix into this one.
        const requestId = crypto.randomUUID();
        patch(t.requestId, { requestId });
        const chatId = state().assistant.info?.chat_id;
        if (t.context) askNow(requestId, t.context);
        else if (chatId) {
          patch(requestId, { phase: 'answering' });
          buildContext(chatId, t).then((context) => { if (current(requestId)) askNow(requestId, context); },
            (err) => { if (current(requestId)) patch(requestId, { phase: 'failed', error: say(err), retry: 'ask' }); });
        }
      }
    },

    /** Puts a failed question away (it was never stored, or its answer failed). */
    dismiss() {
      const t = turn();
      if (t && t.phase === 'failed') dispatch({ type: 'assistant_cleared', requestId: t.requestId });
    },
  };
}

/** @typedef {ReturnType<typeof createAssistant>} AssistantActions */
