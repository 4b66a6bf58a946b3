// Benchmark peer for MessGo: a minimal Socket.IO 4 relay doing the same job MessGo's
// realtime path does (one room per chat, every member's sessions get each message but
// the socket it came from, which gets an ack) but storing nothing, so the load generator can compare the
// two on equal terms. WebSocket transport only, standard Engine.IO v4 / Socket.IO v5
// wire protocol; see README.md.
import { createServer } from 'node:http';
import { Server } from 'socket.io';

const HOST = '127.0.0.1';
const MAX_NAME = 64; // user, room and message id length (UTF-16 code units, i.e. chars for ASCII)
const MAX_ROOMS = 2000;
const MAX_PAYLOAD_BYTES = 96 * 1024; // UTF-8 bytes of the payload string

const port = Number(process.env.PORT ?? 0);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`invalid PORT: ${process.env.PORT}`);
  process.exit(2);
}

const isName = (v) => typeof v === 'string' && v.length >= 1 && v.length <= MAX_NAME;
const isObject = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);

// Socket.IO answers /socket.io/; anything else gets a 404 instead of hanging.
const httpServer = createServer((req, res) => {
  res.writeHead(404).end();
});
const io = new Server(httpServer, {
  transports: ['websocket'],
  maxHttpBufferSize: 128 * 1024,
  perMessageDeflate: false,
  serveClient: false,
  // No `cors` option: no CORS headers are sent (the peer is only driven by non-browser clients).
});

// Handshake: auth must be { user, rooms }. A failed check answers the namespace
// CONNECT with a CONNECT_ERROR ("invalid auth") and the socket never connects.
io.use((socket, next) => {
  const auth = socket.handshake.auth;
  if (
    !isObject(auth) ||
    !isName(auth.user) ||
    !Array.isArray(auth.rooms) ||
    auth.rooms.length > MAX_ROOMS ||
    !auth.rooms.every(isName)
  ) {
    return next(new Error('invalid auth'));
  }
  socket.data.user = auth.user;
  socket.data.rooms = new Set(auth.rooms);
  next();
});

io.on('connection', (socket) => {
  const { user, rooms } = socket.data;
  socket.join([...rooms]);

  socket.on('send', (...args) => {
    const ack = args[args.length - 1];
    if (typeof ack !== 'function') return; // no ack requested: ignore
    const msg = args[0];
    if (
      !isObject(msg) ||
      !isName(msg.room) ||
      !isName(msg.id) ||
      typeof msg.payload !== 'string' ||
      Buffer.byteLength(msg.payload, 'utf8') > MAX_PAYLOAD_BYTES
    ) {
      return ack({ error: 'invalid' });
    }
    const { room, id, payload } = msg;
    // Membership is the auth room list (not socket.rooms, which also holds the socket's own id).
    if (!rooms.has(room)) return ack({ id, error: 'not_member' });
    // Every socket in the room but the sending one, as MessGo does: the sender's other
    // sessions get it, the socket it came from gets its ack instead.
    socket.to(room).emit('message', { room, id, sender: user, payload });
    ack({ id });
  });
});

let closing = false;
function shutdown() {
  if (closing) return;
  closing = true;
  // Exit even if some peer never completes the WebSocket close handshake.
  setTimeout(() => process.exit(0), 2000).unref();
  io.close(() => process.exit(0));
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

httpServer.listen(port, HOST, () => {
  console.log(`listening on http://${HOST}:${httpServer.address().port}`);
});
