// Invite links in real browsers against the real server: A makes a link in the app,
// B opens it in a fresh browser, signs up on the form it fills in, and both see each
// other as contacts at once (A without reloading). A revoked link is refused with the
// server's words. On a server started invite-only, the sign-in page says sign-up is
// by invitation, and a sign-up without an invite is refused in those words. Every
// wait is on a condition, never on the clock.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { launchChromium, watchProblems } from './browser.mjs';
import { startServer } from './server.mjs';

const TIMEOUT = 120_000;
const PASSWORD = 'correct horse battery staple';
const INVALID = 'This invite is no longer valid; ask for a new one.';

/** @type {import('playwright-core').Browser} */
let browser;
/** @type {Array<Awaited<ReturnType<typeof startServer>>>} */
const servers = [];

/** @param {Record<string, string>} [env] */
async function server(env = {}) {
  // The lowest KDF cost the server accepts: a few registrations, not a benchmark.
  const s = await startServer({ env: { MESSGO_KDF_ITERATIONS: '100000', ...env } });
  servers.push(s);
  return s;
}

/** @param {string} tag */
const nameFor = (tag) => `${tag}_${crypto.randomUUID().slice(0, 8)}`;

/** A fresh browser context on `url`; signed out, so /api/me answers 401. @param {string} url */
async function visit(url) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = watchProblems(page, [[401, '/api/me'], [403, '/api/register']]);
  await page.goto(url);
  return { context, page, problems };
}

/** @param {import('playwright-core').Page} page @param {string} username */
async function fillSignUp(page, username) {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Confirm password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
}

/** @param {import('playwright-core').Page} page */
const contactsNav = (page) => page.getByRole('navigation', { name: 'Contacts' });

/**
 * Makes an invite link on the Invite links page, reached from Add contact.
 * @param {import('playwright-core').Page} page @param {string} uses
 */
async function makeLink(page, uses) {
  await page.getByRole('button', { name: 'Add contact', exact: true }).first().click();
  const dialog = page.getByRole('dialog', { name: 'Add contact' });
  await dialog.getByRole('button', { name: 'Make an invite link' }).click();
  await dialog.waitFor({ state: 'detached' });
  await page.getByRole('heading', { name: 'Invite links', level: 2 }).waitFor();
  await page.getByLabel('Sign-ups it allows').fill(uses);
  await page.getByLabel('Expires after').selectOption({ label: '24 hours' });
  await page.getByRole('button', { name: 'Make invite link' }).click();
  await page.getByRole('status').filter({ hasText: 'Invite link made.' }).waitFor();
  const link = await page.getByLabel('Your new invite link').inputValue();
  assert.match(link, /^http:\/\/127\.0\.0\.1:\d+\/#invite=[A-Za-z0-9_-]{43}$/);
  assert.ok(await page.getByRole('button', { name: 'Copy link' }).evaluate((el) => el === document.activeElement),
    'the keyboard lands on Copy link');
  return link;
}

before(async () => {
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await Promise.all(servers.map((s) => s.stop()));
});

test('a link made by A signs B up in a fresh browser and makes them contacts on both sides', { timeout: TIMEOUT }, async () => {
  const { url } = await server();
  const a = await visit(url);
  const aName = nameFor('alice');
  await a.page.getByRole('button', { name: 'Create an account' }).click();
  await fillSignUp(a.page, aName);
  await contactsNav(a.page).getByText('No contacts yet').waitFor();

  const link = await makeLink(a.page, '1');
  const open = a.page.getByRole('list', { name: 'Your invite links' }).getByRole('listitem');
  await open.filter({ hasText: 'Single use · expires in 24 hours' }).waitFor();

  const b = await visit(link);
  const bName = nameFor('bob');
  await b.page.getByRole('heading', { name: 'You were invited', level: 1 }).waitFor();
  assert.equal(await b.page.getByLabel('Invite', { exact: true }).inputValue(), link.split('#invite=')[1], 'the code is filled in');
  await fillSignUp(b.page, bName);
  await contactsNav(b.page).getByRole('button', { name: aName }).waitFor();
  // A has not reloaded: the new contact comes over the socket.
  await contactsNav(a.page).getByRole('button', { name: bName }).waitFor();
  assert.equal(new URL(b.page.url()).hash, '', 'the code leaves the address bar once used');

  // A used-up link, and a revoked one, are refused with the same words.
  const c = await visit(link);
  await fillSignUp(c.page, nameFor('carol'));
  await c.page.getByRole('alert').filter({ hasText: INVALID }).waitFor();

  const second = await makeLink(a.page, '3');
  const entry = open.filter({ hasText: '3 of 3 uses left' });
  await entry.getByRole('button', { name: /^Revoke invite/ }).click();
  await a.page.getByRole('dialog', { name: 'Revoke this invite link?' }).getByRole('button', { name: 'Revoke' }).click();
  await entry.waitFor({ state: 'detached' });
  const d = await visit(second);
  await fillSignUp(d.page, nameFor('dave'));
  await d.page.getByRole('alert').filter({ hasText: INVALID }).waitFor();

  for (const who of [a, b, c, d]) assert.deepEqual(who.problems, []);
  await Promise.all([a, b, c, d].map((who) => who.context.close()));
});

test('an invite-only server says so, and refuses a sign-up without an invite in plain words', { timeout: TIMEOUT }, async () => {
  const { url, output } = await server({ MESSGO_REGISTRATION: 'invite' });
  // Logged before the address: read on stderr, which may trail stdout a little.
  const deadline = Date.now() + 10_000;
  while (!/registration: invite \(set by --registration\)/.test(output()) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.match(output(), /registration: invite \(set by --registration\)/);
  const visitor = await visit(url);
  const page = visitor.page;
  await page.getByText('New here? Sign-up is by invitation.').waitFor();
  await page.getByRole('button', { name: 'Sign up with an invite' }).click();
  await page.getByText('Sign-up is by invitation: you need an invite link from someone on this server.').waitFor();
  await fillSignUp(page, nameFor('stranger'));
  const alert = page.getByRole('alert').filter({ hasText: 'Sign-up is by invitation on this server' });
  await alert.waitFor();
  assert.equal((await alert.textContent())?.trim(),
    'Sign-up is by invitation on this server: open the invite link you were given.');
  assert.equal(await page.getByLabel('Invite', { exact: true }).getAttribute('aria-invalid'), 'true', 'the invite field is marked');
  assert.deepEqual(visitor.problems, []);
  await visitor.context.close();
});
