import {
  decodeBase64,
  encodeBase64,
  type JsonObject,
  type SigningKey,
  signJson,
  verifyJsonSignature,
} from '@parley/core';

/** A server's published keys (`GET /_matrix/key/v2/server`). */
export interface ServerKeyDocument extends JsonObject {
  server_name: string;
  verify_keys: Record<string, { key: string }>;
  old_verify_keys: Record<string, { key: string; expired_ts: number }>;
  valid_until_ts: number;
}

/** Our key document, signed with our key. */
export function makeServerKeyDocument(serverName: string, key: SigningKey, validUntilTs: number): JsonObject {
  const doc: ServerKeyDocument = {
    server_name: serverName,
    verify_keys: { [key.keyId]: { key: encodeBase64(key.publicKey) } },
    old_verify_keys: {},
    valid_until_ts: validUntilTs,
  };
  return signJson(doc, serverName, key);
}

/** Keys of one server, checked. */
export interface VerifiedServerKeys {
  serverName: string;
  /** Current keys by key id. */
  keys: Map<string, Uint8Array>;
  /** Old keys by key id (still good for checking old events). */
  oldKeys: Map<string, Uint8Array>;
  validUntilTs: number;
}

function decodeKey(v: unknown): Uint8Array | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const key = (v as { key?: unknown }).key;
  if (typeof key !== 'string') return undefined;
  try {
    const bytes = decodeBase64(key);
    return bytes.length === 32 ? bytes : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Checks a key document fetched from `serverName`: it names that server, is still valid at `now`,
 * has at least one ed25519 key, and every current key has signed it (a self-signed document: the
 * only proof of origin there is without notaries, which Parley does not use).
 *
 * @returns the keys, or a reason why not.
 */
export function verifyServerKeyDocument(
  serverName: string,
  json: unknown,
  now: number,
): { ok: true; keys: VerifiedServerKeys } | { ok: false; reason: string } {
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    return { ok: false, reason: 'not an object' };
  const doc = json as Partial<ServerKeyDocument>;
  if (doc.server_name !== serverName) return { ok: false, reason: 'server_name does not match' };
  if (typeof doc.valid_until_ts !== 'number') return { ok: false, reason: 'no valid_until_ts' };
  if (doc.valid_until_ts < now) return { ok: false, reason: 'the keys have expired' };
  const keys = new Map<string, Uint8Array>();
  for (const [id, v] of Object.entries(doc.verify_keys ?? {})) {
    if (!id.startsWith('ed25519:')) continue;
    const k = decodeKey(v);
    if (k === undefined) return { ok: false, reason: `malformed key ${id}` };
    keys.set(id, k);
  }
  if (keys.size === 0) return { ok: false, reason: 'no ed25519 verify key' };
  for (const [id, k] of keys) {
    if (!verifyJsonSignature(doc as JsonObject, serverName, id, k)) {
      return { ok: false, reason: `not signed by its own key ${id}` };
    }
  }
  const oldKeys = new Map<string, Uint8Array>();
  const old = doc.old_verify_keys;
  if (typeof old === 'object' && old !== null) {
    for (const [id, v] of Object.entries(old)) {
      const k = decodeKey(v);
      if (id.startsWith('ed25519:') && k !== undefined) oldKeys.set(id, k);
    }
  }
  return { ok: true, keys: { serverName, keys, oldKeys, validUntilTs: doc.valid_until_ts } };
}
