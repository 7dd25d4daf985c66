import { ed25519 } from '@noble/curves/ed25519.js';
import { ParleyError } from '../errors.js';
import type { Random } from '../io.js';
import { decodeBase64, encodeBase64 } from './base64.js';
import { canonicalJsonWithout, utf8 } from './canonical-json.js';
import { computeContentHash, redactedEventBytes } from './hashing.js';
import { isJsonObject, type JsonObject } from './json.js';
import type { PDU, UnsignedPDU } from './pdu.js';
import { redactEvent } from './redaction.js';

/** A server's ed25519 signing key. Keep `seed` secret; publish `publicKey` under `keyId`. */
export interface SigningKey {
  /** `ed25519:<version>`. */
  keyId: string;
  /** The 32-byte private seed. */
  seed: Uint8Array;
  /** The 32-byte public key. */
  publicKey: Uint8Array;
}

const SIGNING_SKIP: ReadonlySet<string> = new Set(['signatures', 'unsigned']);
// Matrix key versions: "must have characters matching the regular expression [a-zA-Z0-9_]".
const KEY_VERSION = /^[A-Za-z0-9_]{1,255}$/;

/** A new signing key from 32 bytes of `random` (use a CSPRNG-backed {@link Random}). */
export function generateSigningKey(random: Random, version: string): SigningKey {
  return signingKeyFromSeed(random.bytes(32), version);
}

/**
 * The signing key for a 32-byte seed.
 *
 * @throws {@link ParleyError} `M_INVALID_PARAM` when the seed is not 32 bytes or the version is
 * not 1-255 characters of `[A-Za-z0-9_]`.
 */
export function signingKeyFromSeed(seed: Uint8Array, version: string): SigningKey {
  if (!(seed instanceof Uint8Array) || seed.length !== 32) {
    throw ParleyError.matrix('M_INVALID_PARAM', 'An ed25519 seed must be 32 bytes', 400);
  }
  if (!KEY_VERSION.test(version)) {
    throw ParleyError.matrix('M_INVALID_PARAM', `Invalid key version ${JSON.stringify(version)}`, 400);
  }
  const own = seed.slice();
  return { keyId: `ed25519:${version}`, seed: own, publicKey: ed25519.getPublicKey(own) };
}

/**
 * Signs `obj` (appendix "Signing JSON"): the signature covers the canonical JSON of `obj`
 * without `signatures` and `unsigned`, and is added as `signatures[signer][key.keyId]` next to
 * any signatures already there. Returns a new object; `obj` is not changed.
 *
 * @throws {@link ParleyError} `M_BAD_JSON` when `obj` is not canonical-JSON-encodable.
 */
export function signJson<T extends JsonObject>(obj: T, signer: string, key: SigningKey): T {
  const signature = sign(utf8(canonicalJsonWithout(obj, SIGNING_SKIP)), key);
  return { ...obj, signatures: addSignature(obj.signatures, signer, key.keyId, signature) };
}

/**
 * Checks `obj.signatures[signer][keyId]` against `publicKey` (appendix "Checking for a
 * Signature"). Returns false, never throws, for a missing, malformed or wrong signature.
 */
export function verifyJsonSignature(
  obj: JsonObject,
  signer: string,
  keyId: string,
  publicKey: Uint8Array,
): boolean {
  let message: Uint8Array;
  try {
    message = utf8(canonicalJsonWithout(obj, SIGNING_SKIP));
  } catch {
    return false;
  }
  return verify(obj, message, signer, keyId, publicKey);
}

/**
 * Hashes and signs an event (server-server "Signing Events"): adds `hashes.sha256` (the
 * content hash), then signs the redacted event and copies the signature into `signatures`.
 */
export function signEvent(event: UnsignedPDU, signer: string, key: SigningKey): PDU {
  return signEventReturningBytes(event, signer, key).event;
}

/**
 * {@link signEvent}, also returning the bytes that were signed, which are the bytes of the
 * reference hash too (see {@link redactedEventBytes}).
 */
export function signEventReturningBytes(
  event: UnsignedPDU,
  signer: string,
  key: SigningKey,
): { event: PDU; signedBytes: Uint8Array } {
  const hashed = { ...event, hashes: { sha256: computeContentHash(event) } } as JsonObject;
  const signedBytes = redactedEventBytes(hashed);
  const signatures = addSignature(hashed.signatures, signer, key.keyId, sign(signedBytes, key));
  return { event: { ...hashed, signatures } as PDU, signedBytes };
}

/** Checks an event's signature by `signer` over its redacted form. Never throws. */
export function verifyEventSignature(
  event: PDU,
  signer: string,
  keyId: string,
  publicKey: Uint8Array,
): boolean {
  let redacted: JsonObject;
  let message: Uint8Array;
  try {
    redacted = redactEvent(event as JsonObject);
    message = utf8(canonicalJsonWithout(redacted, SIGNING_SKIP));
  } catch {
    return false;
  }
  return verify(redacted, message, signer, keyId, publicKey);
}

function sign(message: Uint8Array, key: SigningKey): string {
  return encodeBase64(ed25519.sign(message, key.seed));
}

function verify(
  obj: JsonObject,
  message: Uint8Array,
  signer: string,
  keyId: string,
  publicKey: Uint8Array,
): boolean {
  const sigs = obj.signatures;
  if (!isJsonObject(sigs) || !Object.hasOwn(sigs, signer)) return false;
  const byKey = sigs[signer];
  if (!isJsonObject(byKey) || !Object.hasOwn(byKey, keyId)) return false;
  const encoded = byKey[keyId];
  if (typeof encoded !== 'string') return false;
  try {
    const signature = decodeBase64(encoded);
    if (signature.length !== 64 || publicKey.length !== 32) return false;
    // Strict RFC 8032 checks (no ZIP-215 leniency), closer to libsodium, which Synapse uses.
    return ed25519.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}

function addSignature(
  existing: unknown,
  signer: string,
  keyId: string,
  signature: string,
): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  if (isJsonObject(existing)) {
    for (const [server, byKey] of Object.entries(existing)) {
      if (isJsonObject(byKey)) out[server] = { ...(byKey as Record<string, string>) };
    }
  }
  out[signer] = { ...out[signer], [keyId]: signature };
  return out;
}
