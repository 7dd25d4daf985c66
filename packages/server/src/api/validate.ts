import type { JsonObject, JsonValue } from '@parley/core';
import { badJson, invalidParam } from '../http/matrix-errors.js';

/** Body field checks that answer `400 M_BAD_JSON` naming the field. */

function describe(v: JsonValue | undefined): string {
  if (v === null) return 'null';
  return Array.isArray(v) ? 'an array' : typeof v;
}

/** A required string field. */
export function requireString(body: JsonObject, field: string): string {
  const v = body[field];
  if (typeof v !== 'string') throw badJson(`"${field}" must be a string, got ${describe(v)}`);
  return v;
}

/** An optional string field (absent and `null` both mean "not given"). */
export function optionalString(body: JsonObject, field: string): string | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw badJson(`"${field}" must be a string, got ${describe(v)}`);
  return v;
}

/** An optional boolean field. */
export function optionalBoolean(body: JsonObject, field: string): boolean | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw badJson(`"${field}" must be a boolean, got ${describe(v)}`);
  return v;
}

/** An optional array of strings. */
export function optionalStringArray(body: JsonObject, field: string): string[] | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) {
    throw badJson(`"${field}" must be an array of strings`);
  }
  return v as string[];
}

/** An optional object field. */
export function optionalObject(body: JsonObject, field: string): JsonObject | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v))
    throw badJson(`"${field}" must be an object, got ${describe(v)}`);
  return v;
}

/** A string that must not be longer than `max` UTF-8 bytes. */
export function checkLength(value: string, field: string, max: number): string {
  if (Buffer.byteLength(value) > max) throw invalidParam(`"${field}" is longer than ${max} bytes`);
  return value;
}

/** A Matrix id of the given sigil (`@` user, `!` room) with a server name, at most 255 bytes. */
export function checkMatrixId(value: string, sigil: '@' | '!', what: string): string {
  const colon = value.indexOf(':');
  if (!value.startsWith(sigil) || colon < 2 || colon === value.length - 1 || Buffer.byteLength(value) > 255) {
    throw invalidParam(`${JSON.stringify(value.slice(0, 300))} is not a valid ${what}`);
  }
  return value;
}
