// Debian's Chromium driven by playwright-core (which never downloads a browser), and a
// watcher that turns console errors, page errors and CSP violations into test failures.
import { chromium } from 'playwright-core';

/** @param {{args?: string[]}} [options] args: more flags, e.g. the fake microphone for voice notes */
export async function launchChromium({ args = [] } = {}) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run',
      ...args,
    ],
  });
}

/**
 * Collects everything that should never happen on a page. Chromium logs every non-2xx
 * fetch as a console error; the ones a test expects (401 from /api/me when logged out,
 * 401 from a wrong password) are listed in `expected` as [status, path] pairs.
 * @param {import('playwright-core').Page} page
 * @param {Array<[number, string]>} expected
 * @returns {string[]} the problems seen so far (live)
 */
export function watchProblems(page, expected) {
  /** @type {string[]} */
  const problems = [];
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() !== 'error' && !/Content Security Policy/i.test(msg.text())) return;
    const status = msg.text().match(/status of (\d{3})/);
    if (status) {
      const where = new URL(msg.location().url || 'about:blank').pathname;
      if (expected.some(([s, p]) => s === Number(status[1]) && p === where)) return;
    }
    problems.push(`console.${msg.type()}: ${msg.text()} (${msg.location().url})`);
  });
  return problems;
}
