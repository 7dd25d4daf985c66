/**
 * `@parley/core/testing`: deterministic fakes (clock, timers, randomness) and the multi-server
 * simulator, for Parley's own tests and for apps that test against Parley.
 *
 * @packageDocumentation
 */
export { FakeClock } from './fake-clock.js';
export { SeededRandom } from './seeded-random.js';
