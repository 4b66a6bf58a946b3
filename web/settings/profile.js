// @ts-check
// The profile part of Settings: picture, display name and a short bio. Name and bio
// are saved together (the server replaces both); the picture is cropped, resized and
// re-encoded here before it is sent.

import { AVATAR_SIDE, BIO_MAX } from '../accounts/actions.js';
import { avatarBubble } from '../ui/avatars.js';
import { h, setChildren, uid } from '../ui/dom.js';

/** @typedef {import('../core/state.js').State} State */

const DISPLAY_NAME_MAX = 64;

/** @param {{state: State, account: import('../accounts/actions.js').AccountActions}} p */
export function profileSettings({ state, account }) {
  const ids = { name: uid('display-name'), hint: uid('display-name-hint'), error: uid('display-name-error'),
    bio: uid('bio'), bioHint: uid('bio-hint'), picture: uid('picture'), title: uid('profile-title') };
  const nameInput = h('input', {
    id: ids.name, name: 'display_name', type: 'text', autocomplete: 'nickname', maxlength: DISPLAY_NAME_MAX,
    'aria-describedby': ids.hint, value: state.me?.display_name ?? '',
  });
  const bioInput = h('textarea', { id: ids.bio, name: 'bio', rows: 3, maxlength: BIO_MAX, 'aria-describedby': ids.bioHint });
  bioInput.value = state.me?.bio ?? '';
  const bioCount = h('span', { class: 'hint' });
  const countBio = () => setChildren(bioCount, `${bioInput.value.length}/${BIO_MAX}`);
  bioInput.addEventListener('input', countBio);
  countBio();
  const save = h('button', { type: 'submit', class: 'button primary' }, 'Save');
  const saved = h('p', { class: 'hint', role: 'status', 'aria-live': 'polite' });
  const error = h('p', { id: ids.error, class: 'form-error', role: 'alert' });

  const bubble = avatarBubble('large');
  const fileInput = h('input', { id: ids.picture, type: 'file', accept: 'image/jpeg,image/png,image/webp,image/gif',
    class: 'visually-hidden', tabindex: -1, 'aria-label': 'Profile picture file' });
  const pick = h('button', { type: 'button', class: 'button', onclick: () => fileInput.click() }, 'Choose picture');
  const remove = h('button', { type: 'button', class: 'button quiet', onclick: () => pictureAction(() => account.removeAvatar(), 'Picture removed.') },
    'Remove picture');
  const pictureStatus = h('p', { class: 'hint', role: 'status' });
  const pictureError = h('p', { class: 'form-error', role: 'alert' });

  /** @param {() => Promise<import('../core/outcome.js').Outcome>} run @param {string} done */
  async function pictureAction(run, done) {
    setChildren(pictureError);
    setChildren(pictureStatus, 'Working…');
    remove.disabled = fileInput.disabled = true;
    const outcome = await run();
    remove.disabled = fileInput.disabled = false;
    setChildren(pictureStatus, outcome.ok ? done : '');
    if (!outcome.ok) setChildren(pictureError, outcome.error);
  }
  fileInput.addEventListener('change', () => {
    const file = fileInput.files?.[0];
    fileInput.value = '';
    if (file) pictureAction(() => account.setAvatar(file), 'Picture saved.');
  });

  /** @param {SubmitEvent} e */
  async function onSubmit(e) {
    e.preventDefault();
    save.disabled = true;
    setChildren(saved);
    setChildren(error);
    const outcome = await account.saveProfile(nameInput.value, bioInput.value);
    save.disabled = false;
    if (outcome.ok) {
      setChildren(saved, 'Saved. Your contacts see the new profile now.');
      nameInput.removeAttribute('aria-invalid');
    } else {
      setChildren(error, outcome.error);
      nameInput.setAttribute('aria-invalid', 'true');
      nameInput.setAttribute('aria-errormessage', ids.error);
      nameInput.focus();
    }
  }

  const view = h('section', { class: 'pane-section', 'aria-labelledby': ids.title },
    h('h3', { id: ids.title }, 'Profile'),
    h('div', { class: 'profile-picture' },
      bubble.view,
      h('div', null,
        h('div', { class: 'entry-actions' }, fileInput, pick, remove),
        h('p', { class: 'hint' }, `Cropped to a square of ${AVATAR_SIDE} px. Only your contacts see it.`),
        pictureStatus, pictureError)),
    h('form', { class: 'auth-form', novalidate: true, onsubmit: onSubmit },
      h('div', { class: 'field' },
        h('label', { for: ids.name }, 'Display name'),
        nameInput,
        h('p', { id: ids.hint, class: 'hint' },
          `Up to ${DISPLAY_NAME_MAX} characters. Only your contacts see it; leave it empty to show your username.`)),
      h('div', { class: 'field' },
        h('label', { for: ids.bio }, 'Bio'),
        bioInput,
        h('p', { id: ids.bioHint, class: 'hint' }, 'A few words about you, for your contacts. ', bioCount)),
      h('div', { class: 'entry-actions' }, save),
      saved, error));

  /** @param {State} s @param {State | null} prev */
  function update(s, prev) {
    const me = s.me;
    bubble.set(me, me?.display_name || me?.username || '');
    remove.hidden = !me?.avatar_updated_at;
    // Another session changed the profile: show it, unless the user is typing here.
    if ((me?.display_name ?? '') !== (prev?.me?.display_name ?? '') && document.activeElement !== nameInput) {
      nameInput.value = me?.display_name ?? '';
    }
    if ((me?.bio ?? '') !== (prev?.me?.bio ?? '') && document.activeElement !== bioInput) {
      bioInput.value = me?.bio ?? '';
      countBio();
    }
  }
  return { view, update };
}
