// @ts-check
// The message actions every chat has. Each calls what the open chat view offers
// (ctx.view), so this module holds only when an action is offered and its key.

import { registerAction } from './actions-menu.js';

/** @typedef {import('./state.js').Msg} Msg */
/** @typedef {import('./actions-menu.js').ActionCtx} ActionCtx */

/** @param {Msg} m a message whose content this browser has open */
export const readable = (m) => !m.deleted && m.kind === 'message' && m.body?.status === 'ok';

export function registerBuiltinActions() {
  registerAction({
    id: 'reply', label: 'Reply', key: 'r', order: 10,
    when: (m, ctx) => readable(m) && Boolean(ctx.view.reply),
    run: (m, ctx) => ctx.view.reply?.(m, ctx.opener),
  });
  registerAction({
    id: 'forward', label: 'Forward', key: 'f', order: 50,
    when: (m, ctx) => readable(m) && Boolean(ctx.view.forward),
    run: (m, ctx) => ctx.view.forward?.(m, ctx.opener),
  });
  registerAction({
    id: 'delete', label: 'Delete', key: 'd', order: 900,
    when: (m) => !m.deleted && m.kind === 'message',
    run: (m, ctx) => ctx.view.remove?.(m, ctx.opener),
  });
}
