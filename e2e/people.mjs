// Helpers the browser tests share: the API as the page itself calls it (with its
// session cookie), and connecting two signed-up people without clicking through.
import assert from 'node:assert/strict';

/**
 * A JSON request from inside the page, with its session cookie: the API as the app uses it.
 * @param {import('playwright-core').Page} page @param {string} method @param {string} url @param {unknown} [body]
 */
export function api(page, method, url, body) {
  return page.evaluate(async ([m, u, b]) => {
    const init = { method: m, headers: { Accept: 'application/json' } };
    if (m !== 'GET') {
      init.headers = { ...init.headers, 'X-MessGo': '1', 'Content-Type': 'application/json' };
      init.body = JSON.stringify(b ?? {});
    }
    const res = await fetch(u, init);
    if (!res.ok) throw new Error(`${m} ${u}: ${res.status} ${await res.text()}`);
    return res.status === 204 ? null : res.json();
  }, /** @type {[string, string, unknown]} */ ([method, url, body]));
}

/**
 * Connects two users over the API, as if one had sent a request and the other accepted.
 * @param {{page: import('playwright-core').Page, username: string}} from
 * @param {{page: import('playwright-core').Page, username: string}} to
 */
export async function connect(from, to) {
  await api(from.page, 'POST', '/api/connections/requests', { username: to.username });
  const { incoming } = await api(to.page, 'GET', '/api/connections/requests');
  const request = incoming.find((/** @type {any} */ r) => r.from.username === from.username);
  assert.ok(request, `${to.username} got the request of ${from.username}`);
  await api(to.page, 'POST', `/api/connections/requests/${request.id}/accept`, {});
}
