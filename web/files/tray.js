// @ts-check
// Attaching files in the composer: a button that opens the file picker, pasting into
// the message field, and dropping files on the chat. Each picked file shows in a tray
// above the field with its name, size and type (a thumbnail for images and videos) and
// its upload progress, with Cancel; a failed one says why (the server's sentence names
// the limit that refused it), with Retry (it continues where it stopped) and Remove.

import { percent, statusText } from './attach-state.js';
import { familyOf, fileSummary, iconOf } from './format.js';
import { h, keyed, setChildren, uid } from '../ui/dom.js';

/** @typedef {import('./attach.js').Attachments} Attachments */
/** @typedef {import('./attach-state.js').Attachment} Attachment */

/** @param {DataTransfer | null} data */
const filesOf = (data) => [...(data?.files ?? [])];
/** @param {DragEvent} e */
const carriesFiles = (e) => [...(e.dataTransfer?.types ?? [])].includes('Files');

/** @param {{attachments: Attachments}} p */
export function attachTray({ attachments }) {
  const inputId = uid('attach');
  const input = h('input', { id: inputId, type: 'file', multiple: true, class: 'visually-hidden',
    tabindex: -1, 'aria-hidden': 'true' });
  const button = h('button', { type: 'button', class: 'button attach-button', 'aria-label': 'Attach files',
    title: 'Attach files (or paste, or drop them on the chat)', onclick: () => input.click() },
  h('span', { class: 'attach-icon', 'aria-hidden': 'true' }));
  const list = h('ul', { class: 'attach-tray', 'aria-label': 'Attached files' });
  const error = h('p', { class: 'form-error attach-error', role: 'alert' });
  const view = h('div', { class: 'attach' }, list, error);

  /** @param {Iterable<File>} files */
  function add(files) {
    const outcome = attachments.add(files);
    setChildren(error, outcome.ok ? '' : outcome.error);
    render(attachments.getState());
  }

  input.addEventListener('change', () => {
    add(input.files ?? []);
    // The same file picked again is a change too.
    input.value = '';
  });

  /** Items are patched in place as progress comes, so a focused Cancel keeps its focus. @type {Map<string, {node: HTMLElement, patch: (a: Attachment) => void}>} */
  const shown = new Map();

  /** @param {Attachment} first */
  function makeItem(first) {
    const thumb = h('span', { class: 'attach-thumb-slot' });
    const name = h('span', { class: 'attach-name' });
    const meta = h('span', { class: 'attach-meta muted' });
    const bar = h('progress', { max: 100, value: 0 });
    const status = h('span', { class: 'attach-status' });
    const actions = h('span', { class: 'attach-actions' });
    const node = h('li', { class: 'attach-item' }, thumb, h('div', { class: 'attach-info' }, name, meta, bar, status, actions));
    /** @type {{status?: string, preview?: string | null, name?: string}} */
    const was = {};
    /** @param {Attachment} a */
    const patch = (a) => {
      const failed = a.status === 'failed';
      node.className = `attach-item ${a.status}`;
      node.dataset.status = a.status;
      node.dataset.kind = a.kind;
      if (was.preview !== a.preview || was.name !== a.name) {
        setChildren(thumb, a.preview ? h('img', { class: 'attach-thumb', src: a.preview, alt: '' })
          : h('span', { class: 'attach-thumb placeholder file-icon', 'aria-hidden': 'true' }, iconOf(familyOf(a.type, a.name))));
        setChildren(name, a.name);
        name.title = a.name;
        setChildren(meta, fileSummary(a.type, a.name, a.size), a.type ? ` · ${a.type}` : '');
        bar.setAttribute('aria-label', `Uploading ${a.name}`);
      }
      bar.hidden = a.status !== 'uploading' && a.status !== 'waiting';
      bar.value = percent(a.sent, a.total);
      status.className = `attach-status${failed ? ' form-error' : ''}`;
      status.setAttribute('role', failed ? 'alert' : 'status');
      const text = statusText(a);
      if (status.textContent !== text) setChildren(status, text);
      if (was.status !== a.status || was.name !== a.name) {
        const busy = a.status === 'preparing' || a.status === 'uploading' || a.status === 'waiting';
        setChildren(actions,
          failed ? h('button', { type: 'button', class: 'link', onclick: () => attachments.retry(a.id),
            'aria-label': `Retry ${a.name}` }, 'Retry') : null,
          h('button', { type: 'button', class: 'link', onclick: () => attachments.remove(a.id),
            'aria-label': `${busy ? 'Cancel' : 'Remove'} ${a.name}` }, busy ? 'Cancel' : 'Remove'));
      }
      Object.assign(was, { status: a.status, preview: a.preview, name: a.name });
    };
    patch(first);
    return { node, patch };
  }

  /** @param {Attachment} a */
  function item(a) {
    let found = shown.get(a.id);
    if (found) found.patch(a);
    else {
      found = makeItem(a);
      shown.set(a.id, found);
    }
    return found.node;
  }

  /** @param {Attachment[]} items */
  function render(items) {
    const ids = new Set(items.map((a) => a.id));
    for (const id of [...shown.keys()]) if (!ids.has(id)) shown.delete(id);
    keyed(list, items, (a) => a.id, item);
    view.hidden = items.length === 0 && !error.textContent;
  }
  const unsubscribe = attachments.subscribe((items, prev) => {
    if (items !== prev) render(items);
    if (items.length === 0 && prev.length) setChildren(error);
  });
  render(attachments.getState());

  /** Pasted files (a screenshot, say) are attached; pasted text stays text. @param {ClipboardEvent} e */
  function onPaste(e) {
    const files = filesOf(e.clipboardData);
    if (files.length === 0) return;
    e.preventDefault();
    add(files);
  }

  /** @type {HTMLElement | null} */
  let dropZone = null;
  /** @param {DragEvent} e */
  function onDragOver(e) {
    if (!carriesFiles(e)) return;
    e.preventDefault();
    if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
    dropZone?.classList.add('drop-active');
  }
  /** @param {DragEvent} e */
  function onDragLeave(e) {
    // Leaving for a child of the zone is not leaving the zone.
    if (e.relatedTarget instanceof Node && dropZone?.contains(e.relatedTarget)) return;
    dropZone?.classList.remove('drop-active');
  }
  /** @param {DragEvent} e */
  function onDrop(e) {
    dropZone?.classList.remove('drop-active');
    if (!carriesFiles(e)) return;
    e.preventDefault();
    add(filesOf(e.dataTransfer));
  }

  return {
    /** Goes above the composer's field. */
    view,
    /** Goes beside the field; the hidden picker lives in it. */
    tools: h('span', { class: 'attach-tools' }, input, button),

    /** @param {HTMLElement} field the message field, for pasting @param {HTMLElement} zone where files may be dropped */
    bind(field, zone) {
      field.addEventListener('paste', onPaste);
      dropZone = zone;
      zone.addEventListener('dragover', onDragOver);
      zone.addEventListener('dragleave', onDragLeave);
      zone.addEventListener('drop', onDrop);
    },

    unmount() {
      unsubscribe();
      if (dropZone) {
        dropZone.removeEventListener('dragover', onDragOver);
        dropZone.removeEventListener('dragleave', onDragLeave);
        dropZone.removeEventListener('drop', onDrop);
      }
    },
  };
}
