// @ts-check
// "React" and "Edit" in every message's actions menu (web/chats/actions-menu.js); each
// calls what the open chat view offers (ctx.view.react, ctx.view.edit). A: react on a
// focused message; E: edit an own one.

import { registerAction } from '../chats/actions-menu.js';

/** @typedef {import('../chats/state.js').Msg} Msg */

/** @param {Msg} m */
const live = (m) => !m.deleted && m.kind === 'message';

export function registerReactionActions() {
  registerAction({
    id: 'react', label: 'React', key: 'a', order: 20,
    when: (m) => live(m),
    run: (m, ctx) => ctx.view.react?.(m, ctx.opener),
  });
  registerAction({
    id: 'edit', label: 'Edit', key: 'e', order: 30,
    // Only one's own message, and one whose text this browser can read (or has an edit of).
    when: (m, ctx) => live(m) && ctx.own && (m.body?.status === 'ok' || Boolean(m.edited)),
    run: (m, ctx) => ctx.view.edit?.(m, ctx.opener),
  });
}
