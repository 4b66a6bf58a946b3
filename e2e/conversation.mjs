// The conversation the README's screenshots show (e2e/settings.test.mjs): several
// messages from both people, a photo, reactions, an edit and a reply, sent through the
// app as people would. Every wait is on what the screen shows.
import assert from 'node:assert/strict';

/** @typedef {{page: import('playwright-core').Page, username: string}} Person */

/** @param {import('playwright-core').Page} page */
const log = (page) => page.getByRole('log', { name: 'Messages' });
/** The first message with the text (a reply's quote repeats its original's). @param {import('playwright-core').Page} page @param {string} text */
const message = (page, text) => log(page).getByRole('listitem').filter({ hasText: text }).first();
/** @param {import('playwright-core').Page} page */
const composer = (page) => page.getByRole('textbox', { name: 'Message' });

/** @param {Person} who @param {string} text @param {Person} to also waits until it is on their screen */
async function say(who, text, to) {
  await composer(who.page).fill(text);
  await composer(who.page).press('Enter');
  await message(who.page, text).filter({ hasText: /Sent|Read/ }).waitFor();
  await message(to.page, text).waitFor();
}

/** @param {Person} who @param {string} text the message @param {string} emoji's name in the picker @param {Person} to */
async function react(who, text, emoji, to) {
  await message(who.page, text).getByRole('button', { name: 'Message actions' }).click();
  await who.page.getByRole('menuitem', { name: 'React' }).click();
  const picker = who.page.getByRole('dialog', { name: 'Add a reaction' });
  await picker.getByRole('searchbox', { name: 'Search emoji' }).fill(emoji);
  await picker.locator('.emoji-results').getByRole('button', { name: emoji, exact: true }).click();
  await message(to.page, text).getByRole('group', { name: 'Reactions' }).getByRole('button', { name: new RegExp(`^${emoji}: `) }).waitFor();
}

/** A picture drawn in the page and encoded by the browser: hills under an evening sky. @param {import('playwright-core').Page} page */
async function landscape(page) {
  const b64 = await page.evaluate(async () => {
    const c = document.createElement('canvas');
    c.width = 960;
    c.height = 640;
    const ctx = /** @type {CanvasRenderingContext2D} */ (c.getContext('2d'));
    const sky = ctx.createLinearGradient(0, 0, 0, 640);
    sky.addColorStop(0, '#2b3a8f');
    sky.addColorStop(0.55, '#f29e4c');
    sky.addColorStop(1, '#f6d365');
    ctx.fillStyle = sky;
    ctx.fillRect(0, 0, 960, 640);
    ctx.fillStyle = '#fff4d6';
    ctx.beginPath();
    ctx.arc(640, 330, 60, 0, Math.PI * 2);
    ctx.fill();
    for (const [color, base, amp] of [['#5b4a7a', 420, 90], ['#3d2f5c', 500, 70], ['#241b3a', 580, 50]]) {
      ctx.fillStyle = /** @type {string} */ (color);
      ctx.beginPath();
      ctx.moveTo(0, 640);
      for (let x = 0; x <= 960; x += 20) ctx.lineTo(x, /** @type {number} */ (base) - Math.sin(x / 130 + /** @type {number} */ (amp)) * /** @type {number} */ (amp));
      ctx.lineTo(960, 640);
      ctx.fill();
    }
    const blob = /** @type {Blob} */ (await new Promise((resolve) => c.toBlob(resolve, 'image/jpeg', 0.9)));
    const bytes = new Uint8Array(await blob.arrayBuffer());
    let bin = '';
    for (const byte of bytes) bin += String.fromCharCode(byte);
    return btoa(bin);
  });
  return Buffer.from(b64, 'base64');
}

/**
 * Alice (`a`) and her friend (`b`, whose screen is photographed) talk; both have the
 * chat open when this returns.
 * @param {Person} a @param {Person} b @param {string} aName how b sees a (a display name)
 */
export async function stageConversation(a, b, aName) {
  await b.page.getByRole('navigation', { name: 'Chats' }).getByRole('button', { name: aName }).click();
  await composer(b.page).waitFor();
  await a.page.getByRole('navigation', { name: 'Chats' }).getByRole('button', { name: b.username }).click();
  await composer(a.page).waitFor();

  await say(b, 'Hello! Ready for the screenshots?', a);
  await a.page.locator('input[type=file]').setInputFiles({ name: 'ridge.jpg', mimeType: 'image/jpeg', buffer: await landscape(a.page) });
  await a.page.getByRole('list', { name: 'Attached files' }).locator('.attach-item[data-status=ready]').waitFor();
  await say(a, 'Sunset from the ridge 🌄', b);
  await message(b.page, 'Sunset from the ridge').locator('img[src^="blob:"]').waitFor();
  await react(b, 'Sunset from the ridge', 'red heart', a);
  await react(a, 'Sunset from the ridge', 'red heart', b);
  await message(b.page, 'Sunset from the ridge').getByRole('button', { name: 'Message actions' }).click();
  await b.page.getByRole('menuitem', { name: 'Reply' }).click();
  await say(b, 'Wow. Where was this?', a);
  await say(a, 'Above the lake, about two hours up. Next time you come along', b);

  // Alice fixes her last message: Up in the empty composer, then Enter.
  await composer(a.page).focus();
  await a.page.keyboard.press('ArrowUp');
  const editing = a.page.getByRole('textbox', { name: 'Edit message' });
  await editing.fill('Above the lake, about two hours up. Next time you come along! 🥾');
  await editing.press('Enter');
  await message(b.page, 'Next time you come along! 🥾').filter({ hasText: 'edited' }).waitFor();

  await say(b, 'Deal. Saturday?', a);
  await composer(a.page).fill('+:thumbsup:');
  await composer(a.page).press('Enter');
  await message(b.page, 'Deal. Saturday?').getByRole('group', { name: 'Reactions' }).getByRole('button', { name: /^thumbs up: 1/ }).waitFor();
  await react(b, 'Sunset from the ridge', 'face with open mouth', a);
  assert.equal(await message(b.page, 'Sunset from the ridge').getByRole('group', { name: 'Reactions' }).getByRole('button').count(), 2);
}
