// Repeated wrong passwords end in the server's 429, which the page must explain with
// its Retry-After rather than another "wrong password". Its own server, so the limiter
// it trips cannot touch the other tests.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { launchChromium, watchProblems } from './browser.mjs';
import { startServer } from './server.mjs';

/** @type {Awaited<ReturnType<typeof startServer>>} */
let server;
/** @type {import('playwright-core').Browser} */
let browser;

before(async () => {
  server = await startServer();
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('too many wrong passwords show when to try again', { timeout: 180_000 }, async () => {
  const page = await browser.newPage();
  const problems = watchProblems(page, [[401, '/api/me'], [401, '/api/login'], [429, '/api/login']]);
  await page.goto(server.url);
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
  await page.getByLabel('Username').fill(`nobody_${crypto.randomUUID().slice(0, 8)}`);

  const submit = page.getByRole('button', { name: 'Log in' });
  const alert = page.getByRole('alert');
  let limited = false;
  // The server's limit is its own business; the test only needs it to exist below 30.
  for (let i = 0; i < 30 && !limited; i++) {
    await page.getByLabel('Password', { exact: true }).fill(`wrong password ${i}`);
    await submit.click();
    await submit.and(page.locator(':enabled')).waitFor();
    const text = (await alert.textContent()) ?? '';
    assert.match(text, /Wrong username or password\.|Too many attempts/);
    limited = text.startsWith('Too many attempts');
  }
  assert.ok(limited, 'the server answered 429 within 30 attempts');
  assert.match((await alert.textContent()) ?? '', /^Too many attempts\. Try again in \d+ (seconds?|minutes)\.$/);
  assert.deepEqual(problems, []);
});
