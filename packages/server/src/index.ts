/**
 * `@parley/server`: the Parley backend.
 *
 * @packageDocumentation
 */
export {};
