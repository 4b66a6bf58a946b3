// RFC 9180 Appendix A.1.1 (base mode, DHKEM(X25519)/HKDF-SHA256/AES-128-GCM):
// the same file the Rust crate checks, so both HPKEs agree with the RFC, not just each other.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { fromHex, toHex } from '../crypto/protocol.js';
import { deriveKeyPair, encap, decap, keySchedule, setupBaseR, setupBaseS } from '../crypto/hpke.js';

const shared = new URL('../../../shared/vectors/hpke-rfc9180-a1-1-base.json', import.meta.url);
const inRepo = new URL('../../vectors/hpke-rfc9180-a1-1-base.json', import.meta.url);
const file = existsSync(fileURLToPath(shared)) ? shared : inRepo;
const vectors = JSON.parse(readFileSync(fileURLToPath(file), 'utf8')).vectors
  .filter((v) => v.mode === 0 && v.kem_id === 0x20 && v.kdf_id === 1 && v.aead_id === 1);

test('the RFC 9180 A.1.1 vector file has the base-mode vector', () => {
  assert.ok(vectors.length >= 1);
});

for (const [i, v] of vectors.entries()) {
  test(`A.1.1 #${i}: DeriveKeyPair gives the ephemeral and recipient key pairs`, async () => {
    const e = await deriveKeyPair(fromHex(v.ikmE));
    assert.equal(toHex(e.sk), v.skEm);
    assert.equal(toHex(e.pk), v.pkEm);
    const r = await deriveKeyPair(fromHex(v.ikmR));
    assert.equal(toHex(r.sk), v.skRm);
    assert.equal(toHex(r.pk), v.pkRm);
  });

  test(`A.1.1 #${i}: Encap/Decap agree on the shared secret`, async () => {
    const { sharedSecret, enc } = await encap(fromHex(v.pkRm), fromHex(v.ikmE));
    assert.equal(toHex(enc), v.enc);
    assert.equal(toHex(sharedSecret), v.shared_secret);
    assert.equal(toHex(await decap(fromHex(v.enc), fromHex(v.skRm))), v.shared_secret);
    assert.equal(toHex(await decap(fromHex(v.enc), fromHex(v.skRm), fromHex(v.pkRm))), v.shared_secret);
  });

  test(`A.1.1 #${i}: the key schedule gives key, base_nonce and exporter secret`, async () => {
    const ctx = await keySchedule(fromHex(v.shared_secret), fromHex(v.info));
    assert.equal(toHex(ctx.key), v.key);
    assert.equal(toHex(ctx.baseNonce), v.base_nonce);
    assert.equal(toHex(ctx.exporterSecret), v.exporter_secret);
  });

  test(`A.1.1 #${i}: every encryption seals to ct and opens to pt at its sequence number`, async () => {
    const { enc, ctx: sender } = await setupBaseS(fromHex(v.pkRm), fromHex(v.info), fromHex(v.ikmE));
    assert.equal(toHex(enc), v.enc);
    const receiver = await setupBaseR(enc, fromHex(v.skRm), fromHex(v.info));
    for (const e of v.encryptions) {
      assert.equal(toHex(sender.nonce(e.sequence_number)), e.nonce, `nonce at seq ${e.sequence_number}`);
      sender.seq = e.sequence_number;
      assert.equal(toHex(await sender.seal(fromHex(e.aad), fromHex(e.pt))), e.ct, `ct at seq ${e.sequence_number}`);
      receiver.seq = e.sequence_number;
      assert.equal(toHex(await receiver.open(fromHex(e.aad), fromHex(e.ct))), e.pt);
    }
  });

  test(`A.1.1 #${i}: a flipped ciphertext byte or the wrong sequence number fails to open`, async () => {
    const receiver = await setupBaseR(fromHex(v.enc), fromHex(v.skRm), fromHex(v.info));
    const e = v.encryptions[0];
    const ct = fromHex(e.ct);
    ct[3] ^= 1;
    receiver.seq = e.sequence_number;
    await assert.rejects(receiver.open(fromHex(e.aad), ct));
    receiver.seq = e.sequence_number + 1;
    await assert.rejects(receiver.open(fromHex(e.aad), fromHex(e.ct)));
  });
}
