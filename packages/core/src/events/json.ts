import { ParleyError } from '../errors.js';

/** Any value that canonical JSON can carry. Numbers must be integers in the safe range. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };

/** The largest integer canonical JSON allows: 2^53 - 1. */
export const MAX_SAFE_JSON_INTEGER = Number.MAX_SAFE_INTEGER;

/** A `400 M_BAD_JSON` error: well-formed JSON that breaks a Matrix rule. */
export function badJson(message: string): ParleyError {
  return ParleyError.matrix('M_BAD_JSON', message, 400);
}

/** A `400 M_NOT_JSON` error: input that is not JSON at all. */
export function notJson(message: string): ParleyError {
  return ParleyError.matrix('M_NOT_JSON', message, 400);
}

/** True for a plain JSON object (not an array, not null, not a class instance). */
export function isJsonObject(value: unknown): value is JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
