/**
 * The presence merge rule of DESIGN.md, as pure functions over per-connection state.
 *
 * Each connection holds a value (0..127) and whether its idle timer set it. An idle-set value can
 * only lower the connection's value; a user-set value replaces it. A user's presence is 0 when no
 * connection is open or any connection is user-set to 0 (invisible); otherwise the highest
 * connection value ("most chatty wins").
 *
 * @packageDocumentation
 */

import { PRESENCE_IDLE_FLAG, PRESENCE_VALUE_MASK } from './opcodes.js';

/** One connection's presence. */
export interface ConnectionPresence {
  /** 0..127. */
  value: number;
  /** True when the client's idle timer chose `value` (it lowered the connection's value). */
  idle: boolean;
}

/**
 * The presence a new connection starts with, from its `OP_HELLO` presence byte. A new connection
 * has no earlier value to compare with, so an idle-set byte is taken as it is.
 */
export function initialPresence(byte: number): ConnectionPresence {
  return { value: byte & PRESENCE_VALUE_MASK, idle: (byte & PRESENCE_IDLE_FLAG) !== 0 };
}

/**
 * Applies an `OP_SETPRES` byte to a connection's presence, in place. Returns true when the
 * connection's value or flag changed.
 *
 * An idle-set value that is not lower than the current one changes nothing, not even the flag:
 * otherwise an idle timer could turn a user-set 0 (invisible) into a merely idle 0 and make the
 * user visible again.
 */
export function applySetPres(state: ConnectionPresence, byte: number): boolean {
  const value = byte & PRESENCE_VALUE_MASK;
  if ((byte & PRESENCE_IDLE_FLAG) !== 0) {
    if (value >= state.value) return false;
    state.value = value;
    state.idle = true;
    return true;
  }
  if (state.value === value && !state.idle) return false;
  state.value = value;
  state.idle = false;
  return true;
}

/** True when this connection makes its user invisible (user-set 0). */
export function isInvisible(state: ConnectionPresence): boolean {
  return state.value === 0 && !state.idle;
}

/** The merged presence of a user over all of its open connections (0 when there are none). */
export function mergePresence(connections: Iterable<ConnectionPresence>): number {
  let best = 0;
  for (const c of connections) {
    if (c.value === 0) {
      if (!c.idle) return 0;
      continue;
    }
    if (c.value > best) best = c.value;
  }
  return best;
}
