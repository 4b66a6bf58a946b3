// The browser's side of a 100 MiB file, measured (a script, not a test): one person
// sends it, the other downloads it, and the receiving tab's JS heap is sampled through
// the DevTools protocol (Performance.getMetrics, JSHeapUsedSize) all along. The client
// opens the stream as it arrives and hands the plaintext to a Blob every 8 MiB
// (web/files/transfer.js), which Chromium keeps outside the page's heap and spills to
// disk when large, so the heap should stay near where it started.
//
//   MESSGO_BIN=target/debug/messgo node e2e/bench/download-memory.mjs [MiB]
//
// Prints the heap before, its peak during the upload and the download, and after.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { launchChromium } from '../browser.mjs';
import { startServer } from '../server.mjs';
import { connect } from '../people.mjs';

const MiB = 1024 * 1024;
const size = Number(process.argv[2] ?? 100) * MiB;
const PASSWORD = 'correct horse battery staple';
const mb = (/** @type {number} */ n) => `${(n / MiB).toFixed(1)} MiB`;

const dir = await mkdtemp(path.join(tmpdir(), 'messgo-bench-'));
const server = await startServer({ env: { MESSGO_KDF_ITERATIONS: '100000', MESSGO_MAX_BLOB_BYTES: String(size + 8 * MiB) } });
const browser = await launchChromium();

/** @param {string} tag */
async function signUp(tag) {
  const username = `${tag}_${crypto.randomUUID().slice(0, 8)}`;
  const context = await browser.newContext({ acceptDownloads: true });
  const page = await context.newPage();
  await page.goto(server.url);
  await page.getByRole('button', { name: 'Create an account' }).click();
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Confirm password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('button', { name: `Profile menu for ${username}` }).waitFor();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');
  return { username, context, page, cdp };
}

/** @param {import('playwright-core').CDPSession} cdp */
async function heap(cdp) {
  await cdp.send('HeapProfiler.collectGarbage').catch(() => {});
  const { metrics } = await cdp.send('Performance.getMetrics');
  return metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? 0;
}

/** Samples the heap (no garbage collection forced) until `done` settles; returns the peak. @param {import('playwright-core').CDPSession} cdp @param {Promise<unknown>} done */
async function peakWhile(cdp, done) {
  let finished = false;
  done.finally(() => { finished = true; });
  let peak = 0;
  while (!finished) {
    const { metrics } = await cdp.send('Performance.getMetrics');
    peak = Math.max(peak, metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? 0);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return peak;
}

try {
  const [A, B] = [await signUp('ann'), await signUp('bob')];
  await connect(A, B);
  for (const [u, other] of [[A, B], [B, A]]) {
    await u.page.getByRole('navigation', { name: 'Chats' }).getByRole('button', { name: other.username }).click();
    await u.page.getByRole('textbox', { name: 'Message' }).waitFor();
  }
  const bytes = randomBytes(size);
  const file = path.join(dir, 'big.bin');
  await writeFile(file, bytes);

  const upBefore = await heap(A.cdp);
  const t0 = Date.now();
  await A.page.locator('input[type=file]').setInputFiles(file);
  const ready = A.page.locator('.attach-item[data-status=ready]').waitFor({ timeout: 600_000 });
  const upPeak = await peakWhile(A.cdp, ready);
  await ready;
  const upSecs = (Date.now() - t0) / 1000;
  const box = A.page.getByRole('textbox', { name: 'Message' });
  await box.fill('the big one');
  await box.press('Enter');

  const card = B.page.getByRole('log', { name: 'Messages' }).getByRole('listitem').filter({ hasText: 'the big one' }).locator('.file-card');
  await card.waitFor({ timeout: 60_000 });
  const downBefore = await heap(B.cdp);
  const t1 = Date.now();
  const saved = B.page.waitForEvent('download', { timeout: 600_000 });
  await card.getByRole('button', { name: /^Download / }).click();
  const downPeak = await peakWhile(B.cdp, saved);
  const got = await readFile(/** @type {string} */ (await (await saved).path()));
  const downSecs = (Date.now() - t1) / 1000;
  const downAfter = await heap(B.cdp);
  const same = createHash('sha256').update(got).digest('hex') === createHash('sha256').update(bytes).digest('hex');

  console.log(`file: ${mb(size)}, identical after download: ${same}`);
  console.log(`upload:   ${upSecs.toFixed(1)} s; sender's JS heap ${mb(upBefore)} before, peak ${mb(upPeak)}`);
  console.log(`download: ${downSecs.toFixed(1)} s; receiver's JS heap ${mb(downBefore)} before, peak ${mb(downPeak)}, ${mb(downAfter)} after`);
} finally {
  await browser.close();
  await server.stop();
  await rm(dir, { recursive: true, force: true });
}
