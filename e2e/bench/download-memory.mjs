// The browser's side of a 100 MiB file, measured (a script, not a test): one person
// sends it, the other downloads it, and each tab's memory is sampled all along through
// the DevTools protocol: the JS heap (Runtime.getHeapUsage: usedSize) and the
// ArrayBuffers' backing stores outside it (backingStorageSize), where chunks in flight
// live; and the resident size of the largest renderer process (/proc). The client
// opens the stream as it arrives and hands the plaintext to a Blob every 8 MiB
// (web/files/transfer.js), which Chromium keeps outside the page's heap and spills to
// disk when large, so the heap should stay near where it started.
//
//   MESSGO_BIN=target/debug/messgo node e2e/bench/download-memory.mjs [MiB]
//
// Prints each before, at its peak during the upload and the download, and after.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
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
  return { username, context, page, cdp };
}

/** @typedef {{heap: number, buffers: number, rss: number}} Sample */

/** The largest renderer's resident size, in bytes (Linux). */
async function rendererRss() {
  let most = 0;
  for (const pid of (await readdir('/proc')).filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8');
      if (!cmd.includes('--type=renderer')) continue;
      const rss = (await readFile(`/proc/${pid}/status`, 'utf8')).match(/VmRSS:\s+(\d+) kB/);
      if (rss) most = Math.max(most, Number(rss[1]) * 1024);
    } catch {
      // Gone since the listing.
    }
  }
  return most;
}

/** @param {import('playwright-core').CDPSession} cdp @returns {Promise<Sample>} */
async function sample(cdp) {
  const u = /** @type {any} */ (await cdp.send('Runtime.getHeapUsage'));
  return { heap: u.usedSize, buffers: u.backingStorageSize ?? 0, rss: await rendererRss() };
}

/** After a garbage collection. @param {import('playwright-core').CDPSession} cdp */
async function settled(cdp) {
  await cdp.send('HeapProfiler.collectGarbage').catch(() => {});
  return sample(cdp);
}

/** Samples (no collection forced) until `done` settles; returns the peaks. @param {import('playwright-core').CDPSession} cdp @param {Promise<unknown>} done */
async function peakWhile(cdp, done) {
  let finished = false;
  done.finally(() => { finished = true; });
  /** @type {Sample} */
  const peak = { heap: 0, buffers: 0, rss: 0 };
  while (!finished) {
    const s = await sample(cdp);
    peak.heap = Math.max(peak.heap, s.heap);
    peak.buffers = Math.max(peak.buffers, s.buffers);
    peak.rss = Math.max(peak.rss, s.rss);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return peak;
}

/** @param {Sample} s */
const show = (s) => `heap ${mb(s.heap)}, buffers ${mb(s.buffers)}, renderer RSS ${mb(s.rss)}`;

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

  const upBefore = await settled(A.cdp);
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
  const downBefore = await settled(B.cdp);
  const t1 = Date.now();
  const saved = B.page.waitForEvent('download', { timeout: 600_000 });
  await card.getByRole('button', { name: /^Download / }).click();
  const downPeak = await peakWhile(B.cdp, saved);
  const got = await readFile(/** @type {string} */ (await (await saved).path()));
  const downSecs = (Date.now() - t1) / 1000;
  const downAfter = await settled(B.cdp);
  const same = createHash('sha256').update(got).digest('hex') === createHash('sha256').update(bytes).digest('hex');

  console.log(`file: ${mb(size)}, identical after download: ${same}`);
  console.log(`upload, ${upSecs.toFixed(1)} s, sender's tab:`);
  console.log(`  before: ${show(upBefore)}\n  peak:   ${show(upPeak)}`);
  console.log(`download, ${downSecs.toFixed(1)} s, receiver's tab:`);
  console.log(`  before: ${show(downBefore)}\n  peak:   ${show(downPeak)}\n  after:  ${show(downAfter)}`);
} finally {
  await browser.close();
  await server.stop();
  await rm(dir, { recursive: true, force: true });
}
