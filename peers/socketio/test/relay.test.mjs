// Runs server.js as a child process on a free port (readiness is its "listening on"
// line, never a sleep) and drives it with the official socket.io-client over WebSocket.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { io } from 'socket.io-client';

const serverPath = fileURLToPath(new URL('../server.js', import.meta.url));
const TIMEOUT = { timeout: 10_000 };

let child;
let exited;
let url;
const clients = [];

before(async () => {
  child = spawn(process.execPath, [serverPath], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PORT: '0' },
  });
  exited = once(child, 'exit');
  let output = '';
  url = await new Promise((resolve, reject) => {
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        output += line + '\n';
        const found = stream === child.stdout && line.match(/^listening on (http:\/\/127\.0\.0\.1:\d+)$/);
        if (found) resolve(found[1]);
      });
    }
    child.once('error', reject);
    exited.then(([code, signal]) =>
      reject(new Error(`server exited (code ${code}, signal ${signal}) before listening:\n${output}`)));
  });
});

after(async () => {
  for (const c of clients) c.close();
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  const [code, signal] = await exited;
  assert.equal(signal, null);
  assert.equal(code, 0, 'server exits 0 on SIGTERM');
});

/** A client that records every event it receives, in order. */
function client(auth) {
  const socket = io(url, { transports: ['websocket'], auth, reconnection: false, forceNew: true });
  socket.events = [];
  socket.onAny((event, ...args) => socket.events.push([event, ...args]));
  clients.push(socket);
  return socket;
}

async function connected(auth) {
  const socket = client(auth);
  await Promise.race([
    once(socket, 'connect'),
    once(socket, 'connect_error').then(([err]) => { throw err; }),
  ]);
  return socket;
}

/** Resolves with the first `message` whose id is `id` (listening starts before the send). */
function messageWithId(socket, id) {
  return new Promise((resolve) => {
    const onMessage = (msg) => {
      if (msg?.id !== id) return;
      socket.off('message', onMessage);
      resolve(msg);
    };
    socket.on('message', onMessage);
  });
}

test('a send is acked with its id and relayed to every other socket of every member', TIMEOUT, async () => {
  const a = await connected({ user: 'alice', rooms: ['r1'] });
  const aOtherTab = await connected({ user: 'alice', rooms: ['r1'] });
  const b = await connected({ user: 'bob', rooms: ['r1', 'other'] });

  const atOtherTab = messageWithId(aOtherTab, 'm1');
  const atB = messageWithId(b, 'm1');
  const ack = await a.emitWithAck('send', { room: 'r1', id: 'm1', payload: 'hello' });
  assert.deepEqual(ack, { id: 'm1' });

  const expected = { room: 'r1', id: 'm1', sender: 'alice', payload: 'hello' };
  assert.deepEqual(await atOtherTab, expected);
  assert.deepEqual(await atB, expected);
  // b's reply reaches a after anything relayed before it: a never got its own back.
  const reply = messageWithId(a, 'm1b');
  await b.emitWithAck('send', { room: 'r1', id: 'm1b', payload: 'hi' });
  await reply;
  assert.deepEqual(a.events, [['message', { room: 'r1', id: 'm1b', sender: 'bob', payload: 'hi' }]]);
});

test('a send to a room the sender is not in is refused and relayed to nobody', TIMEOUT, async () => {
  const a = await connected({ user: 'alice', rooms: ['r1', 'r2'] });
  const b = await connected({ user: 'bob', rooms: ['r1', 'r2'] });
  const c = await connected({ user: 'carol', rooms: ['r2'] });

  const refused = await c.emitWithAck('send', { room: 'r1', id: 'x1', payload: 'intruder' });
  assert.deepEqual(refused, { id: 'x1', error: 'not_member' });

  // Each connection is one ordered stream and the server handles c's sends in order, so
  // had x1 been relayed it would arrive before this one: the r2 message must be the
  // first event anyone has received.
  const arrivals = [a, b].map((s) => messageWithId(s, 'm2'));
  assert.deepEqual(await c.emitWithAck('send', { room: 'r2', id: 'm2', payload: 'ok' }), { id: 'm2' });
  await Promise.all(arrivals);
  const expected = ['message', { room: 'r2', id: 'm2', sender: 'carol', payload: 'ok' }];
  for (const s of [a, b]) assert.deepEqual(s.events, [expected]);
  assert.deepEqual(c.events, [], 'the sender has its ack, and nothing else');
});

test('a malformed send is acked invalid and relayed to nobody', TIMEOUT, async () => {
  const a = await connected({ user: 'alice', rooms: ['r3'] });
  const b = await connected({ user: 'bob', rooms: ['r3'] });
  for (const bad of [
    null,
    'r3',
    { room: 'r3', id: 'm', payload: 42 },
    { room: 'r3', id: 7, payload: 'p' },
    { room: 'r3', id: 'x'.repeat(65), payload: 'p' },
    { room: 'r3', id: 'm', payload: 'x'.repeat(96 * 1024 + 1) },
  ]) {
    assert.deepEqual(await a.emitWithAck('send', bad), { error: 'invalid' });
  }
  // The largest allowed payload still goes through, and it is the first thing received.
  const big = 'x'.repeat(96 * 1024);
  const arrival = messageWithId(b, 'big');
  assert.deepEqual(await a.emitWithAck('send', { room: 'r3', id: 'big', payload: big }), { id: 'big' });
  await arrival;
  assert.deepEqual(b.events, [['message', { room: 'r3', id: 'big', sender: 'alice', payload: big }]]);
});

test('connecting without valid auth fails with connect_error', TIMEOUT, async () => {
  for (const auth of [
    undefined,
    {},
    { user: 'dave' },
    { user: '', rooms: [] },
    { user: 'x'.repeat(65), rooms: [] },
    { user: 'dave', rooms: 'r1' },
    { user: 'dave', rooms: [''] },
    { user: 'dave', rooms: [1] },
    { user: 'dave', rooms: Array.from({ length: 2001 }, (_, i) => `r${i}`) },
  ]) {
    const socket = client(auth);
    const [err] = await once(socket, 'connect_error');
    assert.equal(err.message, 'invalid auth', JSON.stringify(auth)?.slice(0, 80));
    assert.equal(socket.connected, false);
    socket.close();
  }
  // The limits themselves are accepted.
  const ok = await connected({ user: 'x'.repeat(64), rooms: Array.from({ length: 2000 }, (_, i) => `r${i}`) });
  assert.equal(ok.connected, true);
});
