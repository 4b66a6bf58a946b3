// The keyring with real WebCrypto keys: an epoch key wrapped to every member opens for
// each of them, a sealed message opens for a member, and a signature that does not
// match the sender's key is reported as such before anything is decrypted.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { createKeyring } from '../chats/keys.js';
import { fromB64u, generateIdentity, importEd25519Private, importX25519Private, toB64u, unwrapChatKey } from '../crypto/protocol.js';

async function person() {
  const raw = await generateIdentity();
  return {
    raw,
    identity: {
      userId: crypto.randomUUID(), username: 'x',
      x25519Private: await importX25519Private(raw.x25519Secret, false),
      ed25519Private: await importEd25519Private(raw.ed25519Seed, false),
      x25519Public: raw.x25519Public, ed25519Public: raw.ed25519Public,
    },
  };
}

test('an epoch key reaches every member, and their messages open for each other', async () => {
  const [ann, bob] = await Promise.all([person(), person()]);
  const chat = /** @type {any} */ ({
    id: crypto.randomUUID(),
    members: [ann, bob].map((p) => ({ user_id: p.identity.userId, x25519_public: toB64u(p.raw.x25519Public) })),
  });
  const annRing = createKeyring({ identity: async () => ann.identity });
  const bobRing = createKeyring({ identity: async () => bob.identity });
  const { keys, key } = await annRing.create(chat, 1);
  assert.equal(key.extractable, false, 'the chat key never leaves WebCrypto');
  assert.deepEqual(keys.map((k) => k.user_id), chat.members.map((/** @type {any} */ m) => m.user_id));
  annRing.put(chat.id, 1, key);

  // Bob's copy, as epoch.opened would bring it; unwrapped with his non-extractable key.
  const bobsCopy = keys.find((k) => k.user_id === bob.identity.userId)?.wrapped ?? '';
  bobRing.remember(chat.id, 1, bobsCopy);
  const raw = await unwrapChatKey({ recipientSecret: bob.identity.x25519Private, chatId: chat.id, epoch: 1, wrapped: fromB64u(bobsCopy) });
  assert.equal(raw.length, 32);

  const id = crypto.randomUUID();
  const sealed = await annRing.seal({ chatId: chat.id, epoch: 1, id, plaintext: new TextEncoder().encode('{"text":"hi"}') });
  assert.equal(sealed.sender, ann.identity.userId);
  const opened = await bobRing.open({ chatId: chat.id, ...sealed, senderPublic: toB64u(ann.raw.ed25519Public) });
  assert.ok(opened.ok);
  assert.equal(new TextDecoder().decode(opened.ok ? opened.plaintext : new Uint8Array()), '{"text":"hi"}');

  const forged = await bobRing.open({ chatId: chat.id, ...sealed, senderPublic: toB64u(bob.raw.ed25519Public) });
  assert.deepEqual(forged, { ok: false, why: 'unverified' }, 'signed by someone else than the member named');
  const otherId = await bobRing.open({ chatId: chat.id, ...sealed, id: crypto.randomUUID(), senderPublic: toB64u(ann.raw.ed25519Public) });
  assert.deepEqual(otherId, { ok: false, why: 'unverified' }, 'the id is bound into what was signed');
  const unknown = await bobRing.open({ chatId: chat.id, ...sealed, senderPublic: null });
  assert.deepEqual(unknown, { ok: false, why: 'unverified' }, 'no key to check with: not shown');
});
