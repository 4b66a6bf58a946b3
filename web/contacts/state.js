// @ts-check
// The people part of the state: contacts, requests both ways, blocked users, the
// connect key and whether the live socket is up. Snapshots from the API and events
// from the socket both land here; every event is an idempotent upsert or removal, so
// replaying one that a snapshot already contains changes nothing.

import { nameOf } from '../core/format.js';

/** @typedef {import('../core/api.js').Contact} Contact */
/** @typedef {import('../core/api.js').IncomingRequest} IncomingRequest */
/** @typedef {import('../core/api.js').OutgoingRequest} OutgoingRequest */
/** @typedef {import('../core/api.js').Blocked} Blocked */
/** @typedef {import('../core/api.js').ConnectKey} ConnectKey */
/** @typedef {import('../core/socket.js').ServerEvent} ServerEvent */
/** @typedef {import('../core/socket.js').SocketStatus} SocketStatus */

/**
 * @typedef {object} People
 * @property {boolean} loaded           a first snapshot has arrived
 * @property {string | null} error      why the last snapshot failed, shown until the next one
 * @property {Contact[]} contacts       sorted by the name shown
 * @property {IncomingRequest[]} incoming  newest first
 * @property {OutgoingRequest[]} outgoing  newest first
 * @property {Blocked[]} blocked
 * @property {ConnectKey | null} connectKey
 * @property {SocketStatus} socket
 */

/**
 * @typedef {{type: 'people_loaded', contacts: Contact[], incoming: IncomingRequest[],
 *     outgoing: OutgoingRequest[], blocked: Blocked[]}
 *   | {type: 'people_failed', error: string}
 *   | {type: 'blocked_loaded', blocked: Blocked[]}
 *   | {type: 'connect_key', key: ConnectKey}
 *   | {type: 'socket', status: SocketStatus}
 *   | {type: 'live', event: ServerEvent, at?: number}} PeopleEvent
 */

/** @type {People} */
export const emptyPeople = Object.freeze({
  loaded: false, error: null, contacts: [], incoming: [], outgoing: [], blocked: [], connectKey: null,
  socket: 'connecting',
});

/** @param {Contact} a @param {Contact} b */
const byName = (a, b) => nameOf(a).localeCompare(nameOf(b)) || a.username.localeCompare(b.username);
/** @template {{created_at: number}} T @param {T} a @param {T} b */
const newestFirst = (a, b) => b.created_at - a.created_at;

/**
 * @template T
 * @param {T[]} list @param {T} item @param {(x: T) => string} key @param {(a: T, b: T) => number} order
 */
function upsert(list, item, key, order) {
  return [...list.filter((x) => key(x) !== key(item)), item].sort(order);
}

/**
 * @template T
 * @param {T[]} list @param {unknown} id @param {(x: T) => string} key
 */
function without(list, id, key) {
  const next = list.filter((x) => key(x) !== id);
  return next.length === list.length ? list : next;
}

/** @template {{id: string}} T @param {T} r */
const requestId = (r) => r.id;
/** @template {{user_id: string}} T @param {T} c */
const userId = (c) => c.user_id;

/**
 * @template {keyof People} K
 * @param {People} people @param {K} field @param {People[K]} list
 * @returns {People} the same object when nothing changed, so views skip the render
 */
const withList = (people, field, list) => (people[field] === list ? people : { ...people, [field]: list });

/**
 * A server event applied to the people state. Unknown types and malformed frames leave
 * it as it is: a newer server may send more than this client knows.
 * @param {People} people @param {ServerEvent} event @returns {People}
 */
function applyLive(people, event) {
  const e = /** @type {any} */ (event);
  switch (e.type) {
    case 'request.received':
      if (!e.request?.id) return people;
      return { ...people, incoming: upsert(people.incoming, e.request, requestId, newestFirst) };
    case 'request.removed':
      return withList(people, 'incoming', without(people.incoming, e.id, requestId));
    case 'outgoing.added':
      if (!e.request?.id) return people;
      return { ...people, outgoing: upsert(people.outgoing, e.request, requestId, newestFirst) };
    case 'outgoing.removed':
      return withList(people, 'outgoing', without(people.outgoing, e.id, requestId));
    case 'contact.added':
    case 'contact.updated':
      if (!e.contact?.user_id) return people;
      return { ...people, contacts: upsert(people.contacts, e.contact, userId, byName) };
    case 'contact.removed':
      return withList(people, 'contacts', without(people.contacts, e.user_id, userId));
    default:
      return people;
  }
}

/** @param {People} people @param {PeopleEvent} event @returns {People} */
export function reducePeople(people, event) {
  switch (event.type) {
    case 'people_loaded':
      return {
        ...people,
        loaded: true,
        error: null,
        contacts: [...event.contacts].sort(byName),
        incoming: [...event.incoming].sort(newestFirst),
        outgoing: [...event.outgoing].sort(newestFirst),
        blocked: event.blocked,
      };
    case 'people_failed':
      return { ...people, error: event.error };
    case 'blocked_loaded':
      return { ...people, blocked: event.blocked };
    case 'connect_key':
      return { ...people, connectKey: event.key };
    case 'socket':
      return people.socket === event.status ? people : { ...people, socket: event.status };
    case 'live':
      return applyLive(people, event.event);
    default:
      return people;
  }
}

/** @param {People} people @param {string | null | undefined} id */
export const findContact = (people, id) => people.contacts.find((c) => c.user_id === id) ?? null;
