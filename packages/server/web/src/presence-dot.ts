import { h } from './dom.js';
import { presenceName } from './format.js';

/** A presence dot: its class names the state, `data-presence` holds the value. */
export function presenceDot(presence: number): HTMLElement {
  const name = presenceName(presence);
  return h('i', { class: `dot ${name}`, 'data-presence': presence, title: name });
}
