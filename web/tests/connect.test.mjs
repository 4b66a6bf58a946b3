// The pure parts of connections: what the Add contact field means, connect key
// normalization as docs/api.md defines it, request ages, and the socket's backoff.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import * as c from '../contacts/connect.js';
import { timeAgo } from '../core/format.js';
import { backoff } from '../core/socket.js';

const KEY = '0123456789abcdefghjkmnpqrstvwxyz';

test('connect keys normalize as the server does: spaces, dashes, case, i/l and o', () => {
  assert.equal(c.normalizeKey(' 0123-4567 89AB-cdef '), '0123456789abcdef');
  assert.equal(c.normalizeKey('IiLlOo'), '111100');
  assert.ok(c.isKey(KEY));
  assert.ok(!c.isKey(KEY.slice(1)));
  assert.ok(!c.isKey(KEY.slice(1) + 'u'), 'u is not in the alphabet');
  assert.equal(c.groupKey(KEY), '0123-4567-89ab-cdef-ghjk-mnpq-rstv-wxyz');
});

test('one input: a link or 32 key characters is a connect key, anything else a username', () => {
  assert.deepEqual(c.parseTarget(KEY), { connect_key: KEY });
  assert.deepEqual(c.parseTarget(c.groupKey(KEY).toUpperCase()), { connect_key: KEY });
  assert.deepEqual(c.parseTarget('0123 4567 89ab cdef ghjk mnpq rstv wxyz'), { connect_key: KEY });
  assert.deepEqual(c.parseTarget(`https://messgo.example/#connect=${KEY}`), { connect_key: KEY });
  // A link is a key even when the key in it is broken: the server explains what is wrong.
  assert.deepEqual(c.parseTarget('https://messgo.example/#connect=short'), { connect_key: 'sh0rt' });
  assert.deepEqual(c.parseTarget('  Ada.Lovelace '), { username: 'ada.lovelace' });
  assert.deepEqual(c.parseTarget('@bob'), { username: 'bob' });
  assert.equal(c.parseTarget('   '), null);
});

test('links are built from the origin and read back from the fragment', () => {
  const link = c.connectLink('https://messgo.example', c.groupKey(KEY));
  assert.equal(link, `https://messgo.example/#connect=${KEY}`);
  assert.equal(c.keyFromHash(new URL(link).hash), KEY);
  assert.equal(c.keyFromHash('#connect=abc%20def'), 'abc def');
  assert.equal(c.keyFromHash('#other=1'), null);
  assert.equal(c.keyFromHash('#connect='), null);
  assert.equal(c.keyFromHash(''), null);
});

test('the confirmation has the same words for every target', () => {
  const a = c.sentText({ username: 'alice' });
  const b = c.sentText({ username: 'nobody_here' });
  assert.equal(a.replace('alice', 'X'), b.replace('nobody_here', 'X'));
  assert.equal(a, "Request sent. If alice exists and accepts, they'll appear in your contacts.");
  assert.match(c.sentText({ connect_key: KEY }), /^Request sent\. If the owner of 0123-4567-.* exists and accepts/);
});

test('ages are coarse', () => {
  const now = 1_700_000_000_000;
  assert.equal(timeAgo(now - 5_000, now), 'just now');
  assert.equal(timeAgo(now + 5_000, now), 'just now', 'a clock a little ahead is not the future');
  assert.equal(timeAgo(now - 2 * 60_000, now), '2 min ago');
  assert.equal(timeAgo(now - 5 * 3_600_000, now), '5 h ago');
  assert.equal(timeAgo(now - 50 * 3_600_000, now), '2 d ago');
});

test('reconnect delays grow, are capped, and are jittered', () => {
  const low = (n) => backoff(n, () => 0);
  const high = (n) => backoff(n, () => 1);
  assert.ok(low(0) > 0);
  for (let n = 0; n < 12; n++) {
    assert.ok(low(n) <= high(n));
    assert.ok(high(n) <= 30_000);
    if (n > 0) assert.ok(high(n) >= high(n - 1));
  }
  assert.equal(high(20), 30_000);
  assert.equal(low(20), 15_000, 'never less than half the ceiling: a restarted server is not stampeded at once');
});
