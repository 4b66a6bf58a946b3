// Repeated wrong passwords end in the server's 429, which the page must explain with
// its Retry-After rather than another "wrong password"; connection requests beyond the
// hourly limit likewise. Its own server, so the limiters it trips cannot touch the
// other tests.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { launchChromium, watchProblems } from './browser.mjs';
import { startServer } from './server.mjs';

/** @type {Awaited<ReturnType<typeof startServer>>} */
let server;
/** @type {import('playwright-core').Browser} */
let browser;

before(async () => {
  server = await startServer({ env: { MESSGO_REQUEST_LIMIT_PER_HOUR: '2' } });
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
  assert.match((await alert.textContent()) ?? '', /^Too many attempts\. Try again in (about )?\d+ (seconds|minutes|hours)\.$/);
  assert.deepEqual(problems, []);
});

test('connection requests beyond the hourly limit say so instead of "Request sent"', { timeout: 180_000 }, async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = watchProblems(page, [[401, '/api/me'], [429, '/api/connections/requests']]);
  const username = `sender_${crypto.randomUUID().slice(0, 8)}`;
  await page.goto(server.url);
  await page.getByRole('button', { name: 'Create an account' }).click();
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill('correct horse battery staple');
  await page.getByLabel('Confirm password').fill('correct horse battery staple');
  await page.getByRole('button', { name: 'Create account' }).click();

  await page.getByRole('button', { name: 'Add contact', exact: true }).first().click();
  const dialog = page.getByRole('dialog', { name: 'Add contact' });
  const field = dialog.getByLabel('Username, connect key or link');
  const send = dialog.getByRole('button', { name: 'Send request' });
  const sent = dialog.getByRole('status');
  const alert = dialog.getByRole('alert');
  // Asked for 2 per hour; the test only needs a limit below 40 (the default is 30).
  let limited = false;
  for (let i = 0; i < 40 && !limited; i++) {
    await field.fill(`nobody_${i}_${crypto.randomUUID().slice(0, 6)}`);
    await send.click();
    await sent.or(alert).waitFor();
    limited = (await alert.count()) > 0;
    if (!limited) assert.match((await sent.textContent()) ?? '', /^Request sent\./);
  }
  assert.ok(limited, 'the server answered 429 within 40 requests');
  assert.match((await alert.textContent()) ?? '', /^Too many attempts\. Try again in (about )?\d+ (seconds|minutes|hours)\.$/);
  assert.equal(await sent.count(), 0, 'no "Request sent" next to the refusal');
  assert.deepEqual(problems, []);
  await context.close();
});
