/**
 * `@parley/core`: Parley's protocol logic with no IO of its own.
 *
 * @packageDocumentation
 */

export * from './client/index.js';
export { isParleyError, ParleyError, type ParleyErrorOptions, throwIfAborted } from './errors.js';
export * from './events/index.js';
export * from './fetch/index.js';
export {
  type Clock,
  MemoryStore,
  type Random,
  type Store,
  type TimerId,
  type Timers,
} from './io.js';
export * from './realtime/index.js';
export * from './sync/index.js';
export * from './websocket/index.js';
