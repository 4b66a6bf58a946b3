// The people state: snapshots and socket events meet here, and replaying an event a
// snapshot already holds must change nothing (the client replays events that arrived
// while a snapshot was in flight).
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { emptyPeople, reducePeople } from '../contacts/state.js';
import { initialState, reduce } from '../core/state.js';

const contact = (user_id, username, display_name = null) => ({
  user_id, username, display_name, x25519_public: 'x', ed25519_public: 'e', connected_at: 1, chat_id: null,
});
const incoming = (id, created_at) => ({ id, from: { user_id: `u-${id}`, username: `n${id}`, ed25519_public: 'e' },
  created_at, expires_at: created_at + 1 });
const live = (event) => ({ type: 'live', event });

const loaded = reducePeople(emptyPeople, {
  type: 'people_loaded', contacts: [contact('2', 'zed'), contact('1', 'amy')],
  incoming: [incoming('a', 1), incoming('b', 2)], outgoing: [], blocked: [],
});

test('a snapshot sorts contacts by shown name and requests newest first', () => {
  assert.ok(loaded.loaded);
  assert.deepEqual(loaded.contacts.map((c) => c.username), ['amy', 'zed']);
  assert.deepEqual(loaded.incoming.map((r) => r.id), ['b', 'a']);
});

test('events are idempotent upserts and removals', () => {
  const again = reducePeople(loaded, live({ type: 'request.received', request: incoming('a', 1) }));
  assert.deepEqual(again.incoming.map((r) => r.id), ['b', 'a']);
  const removed = reducePeople(loaded, live({ type: 'request.removed', id: 'a' }));
  assert.deepEqual(removed.incoming.map((r) => r.id), ['b']);
  assert.equal(reducePeople(removed, live({ type: 'request.removed', id: 'a' })), removed, 'removing twice is a no-op');

  const renamed = reducePeople(loaded, live({ type: 'contact.updated', contact: contact('2', 'zed', 'Aaron') }));
  assert.deepEqual(renamed.contacts.map((c) => c.display_name ?? c.username), ['Aaron', 'amy']);
  const gone = reducePeople(renamed, live({ type: 'contact.removed', user_id: '2' }));
  assert.deepEqual(gone.contacts.map((c) => c.username), ['amy']);
});

test('unknown or malformed events change nothing', () => {
  assert.equal(reducePeople(loaded, live({ type: 'chat.message', body: 'x' })), loaded);
  assert.equal(reducePeople(loaded, live({ type: 'contact.added' })), loaded);
  assert.equal(reducePeople(loaded, live({ type: 'outgoing.added', request: null })), loaded);
});

test('the open contact page closes when that contact goes, and everything goes on sign-out', () => {
  const me = { user_id: 'me', username: 'me' };
  let s = reduce(initialState, { type: 'signed_in', me });
  s = reduce(s, { type: 'people_loaded', contacts: [contact('1', 'amy')], incoming: [], outgoing: [], blocked: [] });
  s = reduce(s, { type: 'show', pane: { kind: 'contact', userId: '1' } });
  s = reduce(s, live({ type: 'contact.removed', user_id: '1' }));
  assert.deepEqual(s.pane, { kind: 'home' });
  assert.deepEqual(s.people.contacts, []);

  s = reduce(s, live({ type: 'profile.updated', display_name: 'Me!' }));
  assert.equal(s.me?.display_name, 'Me!');
  s = reduce(s, { type: 'connect_link', key: 'k' });
  s = reduce(s, { type: 'signed_out' });
  assert.equal(s.people, emptyPeople);
  assert.equal(s.pendingConnect, 'k', 'a link opened while signed out waits for the sign-in');
});
