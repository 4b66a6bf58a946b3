// @ts-check
// The Requests page: requests to you, with the safety number you would share once
// connected, and requests you sent. A sent request looks the same until it is
// accepted or you cancel it, whatever the other side did: that is what keeps a
// decline (or a username that does not exist) invisible.

import { describeTarget } from './connect.js';
import { fullDate, timeAgo } from '../core/format.js';
import { confirmDialog } from '../ui/dialog.js';
import { h, keyed, setChildren, uid } from '../ui/dom.js';
import { paneFrame } from '../ui/pane.js';
import { safetyNumberView } from './safety.js';

/** @typedef {import('../core/state.js').State} State */
/** @typedef {import('../core/api.js').IncomingRequest} IncomingRequest */
/** @typedef {import('../core/api.js').OutgoingRequest} OutgoingRequest */
/** @typedef {import('./actions.js').PeopleActions} PeopleActions */
/** @typedef {import('../core/outcome.js').Outcome} Outcome */

const AGE_REFRESH_MS = 30_000;

/** @param {number} at */
const age = (at) => h('time', { class: 'age', datetime: new Date(at).toISOString(), title: fullDate(at), 'data-at': at },
  timeAgo(at));

/**
 * @param {HTMLElement} root
 * @param {{state: State, people: PeopleActions, close: () => void}} p
 */
export function mountRequests(root, { state, people, close }) {
  const alert = h('p', { class: 'form-error', role: 'alert' });
  const ids = { incoming: uid('incoming'), outgoing: uid('outgoing') };
  const incomingList = h('ul', { class: 'entries', tabindex: -1, 'aria-labelledby': ids.incoming });
  const outgoingList = h('ul', { class: 'entries', tabindex: -1, 'aria-labelledby': ids.outgoing });
  const incomingEmpty = h('p', { class: 'muted' }, 'No one has asked to connect with you.');
  const outgoingEmpty = h('p', { class: 'muted' }, 'You have no pending requests.');

  /**
   * Runs one action with the entry's buttons disabled; says so if it failed.
   * @param {HTMLElement} entry @param {() => Promise<Outcome>} run
   */
  async function busy(entry, run) {
    const buttons = [...entry.querySelectorAll('button')];
    for (const b of buttons) b.disabled = true;
    setChildren(alert);
    const outcome = await run();
    for (const b of buttons) b.disabled = false;
    if (!outcome.ok) setChildren(alert, outcome.error);
  }

  /** @param {IncomingRequest} r */
  function incoming(r) {
    const name = r.from.username;
    /** @type {HTMLLIElement} */
    const entry = h('li', { class: 'entry' },
      h('div', { class: 'entry-head' }, h('strong', { class: 'entry-name' }, name), age(r.created_at)),
      h('p', { class: 'hint' }, `Safety number you and ${name} will share:`),
      safetyNumberView(people.safetyNumber(r.from), `Safety number with ${name}`),
      h('div', { class: 'entry-actions' },
        h('button', { type: 'button', class: 'button primary', 'aria-label': `Accept request from ${name}`,
          onclick: () => busy(entry, () => people.accept(r.id)) }, 'Accept'),
        h('button', { type: 'button', class: 'button', 'aria-label': `Decline request from ${name}`,
          onclick: () => busy(entry, () => people.decline(r.id)) }, 'Decline'),
        h('button', { type: 'button', class: 'button danger', 'aria-label': `Block ${name}`,
          async onclick() {
            const sure = await confirmDialog({
              title: `Block ${name}?`,
              text: `Their request is declined and they cannot send you another until you unblock them in Settings. `
                + 'They are not told.',
              confirm: 'Block',
              returnFocus: incomingList,
            });
            if (sure) await busy(entry, () => people.blockRequest(r.id));
          } }, 'Block')));
    return entry;
  }

  /** @param {OutgoingRequest} r */
  function outgoing(r) {
    const target = describeTarget(r.target);
    const label = r.target.username !== undefined ? target : `key ${target}`;
    /** @type {HTMLLIElement} */
    const entry = h('li', { class: 'entry' },
      h('div', { class: 'entry-head' },
        h('span', { class: 'entry-name' }, 'To ', h('strong', { class: r.target.username === undefined ? 'key' : null }, target)),
        age(r.created_at)),
      h('div', { class: 'entry-actions' },
        h('button', { type: 'button', class: 'button', 'aria-label': `Cancel request to ${label}`,
          onclick: () => busy(entry, () => people.cancel(r.id)) }, 'Cancel')));
    return entry;
  }

  const { view, heading } = paneFrame({ title: 'Requests', onClose: close },
    alert,
    h('section', { class: 'pane-section', 'aria-labelledby': ids.incoming },
      h('h3', { id: ids.incoming }, 'Incoming requests'),
      incomingEmpty, incomingList),
    h('section', { class: 'pane-section', 'aria-labelledby': ids.outgoing },
      h('h3', { id: ids.outgoing }, 'Sent requests'),
      h('p', { class: 'hint' }, 'A request stays here until it is accepted, you cancel it, or it expires after 72 hours. '
        + 'You are not told if someone declines, and neither is anyone you decline.'),
      outgoingEmpty, outgoingList));
  root.replaceChildren(view);
  heading.focus();

  const ticker = setInterval(() => {
    for (const t of view.querySelectorAll('time[data-at]')) t.textContent = timeAgo(Number(t.getAttribute('data-at')));
  }, AGE_REFRESH_MS);

  /** @param {State} s @param {State | null} prev */
  function update(s, prev) {
    const p = s.people;
    if (p.incoming !== prev?.people.incoming) {
      keyed(incomingList, p.incoming, (r) => r.id, incoming);
      incomingEmpty.hidden = p.incoming.length > 0;
    }
    if (p.outgoing !== prev?.people.outgoing) {
      keyed(outgoingList, p.outgoing, (r) => r.id, outgoing);
      outgoingEmpty.hidden = p.outgoing.length > 0;
    }
  }
  update(state, null);

  return {
    update,
    unmount() {
      clearInterval(ticker);
      view.remove();
    },
  };
}
