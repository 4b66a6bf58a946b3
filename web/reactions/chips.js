// @ts-check
// The reactions under a message: one chip per emoji with its count, the own ones
// highlighted (aria-pressed). A click on an own chip takes the reaction back, on
// another's adds the same one. Who reacted is in the chip's label (read on focus), its
// tooltip (hover) and a small popover shown on hover, focus and a long press.

import { emojiName } from './emoji.js';
import { h } from '../ui/dom.js';

/** @typedef {import('./state.js').Chip} Chip */
/** @typedef {{chip: Chip, names: string[], mine: boolean}} ChipView */

/** "Ann, Bob and you". @param {string[]} names */
export function whoText(names) {
  if (names.length <= 1) return names[0] ?? '';
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/**
 * @param {ChipView[]} chips @param {(chip: ChipView, opener: HTMLElement) => void} toggle
 * @returns {HTMLElement | null}
 */
export function reactionChips(chips, toggle) {
  if (chips.length === 0) return null;
  return h('div', { class: 'reactions', role: 'group', 'aria-label': 'Reactions' }, chips.map((c) => {
    const who = whoText(c.names);
    const count = c.chip.users.length;
    const label = `${emojiName(c.chip.emoji)}: ${count}, ${who}${c.mine ? '. Press to take yours back' : ''}`;
    const button = h('button', {
      type: 'button', class: `reaction-chip${c.mine ? ' mine' : ''}`, 'aria-pressed': c.mine ? 'true' : 'false',
      'aria-label': label, title: who, 'data-emoji': c.chip.emoji,
      onclick: () => toggle(c, button),
    }, h('span', { class: 'reaction-emoji', 'aria-hidden': 'true' }, c.chip.emoji),
    h('span', { class: 'reaction-count', 'aria-hidden': 'true' }, String(count)),
    h('span', { class: 'reaction-who', role: 'tooltip' }, who));
    return button;
  }));
}
