// @ts-check
// Search covers the whole retention window: chats whose older pages are not loaded yet
// get them, through the client's own history paging, while a "searching older
// messages…" line says so. Pages stay in memory only, as when scrolling up.

// A bound on pages per chat, so a server that keeps saying "there is more" cannot keep
// this going (72 hours of a busy chat is far fewer pages of 50).
const MAX_PAGES = 400;

/**
 * Loads older pages of every chat `ids()` names until none has more.
 * @param {{ids: () => string[], hasOlder: (chatId: string) => boolean, oldest: (chatId: string) => number | null,
 *   loadOlder: (chatId: string) => Promise<unknown>, alive: () => boolean}} p
 * @returns {Promise<void>}
 */
export async function loadAllOlder({ ids, hasOlder, oldest, loadOlder, alive }) {
  await Promise.all(ids().map(async (chatId) => {
    for (let page = 0; page < MAX_PAGES && alive() && hasOlder(chatId); page++) {
      const before = oldest(chatId);
      await loadOlder(chatId);
      // A page that brought nothing older (an error, said elsewhere) ends the walk.
      if (oldest(chatId) === before) return;
    }
  }));
}
