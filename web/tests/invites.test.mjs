// Invite links: reading them from the address bar and from what people paste, and the
// words the invites pane shows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  describeInvite, inviteFromHash, inviteFromInput, inviteLink, looksLikeCode, parseUses,
} from '../accounts/invite-link.js';

const CODE = 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdE';

test('a link carries its code in the fragment, and the fragment gives it back', () => {
  assert.equal(CODE.length, 43);
  const link = inviteLink('https://chat.example.org', CODE);
  assert.equal(link, `https://chat.example.org/#invite=${CODE}`);
  assert.equal(inviteFromHash(new URL(link).hash), CODE);
  assert.equal(inviteFromHash('#INVITE=abc'), 'abc');
  assert.equal(inviteFromHash('#connect=abc'), null);
  assert.equal(inviteFromHash('#invite='), null);
  assert.equal(inviteFromHash('#invite=%E0%A4%A'), '%E0%A4%A', 'a broken escape is kept as typed');
  assert.equal(inviteFromHash(''), null);
});

test('the invite field takes a pasted link or a bare code', () => {
  assert.equal(inviteFromInput(`  https://x.example/#invite=${CODE}  `), CODE);
  assert.equal(inviteFromInput(CODE), CODE);
  assert.equal(inviteFromInput('   '), null);
  assert.equal(inviteFromInput('not a code'), 'not a code', 'sent as typed; the server explains');
  assert.ok(looksLikeCode(CODE));
  assert.ok(!looksLikeCode(CODE.slice(1)));
  assert.ok(!looksLikeCode(`${CODE.slice(1)}!`));
});

test('uses are whole numbers from 1 to 100', () => {
  assert.equal(parseUses('1'), 1);
  assert.equal(parseUses(' 100 '), 100);
  for (const bad of ['0', '101', '1.5', '-1', '', 'five', '1e2']) assert.equal(parseUses(bad), null, bad);
});

test('an invite is described by its uses left and its expiry', () => {
  const now = 1_000_000;
  const hour = 3_600_000;
  assert.equal(describeInvite({ uses: 1, uses_left: 1, expires_at: now + 24 * hour }, now),
    'Single use · expires in 24 hours');
  assert.equal(describeInvite({ uses: 5, uses_left: 2, expires_at: now + 72 * hour }, now),
    '2 of 5 uses left · expires in 3 days');
  assert.equal(describeInvite({ uses: 3, uses_left: 3, expires_at: now + 90_000 }, now),
    '3 of 3 uses left · expires in 2 minutes');
  assert.equal(describeInvite({ uses: 1, uses_left: 1, expires_at: now - 1 }, now), 'Single use · expired');
});

test('an invite link opened while signed out leads to the sign-up form, and goes at sign-in', async () => {
  const { initialState, reduce } = await import('../core/state.js');
  const me = /** @type {any} */ ({ user_id: 'u1', username: 'ann' });
  let s = reduce(initialState, { type: 'invite_link', code: CODE });
  assert.equal(s.pendingInvite, CODE, 'taken while still loading');
  s = reduce(s, { type: 'signed_out' });
  assert.equal(s.view, 'register');
  s = reduce(reduce(s, { type: 'navigate', view: 'login' }), { type: 'invite_link', code: 'other' });
  assert.equal(s.view, 'register', 'a link opened on the login page switches to sign-up');
  assert.equal(s.pendingInvite, 'other');
  s = reduce(s, { type: 'signed_in', me });
  assert.equal(s.pendingInvite, null);
  assert.equal(reduce(s, { type: 'invite_link', code: CODE }), s, 'no use to someone signed in');
});
