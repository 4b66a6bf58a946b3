// @ts-check
// The assistant chat: a banner that says plainly where questions go, the conversation
// (the user's questions on the right, the assistant's answers on the left rendered
// from Markdown, never as HTML), the answer being written as it streams in with a Stop
// button, a failure in the server's words with Retry, and the composer, disabled on a
// server without a model. Esc closes it, as it closes other chats.

import { bodyText, dayLabel, timeline } from '../chats/format.js';
import { fullDate } from '../core/format.js';
import { renderMarkdown } from './markdown.js';
import { roleOf } from './state.js';
import { attachTray } from '../files/tray.js';
import { composer } from '../chats/composer.js';
import { h, keyed, setChildren, uid } from '../ui/dom.js';
import { openViewer } from '../images/viewer.js';
import { messageImages } from '../images/in-message.js';
import { messageFiles } from '../files/card.js';

/** @typedef {import('../core/state.js').State} State */
/** @typedef {import('../chats/state.js').ChatEntry} ChatEntry */
/** @typedef {import('../chats/state.js').Msg} Msg */
/** @typedef {import('../chats/actions.js').ChatActions} ChatActions */
/** @typedef {import('./actions.js').AssistantActions} AssistantActions */
/** @typedef {import('./state.js').Turn} Turn */
/**
 * @typedef {{kind: 'day', key: string, label: string}
 *   | {kind: 'msg', key: string, msg: Msg, role: 'user' | 'assistant'}
 *   | {kind: 'question', key: string, turn: Turn}
 *   | {kind: 'answer', key: string, turn: Turn}
 *   | {kind: 'error', key: string, turn: Turn}} Row
 */

const PAGE_IN_PX = 200;
const STICK_PX = 48;

/** @param {number} at */
const time = (at) => h('time', { class: 'msg-time', datetime: new Date(at).toISOString(), title: fullDate(at) },
  new Date(at).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' }));

/**
 * @param {HTMLElement} root
 * @param {{state: State, chatId: string, chats: ChatActions, assistant: AssistantActions, close: () => void}} p
 */
export function mountAssistantView(root, { state, chatId, chats, assistant, close }) {
  const titleId = uid('chat-title');
  const heading = h('h2', { id: titleId, tabindex: -1 }, 'Assistant');
  const subtitle = h('p', { class: 'chat-subtitle muted' });
  const banner = h('div', { class: 'assistant-banner', role: 'note', 'aria-label': 'About the assistant' });
  const list = h('ol', { class: 'messages' });
  const older = h('p', { class: 'progress older', role: 'status', hidden: true },
    h('span', { class: 'spinner', 'aria-hidden': 'true' }), 'Loading earlier messages…');
  const scroller = h('div', { class: 'message-scroller', role: 'log', 'aria-label': 'Messages', tabindex: 0 }, older, list);

  // Files ride along with a question as they do with any message (files/attach.js), when
  // this build has them; the model sees the images among them.
  const attachments = /** @type {any} */ (chats).attachments?.forChat?.(chatId) ?? null;
  const tray = attachments ? attachTray({ attachments }) : null;
  const compose = composer({
    label: 'Message',
    send: (text) => {
      const attached = attachments?.getState().length ? attachments.take() : { ok: true, files: [] };
      if (!attached.ok) return attached;
      const outcome = assistant.ask(text, attached.files);
      if (outcome.ok) {
        if (attached.files.length) attachments.clear();
        stickToBottom = true;
      }
      return outcome;
    },
    typing: () => {},
    ...(tray ? { attach: { view: tray.view, tools: tray.tools } } : {}),
  });
  const sendButton = /** @type {HTMLButtonElement | null} */ (compose.view.querySelector('button[type="submit"]'));

  const view = h('section', { class: 'chat assistant-chat', 'aria-labelledby': titleId },
    h('header', { class: 'chat-header' },
      h('div', { class: 'chat-heading' }, heading, subtitle),
      h('div', { class: 'entry-actions' },
        h('button', { type: 'button', class: 'button quiet', onclick: close, 'aria-label': 'Close chat' }, 'Close'))),
    banner, scroller, compose.view);
  tray?.bind(compose.input, view);

  view.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && !e.defaultPrevented) {
      e.preventDefault();
      close();
    }
  });

  let current = state;
  let stickToBottom = true;
  /** @type {Map<string, {row: Row, sig: unknown[]}>} */
  let rowCache = new Map();
  /** The body of the answer being written, repainted as tokens come. @type {HTMLElement | null} */
  let answerBody = null;
  let painted = '';

  const entry = () => /** @type {ChatEntry | undefined} */ (current.chats.byId[chatId]);
  // A turn's references may be of both forms: images (whole blobs) and files (streams).
  const images = (/** @type {any[]} */ refs) => {
    if (!chats.media) return null;
    const deps = {
      media: chats.media,
      open: (/** @type {any[]} */ all, /** @type {number} */ index, /** @type {HTMLElement} */ opener) => openViewer({
        images: all, index, media: chats.media, returnFocus: opener }),
    };
    const files = refs.filter((r) => r && 'kind' in r);
    const old = refs.filter((r) => r && !('kind' in r));
    return h('div', { class: 'msg-attachments' }, old.length ? messageImages(old, deps) : null,
      files.length ? messageFiles(files, deps) : null);
  };

  /** @param {Row} row @returns {HTMLElement} */
  function build(row) {
    switch (row.kind) {
      case 'day':
        return h('li', { class: 'day-separator' }, h('span', null, row.label));
      case 'msg': {
        const m = row.msg;
        const b = /** @type {any} */ (m.body);
        const ok = !m.deleted && b?.status === 'ok';
        const problem = !m.deleted && b && b.status !== 'ok';
        const content = row.role === 'assistant' && ok ? renderMarkdown(b.text)
          : h('p', { class: `msg-text${m.deleted ? ' tombstone' : ''}${problem ? ' msg-warning' : ''}` }, bodyText(m));
        return h('li', { class: `msg ${row.role === 'assistant' ? 'theirs assistant-msg' : 'own'}`, 'data-id': m.id, 'data-seq': m.seq },
          h('div', { class: 'bubble' },
            ok && (b.images?.length || b.files?.length) ? images([...b.images ?? [], ...b.files ?? []]) : null,
            ok && !b.text && (b.images?.length || b.files?.length) ? null : content,
            h('p', { class: 'msg-meta' }, time(m.created_at))));
      }
      case 'question': {
        const t = row.turn;
        const stored = t.phase !== 'storing' && !(t.phase === 'failed' && t.retry === 'store');
        return h('li', { class: `msg own${stored ? '' : ' pending'}`, 'data-id': t.questionId },
          h('div', { class: 'bubble' },
            t.images.length ? images(t.images) : null,
            t.question ? h('p', { class: 'msg-text' }, t.question) : null,
            h('p', { class: 'msg-meta' }, time(t.at), ' ', h('span', { class: 'msg-state' }, stored ? 'Sent' : 'Sending…'))));
      }
      case 'answer': {
        const t = row.turn;
        const writing = t.phase === 'answering';
        answerBody = h('div', { class: 'answer-body' });
        painted = '\u0000';
        const state = writing ? 'Writing…' : t.phase === 'saving' ? 'Saving…' : t.stopped ? 'Stopped' : '';
        return h('li', { class: `msg theirs assistant-msg streaming${writing ? ' writing' : ''}`, 'aria-busy': writing ? 'true' : 'false' },
          h('div', { class: 'bubble' },
            answerBody,
            h('p', { class: 'msg-meta' }, h('span', { class: 'msg-state' }, state))),
          writing ? h('button', { type: 'button', class: 'button small stop-button', onclick: () => assistant.stopAnswer() },
            'Stop') : null);
      }
      default: {
        const t = row.turn;
        return h('li', { class: 'assistant-error', role: 'alert' },
          h('p', null, t.error ?? 'The assistant could not answer.'),
          h('div', { class: 'entry-actions' },
            h('button', { type: 'button', class: 'button small', onclick: () => assistant.retry() }, 'Retry'),
            h('button', { type: 'button', class: 'button quiet small', onclick: () => assistant.dismiss() }, 'Dismiss')));
      }
    }
  }

  /** The rows to show, reusing those whose inputs did not change. @param {ChatEntry} e @returns {Row[]} */
  function rows(e) {
    const s = current;
    const t = s.assistant.turn;
    const now = Date.now();
    const has = (/** @type {string} */ id) => e.messages.some((m) => m.id === id);
    // The answer stays on screen from the stream until its stored copy is all in the
    // chat, which takes its place then.
    const settling = t?.phase === 'saving' || t?.phase === 'done' || (t?.phase === 'failed' && t.retry === 'save');
    const showAnswer = Boolean(t && (t.phase === 'answering' || (settling && t.answer)));
    const hide = new Set(showAnswer && t ? t.answerIds : []);
    /** @type {{row: Row, sig: unknown[]}[]} */
    const out = [];
    for (const item of timeline(e, s.chats)) {
      if (item.kind === 'day') out.push({ row: { kind: 'day', key: item.key, label: dayLabel(item.at, now) }, sig: [dayLabel(item.at, now)] });
      else if (item.kind === 'msg' && item.msg.kind === 'message' && !hide.has(item.msg.id)) {
        const role = roleOf(item.msg);
        out.push({ row: { kind: 'msg', key: item.key, msg: item.msg, role }, sig: [item.msg, role] });
      }
    }
    if (t) {
      if (!has(t.questionId)) {
        const stored = t.phase !== 'storing' && t.retry !== 'store';
        out.push({ row: { kind: 'question', key: `q:${t.questionId}`, turn: t }, sig: [stored] });
      }
      if (showAnswer) out.push({ row: { kind: 'answer', key: `a:${t.requestId}`, turn: t }, sig: [t.phase, t.stopped] });
      if (t.phase === 'failed') out.push({ row: { kind: 'error', key: `e:${t.requestId}`, turn: t }, sig: [t.error, t.retry] });
    }
    /** @type {Map<string, {row: Row, sig: unknown[]}>} */
    const next = new Map();
    const result = out.map(({ row, sig }) => {
      const old = rowCache.get(row.key);
      const kept = old && old.sig.length === sig.length && old.sig.every((v, i) => v === sig[i]) ? old.row : row;
      next.set(row.key, { row: kept, sig });
      return kept;
    });
    rowCache = next;
    return result;
  }

  /** The answer being written, as Markdown so far, or the dots before its first word. */
  function paintAnswer() {
    const t = current.assistant.turn;
    if (!answerBody?.isConnected || !t) return;
    const text = t.answer;
    if (text === painted) return;
    painted = text;
    if (text) setChildren(answerBody, renderMarkdown(text));
    else setChildren(answerBody, h('span', { class: 'typing-dots', role: 'status' }, 'The assistant is writing…'));
  }

  const atBottom = () => scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < STICK_PX;

  function renderList() {
    const e = entry();
    if (!e) return;
    const wasAtBottom = stickToBottom || atBottom();
    const anchor = /** @type {HTMLElement | null} */ (list.firstElementChild);
    const anchorTop = anchor ? anchor.offsetTop : 0;
    keyed(list, rows(e), (r) => r.key, build);
    paintAnswer();
    if (wasAtBottom) scroller.scrollTop = scroller.scrollHeight;
    else if (anchor?.isConnected) scroller.scrollTop += anchor.offsetTop - anchorTop;
    stickToBottom = false;
    pageInIfRoom();
  }

  function pageInIfRoom() {
    if (entry()?.hasOlder && scroller.scrollTop < PAGE_IN_PX) loadOlder();
  }

  async function loadOlder() {
    older.hidden = false;
    await chats.loadOlder(chatId);
    older.hidden = true;
  }

  scroller.addEventListener('scroll', pageInIfRoom, { passive: true });

  /** Where questions go, said before anything is typed. @param {State} s */
  function renderBanner(s) {
    const a = s.assistant;
    const configured = Boolean(a.info?.configured);
    if (a.info && configured) {
      const model = a.info.model || 'the configured model';
      setChildren(banner,
        h('p', null, 'What you send here is processed by ', h('strong', null, model),
          ' and is not end-to-end encrypted on its way to the model.'),
        h('p', { class: 'muted' }, 'The conversation itself is stored in this chat end-to-end encrypted, like your other chats.'));
      setChildren(subtitle, `Model: ${model}`);
    } else if (a.info) {
      setChildren(banner, h('p', null, 'This server has no assistant configured.'));
      setChildren(subtitle, 'Not available on this server');
    } else if (a.infoError) {
      setChildren(banner, h('p', null, `The assistant cannot be reached right now: ${a.infoError}`));
      setChildren(subtitle, '');
    } else {
      setChildren(banner, h('p', null, 'Checking the assistant…'));
      setChildren(subtitle, '');
    }
    banner.classList.toggle('unavailable', Boolean(a.info && !configured) || Boolean(a.infoError));
    const wasDisabled = compose.input.disabled;
    compose.input.disabled = !configured;
    if (sendButton) sendButton.disabled = !configured;
    for (const b of compose.view.querySelectorAll('.attach-tools button')) /** @type {HTMLButtonElement} */ (b).disabled = !configured;
    compose.input.placeholder = configured ? 'Ask the assistant…' : a.info || a.infoError ? 'The assistant is not available' : 'Checking the assistant…';
    // The field could not take the focus while the server was being asked; it can now.
    if (configured && wasDisabled && (document.activeElement === document.body || view.contains(document.activeElement))) {
      compose.input.focus();
    }
  }

  root.replaceChildren(view);
  renderBanner(state);
  renderList();
  compose.input.focus();

  /** @param {State} s @param {State | null} prev */
  function update(s, prev) {
    current = s;
    if (s.assistant.info !== prev?.assistant.info || s.assistant.infoError !== prev?.assistant.infoError) renderBanner(s);
    const e = s.chats.byId[chatId];
    if (!e) return;
    if (e !== prev?.chats.byId[chatId] || s.chats.hidden !== prev?.chats.hidden || s.assistant.turn !== prev?.assistant.turn) {
      renderList();
    }
  }

  return {
    update,
    unmount() {
      tray?.unmount();
      view.remove();
    },
  };
}
