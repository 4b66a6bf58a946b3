// @ts-check
// Attaching images in the composer: a button that opens the file picker, pasting into
// the message field, and dropping files on the chat. Each picked image shows in a tray
// above the field with its thumbnail and upload progress; a failed one says why, with
// Retry (no need to pick the file again) and Remove.

import { statusText } from './attach-state.js';
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
  const input = h('input', { id: inputId, type: 'file', accept: 'image/*', multiple: true, class: 'visually-hidden',
    tabindex: -1, 'aria-hidden': 'true' });
  const button = h('button', { type: 'button', class: 'button attach-button', 'aria-label': 'Attach images',
    title: 'Attach images (or paste, or drop them on the chat)', onclick: () => input.click() },
  h('span', { class: 'attach-icon', 'aria-hidden': 'true' }));
  const list = h('ul', { class: 'attach-tray', 'aria-label': 'Attached images' });
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

  /** @param {Attachment} a */
  function item(a) {
    const failed = a.status === 'failed';
    const busy = a.status === 'preparing' || a.status === 'uploading';
    const pct = a.total ? Math.floor((100 * a.sent) / a.total) : 0;
    return h('li', { class: `attach-item ${a.status}`, 'data-status': a.status },
      a.preview ? h('img', { class: 'attach-thumb', src: a.preview, alt: '' })
        : h('span', { class: 'attach-thumb placeholder', 'aria-hidden': 'true' }),
      h('div', { class: 'attach-info' },
        h('span', { class: 'attach-name' }, a.name),
        a.status === 'uploading'
          ? h('progress', { max: 100, value: pct, 'aria-label': `Uploading ${a.name}` }) : null,
        h('span', { class: `attach-status${failed ? ' form-error' : ''}`, role: failed ? 'alert' : 'status' }, statusText(a)),
        h('span', { class: 'attach-actions' },
          failed ? h('button', { type: 'button', class: 'link', onclick: () => attachments.retry(a.id),
            'aria-label': `Retry ${a.name}` }, 'Retry') : null,
          h('button', { type: 'button', class: 'link', onclick: () => attachments.remove(a.id),
            'aria-label': `Remove ${a.name}` }, busy ? 'Cancel' : 'Remove'))));
  }

  /** @param {Attachment[]} items */
  function render(items) {
    keyed(list, items, (a) => a.id, item);
    view.hidden = items.length === 0 && !error.textContent;
  }
  const unsubscribe = attachments.subscribe((items, prev) => {
    if (items !== prev) render(items);
    if (items.length === 0 && prev.length) setChildren(error);
  });
  render(attachments.getState());

  /** Pasted images (a screenshot, say) are attached; pasted text stays text. @param {ClipboardEvent} e */
  function onPaste(e) {
    const files = filesOf(e.clipboardData).filter((f) => f.type.startsWith('image/'));
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
