// @ts-check
// The only way the client builds DOM: elements from a tag, attributes and children,
// with every string child inserted as a text node. No HTML parsing of data, ever.

/** @typedef {Node | string | number | null | undefined | false} Leaf */
/** @typedef {Leaf | Leaf[] | Leaf[][]} Child */
/** @typedef {Record<string, string | number | boolean | null | undefined | ((e: any) => void)>} Attrs */

// Properties rather than attributes: they reflect live state (an attribute `value` is only the default).
const PROPS = new Set(['value', 'checked', 'selected']);

/**
 * h('button', {class: 'primary', onclick: go, disabled: busy}, 'Log in')
 * `on*` keys add listeners; booleans toggle attributes; null/undefined/false are skipped.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Attrs | null} [attrs]
 * @param {...Child} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (name === 'style' || name === 'innerHTML' || name === 'outerHTML') {
      throw new Error(`h(): "${name}" is not allowed (CSP and text-only rendering)`);
    }
    if (name.startsWith('on') && typeof value === 'function') {
      el.addEventListener(name.slice(2), value);
    } else if (PROPS.has(name)) {
      /** @type {any} */ (el)[name] = value;
    } else if (value === true) {
      el.setAttribute(name, '');
    } else if (value !== false && value != null) {
      el.setAttribute(name, String(value));
    }
  }
  append(el, children);
  return el;
}

/** @param {Element} parent @param {readonly Child[]} children */
function append(parent, children) {
  for (const child of children) {
    if (Array.isArray(child)) append(parent, /** @type {Child[]} */ (child));
    else if (child instanceof Node) parent.appendChild(child);
    else if (child !== null && child !== undefined && child !== false) {
      parent.appendChild(document.createTextNode(String(child)));
    }
  }
}

/** Replaces an element's content with the given children. @param {Element} el @param {...Child} children */
export function setChildren(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

let counter = 0;
/** Ids unique within the page, so labels can point at inputs of repeated views. @param {string} prefix */
export const uid = (prefix) => `${prefix}-${++counter}`;

/** @type {WeakMap<Element, Map<string, {item: unknown, node: Element}>>} */
const rendered = new WeakMap();

/**
 * Renders a list into `container`, keeping the element of every item that is the same
 * object as last time. Live updates then touch only what changed, so focus, hover and
 * text selection on the other entries survive an event arriving.
 * @template T
 * @param {Element} container
 * @param {readonly T[]} items
 * @param {(item: T) => string} keyOf
 * @param {(item: T) => Element} build
 */
export function keyed(container, items, keyOf, build) {
  const focused = document.activeElement;
  const hadFocus = focused !== null && container.contains(focused);
  const before = rendered.get(container) ?? new Map();
  /** @type {Map<string, {item: unknown, node: Element}>} */
  const after = new Map();
  const nodes = items.map((item) => {
    const key = keyOf(item);
    const old = before.get(key);
    const node = old && old.item === item ? old.node : build(item);
    after.set(key, { item, node });
    return node;
  });
  rendered.set(container, after);
  const keep = new Set(nodes);
  for (const child of [...container.children]) if (!keep.has(child)) child.remove();
  // Only move what is out of place: moving the focused element would blur it.
  nodes.forEach((node, i) => {
    const here = container.children[i];
    if (here !== node) container.insertBefore(node, here ?? null);
  });
  // The entry being used went away (accepted in another tab, say): keep the keyboard
  // user in the list rather than dropping them at the top of the page.
  if (hadFocus && !focused.isConnected && container instanceof HTMLElement) container.focus();
}
