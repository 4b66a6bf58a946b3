// The file stream (web/crypto/stream.js) in pieces as a network hands them over, the
// resumable upload's re-sealing of any byte range (web/files/transfer.js), and what a
// receiver accepts from a message's `files` (web/crypto/file-ref.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { StreamOpener, openBytes, sealBytes, sealedSize } from '../crypto/stream.js';
import { fileRef, inlineAs, safeName } from '../crypto/file-ref.js';

globalThis.XMLHttpRequest ??= /** @type {any} */ (class {});
const { FileUpload } = await import('../files/transfer.js');

const pattern = (n) => new Uint8Array(n).map((_, i) => (i * 7) % 256);

test('a stream opens whole and in odd pieces, for sizes around the chunk', async () => {
  for (const n of [0, 1, 65535, 65536, 65537, 200_000]) {
    const pt = pattern(n);
    const { key, sealed } = await sealBytes(pt);
    assert.equal(sealed.length, sealedSize(n));
    assert.deepEqual(await openBytes(key, sealed), pt);
    const opener = new StreamOpener(key);
    const got = [];
    for (let i = 0; i < sealed.length; i += 9_999) got.push(...await opener.push(sealed.subarray(i, i + 9_999)));
    got.push(await opener.finish());
    assert.deepEqual(Buffer.concat(got), Buffer.from(pt));
  }
});

test('a stream cut at a chunk boundary, with bytes added, or under another key does not open', async () => {
  const { key, sealed } = await sealBytes(pattern(200_000));
  await assert.rejects(openBytes(key, sealed.subarray(0, 8 + 65_552)), /does not open/);
  await assert.rejects(openBytes(key, sealed.subarray(0, sealed.length - 1)), /does not open/);
  await assert.rejects(openBytes(key, Buffer.concat([sealed, Buffer.from([0])])), /does not open/);
  await assert.rejects(openBytes(new Uint8Array(32), sealed), /does not open/);
});

test('an upload re-seals any byte range exactly as the whole stream has it', async () => {
  for (const n of [0, 5, 65_536, 300_001]) {
    const pt = pattern(n);
    const up = new FileUpload('chat', new Blob([pt]));
    const { sealed } = await sealBytes(pt, { key: up.key, prefix: up.sealer.prefix });
    assert.deepEqual(await up.streamBytes(0, up.total), sealed);
    for (const [a, b] of [[0, 3], [3, 20], [65_536, 131_077], [up.total - 10, up.total]]) {
      if (a < 0 || b > up.total || a >= b) continue;
      assert.deepEqual(await up.streamBytes(a, b), sealed.subarray(a, b), `${n}: ${a}..${b}`);
    }
  }
});

const ref = {
  blob: '0b5f0d7e-3d5c-4a3e-9f37-1c2b3a4d5e6f', key: 'A'.repeat(43), size: 10, name: 'report.pdf',
  type: 'application/pdf', kind: 'file',
};

test('file entries: names are made safe, and only agreeing kinds and types play inline', () => {
  assert.equal(fileRef({ ...ref, name: '../../etc/passwd' })?.name, 'passwd');
  assert.equal(safeName('.bashrc'), 'bashrc');
  assert.equal(safeName('a\u202eexe.txt'), 'aexe.txt');
  assert.equal(fileRef({ ...ref, kind: 'program' }), null);
  assert.equal(fileRef({ ...ref, type: 'text/html<script>' }), null);
  assert.equal(inlineAs(/** @type {any} */ (fileRef({ ...ref, kind: 'image', type: 'image/svg+xml' }))), 'download');
  assert.equal(inlineAs(/** @type {any} */ (fileRef({ ...ref, kind: 'file', type: 'text/html' }))), 'download');
  assert.equal(inlineAs(/** @type {any} */ (fileRef({ ...ref, kind: 'image', type: 'image/png' }))), 'image');
  assert.equal(inlineAs(/** @type {any} */ (fileRef({ ...ref, kind: 'voice', type: 'audio/webm;codecs=opus' }))), 'voice');
  assert.equal(inlineAs(/** @type {any} */ (fileRef({ ...ref, kind: 'video', type: 'text/html' }))), 'download');
});
