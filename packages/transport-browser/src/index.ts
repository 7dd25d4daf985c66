/**
 * `@parley/transport-browser`: the browser adapters for Parley's core.
 *
 * @packageDocumentation
 */
export { browserClock, browserRandom, browserTimers } from './platform.js';
