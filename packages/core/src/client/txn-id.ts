import type { Clock, Random } from '../io.js';

const HEX = (b: number): string => b.toString(16).padStart(2, '0');

/**
 * A transaction id for `PUT …/send/{type}/{txnId}`: the time in base 36 (so ids sort roughly by
 * creation in logs) and 64 random bits (so two tabs or a reload never reuse one).
 */
export function newTxnId(clock: Clock, random: Random): string {
  return `p${clock.now().toString(36)}.${Array.from(random.bytes(8), HEX).join('')}`;
}
