// @ts-check
// The tab's one WebSocket to /api/ws (docs/api.md, "Real-time"). It only keeps the pipe
// open: it parses frames and hands them on, and reports every (re)open so the caller
// can re-fetch what it may have missed while the pipe was down. What the events mean
// is the store's business.

const PING_EVERY_MS = 25_000;
// A socket silent for two ping rounds is dead even if the browser has not noticed
// (a laptop waking up, a NAT forgetting us): drop it and dial again.
const SILENT_LIMIT_MS = 2 * PING_EVERY_MS + 5_000;
const BACKOFF_BASE_MS = 500;
const BACKOFF_CAP_MS = 30_000;
// Only a connection that stayed up this long resets the backoff; otherwise a server
// that accepts and drops at once (1013 under load) would be hammered.
const STABLE_MS = 30_000;

/** @typedef {{type: string, [field: string]: unknown}} ServerEvent */
/** @typedef {'connecting' | 'open' | 'offline'} SocketStatus */

/**
 * @typedef {object} SocketHandlers
 * @property {(event: ServerEvent) => void} onEvent   every frame except pong
 * @property {() => void} onOpen                      after every successful (re)connect
 * @property {(status: SocketStatus) => void} [onStatus]
 * @property {(neverOpened: boolean) => void} [onDrop] the socket closed; neverOpened when the handshake failed
 */

/** Delay before attempt n (0-based): capped exponential, half fixed and half random. @param {number} attempt */
export function backoff(attempt, random = Math.random) {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** @param {Location} loc */
export const socketUrl = (loc) => `${loc.protocol === 'https:' ? 'wss:' : 'ws:'}//${loc.host}/api/ws`;

/**
 * Opens the socket and keeps it open until close() is called.
 * @param {SocketHandlers} handlers
 */
export function openSocket({ onEvent, onOpen, onStatus = () => {}, onDrop = () => {} }) {
  /** @type {WebSocket | null} */
  let ws = null;
  let attempt = 0;
  let closed = false;
  let openedAt = 0;
  let lastHeard = 0;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let retryTimer;
  /** @type {ReturnType<typeof setInterval> | undefined} */
  let pingTimer;

  function dial() {
    if (closed) return;
    clearTimeout(retryTimer);
    onStatus('connecting');
    const socket = new WebSocket(socketUrl(location));
    ws = socket;
    openedAt = 0;
    socket.onopen = () => {
      openedAt = lastHeard = Date.now();
      onStatus('open');
      pingTimer = setInterval(ping, PING_EVERY_MS);
      onOpen();
    };
    socket.onmessage = (msg) => {
      lastHeard = Date.now();
      if (typeof msg.data !== 'string') return;
      let event;
      try {
        event = JSON.parse(msg.data);
      } catch {
        return;
      }
      if (event && typeof event.type === 'string' && event.type !== 'pong') onEvent(event);
    };
    // 1013 ("try again later": this tab fell behind) needs nothing special: every close
    // that we did not ask for is a reconnect, and every reconnect re-fetches.
    socket.onclose = () => drop(socket);
    // An error is always followed by close; there is nothing to add here.
    socket.onerror = () => {};
  }

  /** @param {WebSocket} socket */
  function drop(socket) {
    if (socket !== ws) return;
    socket.onopen = socket.onmessage = socket.onclose = null;
    clearInterval(pingTimer);
    ws = null;
    if (closed) return;
    const neverOpened = openedAt === 0;
    if (!neverOpened && Date.now() - openedAt >= STABLE_MS) attempt = 0;
    onStatus('offline');
    onDrop(neverOpened);
    retryTimer = setTimeout(dial, backoff(attempt++));
  }

  function ping() {
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    if (Date.now() - lastHeard > SILENT_LIMIT_MS) {
      const dead = ws;
      drop(dead);
      dead.close();
      return;
    }
    ws.send(JSON.stringify({ type: 'ping' }));
  }

  // Back online: dial now instead of waiting out the backoff.
  const onOnline = () => {
    if (!ws && !closed) {
      attempt = 0;
      dial();
    }
  };
  globalThis.addEventListener?.('online', onOnline);

  dial();

  return {
    isOpen: () => ws?.readyState === WebSocket.OPEN,
    /** @param {object} frame @returns {boolean} false when there is no open socket to take it */
    send(frame) {
      if (!ws || ws.readyState !== WebSocket.OPEN) return false;
      ws.send(JSON.stringify(frame));
      return true;
    },
    /**
     * Stops for good. Resolves once the server has seen the close, so a logout that
     * follows cannot race the socket's own handshake (at most a couple of seconds).
     * @returns {Promise<void>}
     */
    close() {
      closed = true;
      clearTimeout(retryTimer);
      clearInterval(pingTimer);
      globalThis.removeEventListener?.('online', onOnline);
      const socket = ws;
      ws = null;
      if (!socket) return Promise.resolve();
      socket.onmessage = null;
      return new Promise((resolve) => {
        const done = setTimeout(resolve, 2_000);
        socket.onclose = () => {
          clearTimeout(done);
          resolve();
        };
        // Closing a socket that is still connecting makes Chromium log an error; let
        // it finish its handshake and close it then.
        if (socket.readyState === WebSocket.CONNECTING) socket.onopen = () => socket.close(1000);
        else {
          socket.onopen = null;
          socket.close(1000);
        }
      });
    },
  };
}
