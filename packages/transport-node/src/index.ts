/**
 * `@parley/transport-node`: the Node adapters for Parley's core.
 *
 * @packageDocumentation
 */
export { nodeClock, nodeRandom, nodeTimers } from './platform.js';
