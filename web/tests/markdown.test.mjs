// The assistant's Markdown: the everyday constructs become the right elements, and
// nothing a model (or someone steering it) writes can become HTML, a script, an event
// handler or a link to anything but an http(s) address. The DOM is a small stand-in
// for the browser's, enough for h(): elements, attributes, text nodes.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { parseInline, parseMarkdown, renderMarkdown, safeUrl } from '../assistant/markdown.js';

class FakeNode {}
class FakeText extends FakeNode {
  /** @param {string} data */
  constructor(data) {
    super();
    this.data = data;
  }
}
class FakeElement extends FakeNode {
  /** @param {string} tag */
  constructor(tag) {
    super();
    this.tag = tag.toLowerCase();
    /** @type {Map<string, string>} */
    this.attrs = new Map();
    /** @type {FakeNode[]} */
    this.children = [];
    /** @type {string[]} */
    this.listeners = [];
  }
  /** @param {string} name @param {string} value */
  setAttribute(name, value) { this.attrs.set(name, String(value)); }
  /** @param {string} name */
  getAttribute(name) { return this.attrs.get(name) ?? null; }
  /** @param {string} type */
  addEventListener(type) { this.listeners.push(type); }
  /** @param {FakeNode} child */
  appendChild(child) { this.children.push(child); return child; }
  replaceChildren() { this.children = []; }
}
Object.assign(globalThis, {
  Node: FakeNode,
  document: { createElement: (/** @type {string} */ t) => new FakeElement(t), createTextNode: (/** @type {string} */ d) => new FakeText(d) },
});

const esc = (/** @type {string} */ s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The rendered tree as a string (text escaped), to compare structure. @param {any} node @returns {string} */
function html(node) {
  if (node instanceof FakeText) return esc(node.data);
  const attrs = [...node.attrs].map(([k, v]) => ` ${k}="${esc(v)}"`).join('');
  const inner = node.children.map(html).join('');
  return node.tag === 'br' || node.tag === 'hr' ? `<${node.tag}${attrs}>` : `<${node.tag}${attrs}>${inner}</${node.tag}>`;
}

/** Markdown → the inside of div.markdown, as a string. @param {string} md */
const md = (md) => renderMarkdown(md).children.map(html).join('');

/** @param {any} node @returns {any[]} */
const elements = (node) => (node instanceof FakeElement ? [node, ...node.children.flatMap(elements)] : []);

/** @param {any} node @returns {string} */
const text = (node) => (node instanceof FakeText ? node.data : node.children.map(text).join(''));

const ALLOWED = new Set(['div', 'p', 'br', 'strong', 'em', 'del', 'code', 'pre', 'ul', 'ol', 'li', 'blockquote',
  'hr', 'h3', 'h4', 'h5', 'h6', 'a', 'span']);

test('paragraphs, and a single newline is a line break', () => {
  assert.equal(md('one\ntwo\n\nthree'), '<p>one<br>two</p><p>three</p>');
  assert.equal(md(''), '');
  assert.equal(md('  \n\n'), '');
});

test('bold, italic, strikethrough and code spans', () => {
  assert.equal(md('**bold** and __also__'), '<p><strong>bold</strong> and <strong>also</strong></p>');
  assert.equal(md('*it* and _it_'), '<p><em>it</em> and <em>it</em></p>');
  assert.equal(md('***both***'), '<p><strong><em>both</em></strong></p>');
  assert.equal(md('*a **b** c*'), '<p><em>a <strong>b</strong> c</em></p>');
  assert.equal(md('~~gone~~'), '<p><del>gone</del></p>');
  assert.equal(md('use `a**b**c` here'), '<p>use <code>a**b**c</code> here</p>');
  assert.equal(md('``a ` b``'), '<p><code>a ` b</code></p>');
});

test('what only looks like markup stays text', () => {
  assert.equal(md('snake_case_name and 2 * 3 * 4'), '<p>snake_case_name and 2 * 3 * 4</p>');
  assert.equal(md('** not bold **'), '<p>** not bold **</p>');
  assert.equal(md('an `unclosed tick'), '<p>an `unclosed tick</p>');
  assert.equal(md('\\*escaped\\*'), '<p>*escaped*</p>');
  assert.equal(md('#hashtag'), '<p>#hashtag</p>');
  assert.equal(md('It was\n2024. A year'), '<p>It was<br>2024. A year</p>');
});

test('fenced code keeps its text as it is, closed or still streaming', () => {
  assert.equal(md('```js\nconst a = "<b>";\n  indented\n```\nafter'),
    '<pre class="md-code"><code>const a = "&lt;b&gt;";\n  indented</code></pre><p>after</p>');
  assert.equal(md('~~~\n**not bold**\n~~~'), '<pre class="md-code"><code>**not bold**</code></pre>');
  assert.equal(md('text\n```\nstill coming'), '<p>text</p><pre class="md-code"><code>still coming</code></pre>');
});

test('lists, nested and ordered, tight items without paragraphs', () => {
  assert.equal(md('- one\n- two\n  - two a\n  - two b\n- three'),
    '<ul><li>one</li><li>two<ul><li>two a</li><li>two b</li></ul></li><li>three</li></ul>');
  assert.equal(md('3. c\n4. d'), '<ol start="3"><li>c</li><li>d</li></ol>');
  assert.equal(md('1. **a**\n2. b\n\nafter'), '<ol><li><strong>a</strong></li><li>b</li></ol><p>after</p>');
  assert.equal(md('intro\n- x\n- y'), '<p>intro</p><ul><li>x</li><li>y</li></ul>');
  assert.equal(md('* a\n\n  more of a\n* b'), '<ul><li><p>a</p><p>more of a</p></li><li>b</li></ul>');
});

test('headings sit below the chat title; quotes and rules', () => {
  assert.equal(md('# Title\n## Sub\n#### Deep'), '<h3>Title</h3><h4>Sub</h4><h6>Deep</h6>');
  assert.equal(md('> quoted\n> **more**'), '<blockquote><p>quoted<br><strong>more</strong></p></blockquote>');
  assert.equal(md('a\n\n---\n\nb'), '<p>a</p><hr><p>b</p>');
});

test('http(s) links open in a new tab, without referrer or opener, marked external', () => {
  const out = renderMarkdown('see [the docs](https://example.com/a_(b)?q=1 "title") now');
  const a = elements(out).find((e) => e.tag === 'a');
  assert.ok(a);
  assert.equal(a.getAttribute('href'), 'https://example.com/a_(b)?q=1');
  assert.equal(a.getAttribute('target'), '_blank');
  assert.equal(a.getAttribute('rel'), 'noopener noreferrer external');
  assert.equal(a.getAttribute('title'), 'https://example.com/a_(b)?q=1');
  assert.match(text(a), /^the docs↗ \(external link to example\.com, opens in a new tab\)$/);
  assert.equal(a.children[1].getAttribute('aria-hidden'), 'true', 'the arrow is for the eye');
  assert.equal(text(out), 'see the docs↗ (external link to example.com, opens in a new tab) now');

  const bare = elements(renderMarkdown('Go to https://example.org/x. Or (http://a.test/y).'))
    .filter((e) => e.tag === 'a').map((e) => e.getAttribute('href'));
  assert.deepEqual(bare, ['https://example.org/x', 'http://a.test/y']);
  const angle = elements(renderMarkdown('<https://example.net>')).filter((e) => e.tag === 'a');
  assert.equal(angle[0].getAttribute('href'), 'https://example.net/');
  assert.equal(elements(renderMarkdown('[outer [inner](https://b.test)](https://a.test)')).filter((e) => e.tag === 'a').length, 1,
    'no link inside a link');
});

test('links to anything but http(s) stay visible text, never a link', () => {
  for (const target of ['javascript:alert(1)', 'JaVaScRiPt:alert(1)', ' javascript:alert(1)', 'java\tscript:alert(1)',
    'data:text/html,<script>alert(1)</script>', 'vbscript:x', '/relative/path', '//evil.test/x', 'file:///etc/passwd',
    'mailto:a@b.test', '&#106;avascript:alert(1)']) {
    const source = `[click](${target})`;
    const out = renderMarkdown(source);
    assert.equal(elements(out).filter((e) => e.tag === 'a').length, 0, `no link for ${JSON.stringify(target)}`);
    assert.ok(text(out).includes('click'), 'the words are still there');
  }
  assert.equal(safeUrl('javascript:alert(1)'), null);
  assert.equal(safeUrl('https://ok.test'), 'https://ok.test/');
  assert.equal(safeUrl('https://ok.test/a b'), null);
  assert.deepEqual(parseInline('[x](javascript:alert(1))'), [{ t: 'text', v: '[x](javascript:alert(1))' }]);
});

test('raw HTML is shown as text: no element, attribute or handler comes from the reply', () => {
  const attacks = [
    '<img src=x onerror="alert(1)">',
    '<script>alert(1)</script>',
    '<a href="javascript:alert(1)">x</a>',
    '**<svg onload=alert(1)>**',
    '- <iframe src="https://evil.test"></iframe>',
    '```\n</code></pre><img src=x onerror=alert(1)>\n```',
    '[<img src=x onerror=alert(1)>](https://ok.test)',
    '> <style>body{display:none}</style>',
    '# <b onmouseover=alert(1)>hi</b>',
    '`<img src=x onerror=alert(1)>`',
    '[x](https://ok.test" onclick="alert(1))',
  ];
  for (const attack of attacks) {
    const out = renderMarkdown(attack);
    for (const el of elements(out)) {
      assert.ok(ALLOWED.has(el.tag), `${el.tag} from ${attack}`);
      // Only this client's own look-alike check on links (chats/links.js), nothing from the text.
      assert.deepEqual(el.listeners, el.tag === 'a' ? ['click', 'auxclick'] : [], 'no event handlers');
      for (const name of el.attrs.keys()) {
        assert.ok(['class', 'href', 'target', 'rel', 'title', 'aria-hidden', 'start'].includes(name), `attribute ${name} from ${attack}`);
      }
      const href = el.getAttribute('href');
      if (href) assert.match(href, /^https?:\/\//);
    }
  }
  assert.equal(md('<img src=x onerror="alert(1)">'), '<p>&lt;img src=x onerror="alert(1)"&gt;</p>');
  assert.ok(text(renderMarkdown('<script>alert(1)</script>')).includes('<script>'), 'shown as the text it is');
});

test('hostile nesting and long runs of delimiters stay fast and finite', () => {
  const started = Date.now();
  for (const input of ['>'.repeat(5000) + ' x', '- '.repeat(3000) + 'x', '*'.repeat(20000), '_a'.repeat(10000),
    '['.repeat(20000), '('.repeat(5000), '**a '.repeat(5000), '`'.repeat(10001), '  '.repeat(3000) + '- x\n'.repeat(500)]) {
    const out = parseMarkdown(input);
    assert.ok(Array.isArray(out));
    renderMarkdown(input);
  }
  assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
});
