// @ts-check
// One open chat: its messages with day separators, own messages on the right with
// their delivery state, who is typing, and the composer. Older messages page in as
// the list scrolls up; new ones keep the view at the bottom if it was there. Esc
// closes the chat.

import { avatarBubble, chatPerson } from '../ui/avatars.js';
import {
  chatTitle, dayLabel, otherMember, personName, systemText, timeline, typingText,
} from './format.js';
import { attachTray } from '../files/tray.js';
import { chatTimer } from '../expiry/chat-timer.js';
import { composer } from './composer.js';
import { actionForKey, closeActionsMenu, openActionsMenu } from './actions-menu.js';
import { askDelete } from './delete-dialog.js';
import { bindMessageKeys } from './message-keys.js';
import { createReply } from './reply.js';
import { quoteOf, quoteView } from './quote.js';
import { openForward } from './forward.js';
import { registerBuiltinActions } from './builtin-actions.js';
import { h, keyed, setChildren, uid } from '../ui/dom.js';
import { openViewer } from '../images/viewer.js';
import { buildRow } from './message-item.js';
import { messageImages } from '../images/in-message.js';
import { messageFiles } from '../files/card.js';
import { sendAttachment } from '../files/attach.js';
import { voiceButton } from '../voice/button.js';
import { latestEditable, latestEdits, reactionsByTarget } from '../reactions/state.js';
import { messageTools } from '../reactions/in-chat.js';
import { reactionChips } from '../reactions/chips.js';
import { registerReactionActions } from '../reactions/menu-actions.js';
import { chatSearch } from '../search/bar.js';
import { jumpTo, nextFrame, onJump } from '../search/jump.js';
import { mentionPicker } from './mention-picker.js';
import { msgRow, quoteSig } from './msg-row.js';

/** @typedef {import('../core/state.js').State} State */
/** @typedef {import('../core/state.js').Pane} Pane */
/** @typedef {import('./state.js').ChatEntry} ChatEntry */
/** @typedef {import('./state.js').Msg} Msg */
/** @typedef {import('./actions.js').ChatActions} ChatActions */
/** @typedef {import('./message-item.js').Row} Row */
/** @typedef {import('./actions-menu.js').ActionCtx} ActionCtx */

registerBuiltinActions();
registerReactionActions();

// Closer to the top than this, the next older page is fetched.
const PAGE_IN_PX = 200;
const STICK_PX = 48;
/** What was typed but not sent, per chat, while another chat is open (this page only). @type {Map<string, string>} */
const drafts = new Map();

/** Drafts belong to the account: they go when it signs out. */
export const forgetDrafts = () => drafts.clear();

/**
 * @param {HTMLElement} root
 * @param {{state: State, chatId: string, chats: ChatActions, show: (pane: Pane) => void, close: () => void}} p
 */
export function mountChatView(root, { state, chatId, chats, show, close }) {
  const titleId = uid('chat-title');
  const heading = h('h2', { id: titleId, tabindex: -1 });
  const subtitle = h('p', { class: 'chat-subtitle muted', 'aria-live': 'polite' });
  const headerAvatar = avatarBubble();
  const infoButton = h('button', { type: 'button', class: 'button quiet', onclick: openInfo });
  const banner = h('div', { class: 'safety-banner', role: 'alert', hidden: true });
  const problem = h('p', { class: 'form-error', role: 'alert' });
  const notice = h('p', { class: 'chat-notice muted', role: 'status' });
  const list = h('ol', { class: 'messages' });
  const older = h('p', { class: 'progress older', role: 'status', hidden: true },
    h('span', { class: 'spinner', 'aria-hidden': 'true' }), 'Loading earlier messages…');
  const start = h('p', { class: 'history-start muted', hidden: true }, 'Messages stay on the server for at most 72 hours.');
  const keysHint = h('p', { id: uid('messages-keys'), class: 'visually-hidden' },
    'Up and down arrows move between messages; Enter opens a message\'s actions.');
  const scroller = h('div', { class: 'message-scroller', role: 'log', 'aria-label': 'Messages', tabindex: 0,
    'aria-describedby': keysHint.id }, keysHint, start, older, list);
  const attachments = chats.attachments.forChat(chatId);
  const tray = attachTray({ attachments });
  const timer = chatTimer({ chatId, chats });
  const voice = voiceButton({
    send: (file, meta) => {
      stickToBottom = true;
      return sendAttachment(chatId, file, meta);
    },
    say: (text) => compose.say(text),
  });
  const replySlot = h('div', { class: 'reply-slot', hidden: true });
  const compose = composer({
    label: 'Message',
    quote: replySlot,
    send: (text) => {
      if (/^\s*\+:[^\s:]+:\s*$/.test(text)) return reactFromComposer(text);
      // Attached files go with the text as their caption, once all are uploaded.
      const attached = attachments.getState().some((a) => !a.solo) ? attachments.take()
        : { ok: /** @type {const} */ (true), files: [] };
      if (!attached.ok) return attached;
      const outcome = chats.send(chatId, text, attached.files, reply.extra());
      if (outcome.ok) {
        reply.sent();
        setChildren(notice);
        if (attached.files.length) attachments.clear();
        stickToBottom = true;
      }
      return outcome;
    },
    typing: () => chats.typing(chatId),
    attach: { view: tray.view, tools: tray.tools },
    voice: voice.view,
    onUp: () => {
      const m = latestEditable(entry()?.messages ?? [], current.me?.user_id ?? null);
      if (m) startEdit(m);
    },
  });

  const picker = mentionPicker({
    input: compose.input, me: () => current.me?.user_id ?? null,
    members: () => (entry()?.chat.kind === 'group' ? entry()?.chat.members ?? [] : []),
  });
  compose.view.prepend(picker.view);
  const search = chatSearch({
    chatId, state: () => current, list, loadOlder: () => chats.loadOlder(chatId), done: () => compose.input.focus(),
  });

  const view = h('section', { class: 'chat', 'aria-labelledby': titleId },
    h('header', { class: 'chat-header' },
      headerAvatar.view,
      h('div', { class: 'chat-heading' }, heading, subtitle),
      h('div', { class: 'entry-actions' },
        timer.view,
        infoButton,
        h('button', { type: 'button', class: 'button quiet', onclick: close, 'aria-label': 'Close chat' }, 'Close'))),
    banner, search.view, scroller, notice, problem, compose.view);

  tray.bind(compose.input, view);
  const reply = createReply({ chatId, state: () => current, input: compose.input, slot: replySlot, thumb: (ref) => chats.media.thumb(ref) });

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

  const entry = () => /** @type {ChatEntry | undefined} */ (current.chats.byId[chatId]);

  function openInfo() {
    const e = entry();
    if (!e) return;
    if (e.chat.kind === 'group') show({ kind: 'group', chatId });
    else {
      const other = otherMember(e, current.me?.user_id ?? null);
      if (other && current.people.contacts.some((c) => c.user_id === other.user_id)) {
        show({ kind: 'contact', userId: other.user_id });
      }
    }
  }

  /** What the message actions (actions-menu.js) get. @param {HTMLElement} opener @returns {ActionCtx | null} */
  function actionCtx(opener) {
    const e = entry();
    if (!e) return null;
    const me = current.me?.user_id ?? null;
    return {
      chatId, me, entry: e, chats, opener, own: false,
      view: {
        remove: (msg, at) => askDelete({ msg, own: msg.sender === me, chatId, chats, opener: at, problem }),
        react: openReact,
        edit: (msg) => startEdit(msg),
        reply: (msg) => reply.start(msg),
        forward: (msg, at) => openForward({ state: current, from: chatId, msg, chats, opener: at, say: (t) => setChildren(notice, t) }),
      },
    };
  }

  const tools = messageTools({
    chatId, chats, list, problem, entry, me: () => current.me?.user_id ?? null,
    hidden: (m) => Boolean(current.chats.hidden[chatId]?.[m.id]),
    edit: (text, save) => compose.edit(text, save),
  });
  const { reactFromComposer, react, openReact, startEdit } = tools;

  /** @param {Msg} msg @param {HTMLElement} anchor @param {{x: number, y: number}} [at] @param {HTMLElement} [opener] */
  function menu(msg, anchor, at, opener = anchor) {
    const ctx = actionCtx(opener);
    if (ctx) openActionsMenu({ msg, ctx: { ...ctx, own: msg.sender === ctx.me }, anchor, at });
  }

  /** The sent message a row of the list shows. @param {HTMLElement} li */
  const msgOf = (li) => entry()?.messages.find((m) => String(m.seq) === li.dataset.seq && !m.deleted);

  bindMessageKeys({
    list, scroller,
    open: (li, anchor, at) => {
      const m = msgOf(li);
      if (m) menu(m, anchor, at, li);
    },
    key: (li, e) => {
      const m = msgOf(li);
      const ctx = m ? actionCtx(li) : null;
      if (!m || !ctx) return false;
      const own = { ...ctx, own: m.sender === ctx.me };
      const action = actionForKey(e, m, own);
      action?.run(m, own);
      return Boolean(action);
    },
  });

  /**
   * Jumps to a message and focuses it, paging in earlier history until it is there (a
   * reply may quote, and a search find, a message from before what is loaded).
   * @param {string} id
   */
  const jumpToMessage = (id) => jumpTo({
    list, id, hasOlder: () => Boolean(entry()?.hasOlder), loadOlder: () => chats.loadOlder(chatId), rendered: nextFrame, focus: true,
  });

  const rowActions = {
    menu: (/** @type {Msg} */ msg, /** @type {HTMLElement} */ button) => menu(msg, button),
    retry: (/** @type {string} */ id) => chats.retry(chatId, id),
    discard: (/** @type {string} */ id) => chats.discard(chatId, id),
    reactions: (/** @type {Extract<Row, {kind: 'msg'}>} */ row) => reactionChips(row.chips ?? [], (c) => react(row.msg, c.chip.emoji)),
    images: (/** @type {import('../crypto/plaintext.js').ImageRef[]} */ images) => messageImages(images, {
      media: chats.media,
      open: (list, index, opener) => openViewer({ images: list, index, media: chats.media, returnFocus: opener }),
    }),
    files: (/** @type {import('../crypto/file-ref.js').FileRef[]} */ files) => messageFiles(files, {
      media: chats.media,
      open: (list, index, opener) => openViewer({ images: list, index, media: chats.media, returnFocus: opener }),
    }),
    quote: (/** @type {import('./quote.js').Quote} */ q) => quoteView(q, { jump: jumpToMessage, thumb: (ref) => chats.media.thumb(ref) }),
  };


  /**
   * The rows to show, reusing the ones whose inputs did not change.
   * @param {ChatEntry} e @returns {Row[]}
   */
  function rows(e) {
    const s = current;
    const me = s.me?.user_id ?? null;
    const contacts = s.people.contacts;
    const now = Date.now();
    /** @type {Map<string, {row: Row, sig: unknown[]}>} */
    const next = new Map();
    /** @type {string | null} */
    let lastSender = null;
    const chipsOf = reactionsByTarget(e.messages, me);
    const edits = latestEdits(e.messages);
    const out = timeline(e, s.chats).flatMap((item) => {
      /** @type {Row | null} */
      let row = null;
      /** @type {unknown[]} */
      let sig = [];
      if (item.kind === 'day') {
        const label = dayLabel(item.at, now);
        sig = [label];
        row = { kind: 'day', key: item.key, at: item.at, label };
        lastSender = null;
      } else if (item.kind === 'pending') {
        const quote = item.pending.extra?.reply ? quoteOf(e, s.chats, item.pending.extra.reply.id, contacts, me) : null;
        sig = [item.pending, quoteSig(quote)];
        row = { kind: 'pending', key: item.key, pending: item.pending, quote };
        lastSender = me;
      } else if (item.msg.kind === 'system') {
        const text = systemText(item.msg, e, me, contacts);
        if (!text) return [];
        sig = [item.msg, text];
        row = { kind: 'system', key: item.key, msg: item.msg, text };
        lastSender = null;
      } else {
        ({ row, sig } = msgRow(item, { e, s, me, lastSender, edits, chipsOf }));
        lastSender = item.msg.sender;
      }
      const old = rowCache.get(row.key);
      const kept = old && old.sig.length === sig.length && old.sig.every((v, i) => v === sig[i]) ? old.row : row;
      next.set(row.key, { row: kept, sig });
      return [kept];
    });
    rowCache = next;
    return out;
  }

  const atBottom = () => scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < STICK_PX;

  function renderList() {
    const e = entry();
    if (!e) return;
    const wasAtBottom = stickToBottom || atBottom();
    // Older messages go in above: keep what the user is reading where it is.
    const anchor = /** @type {HTMLElement | null} */ (list.firstElementChild);
    const anchorTop = anchor ? anchor.offsetTop : 0;
    keyed(list, rows(e), (r) => r.key, (r) => buildRow(r, rowActions));
    if (wasAtBottom) scroller.scrollTop = scroller.scrollHeight;
    else if (anchor?.isConnected) scroller.scrollTop += anchor.offsetTop - anchorTop;
    stickToBottom = false;
    start.hidden = e.hasOlder || e.top === null;
    pageInIfRoom();
  }

  function pageInIfRoom() {
    const e = entry();
    if (e?.hasOlder && scroller.scrollTop < PAGE_IN_PX) loadOlder();
  }

  async function loadOlder() {
    older.hidden = false;
    await chats.loadOlder(chatId);
    older.hidden = true;
  }

  scroller.addEventListener('scroll', pageInIfRoom, { passive: true });

  /** @param {State} s */
  function renderHeader(s) {
    const e = entry();
    if (!e) return;
    const me = s.me?.user_id ?? null;
    const title = chatTitle(e, me, s.people.contacts);
    if (heading.textContent !== title) heading.textContent = title;
    headerAvatar.set(chatPerson(e, me, s.people.contacts), title, e.picture, e.chat.kind === 'assistant');
    const typing = typingText(e, s.people.contacts, Date.now());
    const group = e.chat.kind === 'group';
    const sub = typing ?? (group ? `${e.chat.members.length} members` : 'End-to-end encrypted');
    if (subtitle.textContent !== sub) subtitle.textContent = sub;
    subtitle.classList.toggle('typing', Boolean(typing));
    setChildren(infoButton, group ? 'Group info' : 'Contact');
    const other = group ? null : otherMember(e, me);
    infoButton.hidden = !group && !(other && s.people.contacts.some((c) => c.user_id === other.user_id));
    renderBanner(s, e, other);
    timer.update(s, e);
  }

  /**
   * A direct chat warns when the other person's signing key is not the one first seen
   * here: someone may be reading along, or they set up a new account.
   * @param {State} s @param {ChatEntry} e @param {import('../core/api.js').ChatMember | null} other
   */
  function renderBanner(s, e, other) {
    const pinned = other ? s.chats.pins[other.user_id] : undefined;
    const changed = Boolean(other && pinned && pinned !== other.ed25519_public);
    banner.hidden = !changed;
    if (!changed || !other || banner.getAttribute('data-key') === other.ed25519_public) return;
    banner.setAttribute('data-key', other.ed25519_public);
    const name = personName(e, other.user_id, s.people.contacts);
    setChildren(banner,
      h('p', null, h('strong', null, `${name}'s safety number has changed. `),
        'Their key is not the one this browser saw before. Compare your safety number again before trusting new messages.'),
      h('div', { class: 'entry-actions' },
        h('button', { type: 'button', class: 'button', onclick: () => show({ kind: 'contact', userId: other.user_id }) },
          'Show safety number'),
        h('button', { type: 'button', class: 'button', onclick: () => chats.trustKey(other.user_id, other.ed25519_public) },
          'I have compared it')));
  }

  root.replaceChildren(view);
  renderHeader(state);
  renderList();
  compose.input.value = drafts.get(chatId) ?? '';
  drafts.delete(chatId);
  compose.input.focus();
  // A result chosen in the Ctrl+K switcher: go to it.
  const stopJumps = onJump(chatId, jumpToMessage);

  // "X is typing…" ends on its own; the header re-reads the clock when the state says so.
  /** @param {State} s @param {State | null} prev */
  function update(s, prev) {
    current = s;
    const e = s.chats.byId[chatId];
    const before = prev?.chats.byId[chatId];
    if (!e) return;
    if (e !== before || s.people.contacts !== prev?.people.contacts || s.chats.pins !== prev?.chats.pins) renderHeader(s);
    if (e !== before || s.chats.hidden !== prev?.chats.hidden || s.people.contacts !== prev?.people.contacts) {
      renderList();
      search.update();
    }
  }

  return {
    update,
    unmount() {
      closeActionsMenu();
      if (compose.input.value.trim()) drafts.set(chatId, compose.input.value);
      tray.unmount();
      voice.unmount();
      search.unmount();
      stopJumps();
      view.remove();
    },
  };
}
