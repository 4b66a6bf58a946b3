// @ts-check
// The logged-in frame: a header with Add contact, Requests and the profile menu; a
// sidebar with chats and contacts; and the main pane, which shows whichever page the
// state names (state.pane). Ctrl+K opens the quick switcher from anywhere.

import { groupKey, isKey, normalizeKey } from './contacts/connect.js';
import { openAddContact } from './contacts/add-dialog.js';
import { mountAssistantView } from './assistant/view.js';
import { chatList } from './chats/list.js';
import { forgetDrafts, mountChatView } from './chats/view.js';
import { mountConnectKey } from './contacts/connect-key.js';
import { mountInvites } from './contacts/invites.js';
import { mountContactPage } from './contacts/page.js';
import { contactsList } from './contacts/list.js';
import { closeAllDialogs } from './ui/dialog.js';
import { chatDrawer } from './ui/drawer.js';
import { h, setChildren, uid } from './ui/dom.js';
import { mountGroupInfo } from './chats/group-info.js';
import { profileMenu } from './settings/menu.js';
import { mountRequests } from './contacts/requests.js';
import { mountSettings } from './settings/view.js';
import { openNewGroup } from './chats/new-group.js';
import { openSwitcher } from './chats/switcher.js';

/** @typedef {import('./core/state.js').State} State */
/** @typedef {import('./core/state.js').Pane} Pane */
/**
 * @typedef {object} ShellActions
 * @property {() => void} logout
 * @property {(pane: Pane) => void} show
 * @property {() => void} connectLinkUsed
 * @property {import('./contacts/actions.js').PeopleActions} people
 * @property {import('./chats/actions.js').ChatActions} chats
 * @property {import('./assistant/actions.js').AssistantActions} assistant
 * @property {import('./accounts/actions.js').AccountActions} account
 */

/** @param {Pane} pane */
function paneKey(pane) {
  if (pane.kind === 'contact') return `contact:${pane.userId}`;
  if (pane.kind === 'chat' || pane.kind === 'group') return `${pane.kind}:${pane.chatId}`;
  return pane.kind;
}

/** What a "#connect=" link puts in the Add contact field. @param {string} raw */
function prefillFor(raw) {
  const key = normalizeKey(raw);
  // Not a key after all: keep it a link, so sending it reports a malformed key rather
  // than trying it as a username.
  return isKey(key) ? groupKey(key) : `${location.origin}/#connect=${raw}`;
}

/** @param {HTMLElement} root @param {{state: State, actions: ShellActions}} p */
export function mountShell(root, { state, actions }) {
  const { people, chats } = actions;
  const home = () => actions.show({ kind: 'home' });
  const openChat = (/** @type {string} */ chatId) => actions.show({ kind: 'chat', chatId });
  /** The direct chat of a contact; it may not have reached this tab yet. @param {string} chatId */
  async function message(chatId) {
    await chats.ensureChat(chatId);
    openChat(chatId);
  }

  const addButton = h('button', { type: 'button', class: 'button primary', onclick: () => openAdd(addButton) },
    h('span', { class: 'plus', 'aria-hidden': 'true' }), h('span', { class: 'button-label' }, 'Add contact'));
  /** @param {HTMLElement} opener @param {string} [prefill] */
  function openAdd(opener, prefill) {
    closeAllDialogs();
    // Invite links, where the server lets users make them.
    const invite = current.config?.user_invites === false ? undefined : () => actions.show({ kind: 'invites' });
    openAddContact({ send: people.sendRequest, prefill, invite, returnFocus: opener.isConnected ? opener : addButton });
  }

  const badge = h('span', { class: 'badge', 'aria-hidden': 'true', hidden: true });
  const requestsButton = h('button', { type: 'button', class: 'button quiet', 'aria-label': 'Requests',
    onclick: () => actions.show({ kind: 'requests' }) }, 'Requests', badge);
  const liveStatus = h('p', { class: 'live-status', role: 'status' });

  const menu = profileMenu({
    state,
    logout: actions.logout,
    showKey: () => actions.show({ kind: 'key' }),
    showInvites: state.config?.user_invites === false ? undefined : () => actions.show({ kind: 'invites' }),
    showSettings: () => actions.show({ kind: 'settings' }),
  });

  const chatsNav = chatList({
    state,
    open: openChat,
    newGroup: (opener) => {
      closeAllDialogs();
      openNewGroup({ contacts: current.people.contacts, create: chats.createGroup, opened: openChat, returnFocus: opener });
    },
  });
  const contacts = contactsList({
    state,
    open: (userId) => actions.show({ kind: 'contact', userId }),
    add: (opener) => openAdd(opener),
  });
  const homeTitleId = uid('home-title');
  const homeTitle = h('h2', { id: homeTitleId, class: 'empty-title', tabindex: -1 }, 'Private by design');
  const homeView = h('div', { class: 'placeholder' },
    homeTitle,
    h('p', { class: 'muted' }, 'Messages are end-to-end encrypted and disappear from the server within 72 hours.'));
  const main = h('main', { class: 'conversation', 'aria-label': 'Conversation' });
  const sidebar = h('div', { class: 'sidebar', id: uid('sidebar') }, chatsNav.view, contacts.view);
  const layout = h('div', { class: 'layout' }, sidebar, main);
  const drawer = chatDrawer({ layout, sidebar });
  const view = h('div', { class: 'shell' },
    h('header', { class: 'topbar' },
      h('div', { class: 'topbar-start' }, drawer.button,
        h('p', { class: 'brand' }, h('img', { src: '/favicon.svg', alt: '', width: 24, height: 24 }), 'MessGo')),
      h('div', { class: 'topbar-actions' }, liveStatus, addButton, requestsButton, menu.view)),
    layout);
  root.replaceChildren(view);
  chatsNav.title.focus();
  let current = state;

  /** The Ctrl+K switcher, told of new states while it is open (its message results follow them). */
  let switcher = /** @type {{update: () => void} | null} */ (null);
  /** @param {KeyboardEvent} e */
  const onKey = (e) => {
    if ((e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey && e.key.toLowerCase() === 'k') {
      e.preventDefault();
      closeAllDialogs();
      switcher = openSwitcher({ state: current, open: openChat, live: () => current, loadOlder: chats.loadOlder });
    }
  };
  document.addEventListener('keydown', onKey);

  /** @type {{key: string, update: (s: State, prev: State | null) => void, unmount: () => void}} */
  let pane = { key: '', update() {}, unmount() {} };

  /** @param {State} s @param {State | null} prev */
  function renderPane(s, prev) {
    const p0 = s.pane;
    // A chat that has not reached this tab yet shows the start page until it does.
    const waiting = (p0.kind === 'chat' || p0.kind === 'group') && !s.chats.byId[p0.chatId];
    const assistantChat = p0.kind === 'chat' && s.chats.byId[p0.chatId]?.chat.kind === 'assistant';
    const key = paneKey(p0) + (waiting ? ':waiting' : '') + (assistantChat ? ':assistant' : '');
    if (key === pane.key) return pane.update(s, prev);
    const hadFocus = main.contains(document.activeElement);
    pane.unmount();
    const ctx = { state: s, people, chats, show: actions.show, close: home, account: actions.account };
    const p = s.pane;
    main.classList.toggle('chat-open', p.kind === 'chat');
    let mounted;
    if (p.kind === 'requests') mounted = mountRequests(main, ctx);
    else if (p.kind === 'settings') mounted = mountSettings(main, ctx);
    else if (p.kind === 'key') mounted = mountConnectKey(main, ctx);
    else if (p.kind === 'invites') mounted = mountInvites(main, ctx);
    else if (p.kind === 'contact') mounted = mountContactPage(main, { ...ctx, userId: p.userId, message });
    else if (p.kind === 'chat' && assistantChat) mounted = mountAssistantView(main, { ...ctx, chatId: p.chatId, assistant: actions.assistant });
    else if (p.kind === 'chat' && s.chats.byId[p.chatId]) mounted = mountChatView(main, { ...ctx, chatId: p.chatId });
    else if (p.kind === 'group' && s.chats.byId[p.chatId]) mounted = mountGroupInfo(main, { ...ctx, chatId: p.chatId });
    else {
      main.replaceChildren(homeView);
      // Back home from a page the user was in: keep the keyboard where the content is.
      if (hadFocus || document.activeElement === document.body) homeTitle.focus();
      mounted = { update() {}, unmount: () => homeView.remove() };
    }
    pane = { key, ...mounted };
  }

  let linkTaken = /** @type {string | null} */ (null);

  /** @param {State} s @param {State | null} prev */
  function update(s, prev) {
    current = s;
    const count = s.people.incoming.length;
    if (count !== prev?.people.incoming.length) {
      setChildren(badge, count > 0 ? String(count) : '');
      badge.hidden = count === 0;
      requestsButton.setAttribute('aria-label', count > 0 ? `Requests (${count} incoming)` : 'Requests');
    }
    if (s.pane !== prev?.pane) {
      if (s.pane.kind === 'requests') requestsButton.setAttribute('aria-current', 'page');
      else requestsButton.removeAttribute('aria-current');
      layout.classList.toggle('pane-open', s.pane.kind !== 'home');
      drawer.close();
    }
    if (s.people.socket !== prev?.people.socket) {
      setChildren(liveStatus, s.people.socket === 'offline' ? 'Offline, reconnecting…' : '');
    }
    menu.update(s);
    contacts.update(s, prev);
    chatsNav.update(s, prev);
    renderPane(s, prev);
    if (s.chats !== prev?.chats) switcher?.update();
    // A "#connect=" link: open Add contact with it once, after this render is done.
    const link = s.pendingConnect;
    if (link && link !== linkTaken) {
      linkTaken = link;
      queueMicrotask(() => {
        actions.connectLinkUsed();
        openAdd(addButton, prefillFor(link));
      });
    } else if (!link) linkTaken = null;
  }
  update(state, null);

  return {
    update,
    unmount() {
      document.removeEventListener('keydown', onKey);
      closeAllDialogs();
      pane.unmount();
      forgetDrafts();
      menu.unmount();
      drawer.unmount();
      view.remove();
    },
  };
}
