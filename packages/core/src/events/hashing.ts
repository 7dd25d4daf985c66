import { sha256 } from '@noble/hashes/sha2.js';
import { decodeBase64, encodeBase64, encodeBase64Url } from './base64.js';
import { canonicalJsonWithout, utf8 } from './canonical-json.js';
import type { JsonObject } from './json.js';
import type { PDU, UnsignedPDU } from './pdu.js';
import { redactEvent } from './redaction.js';

const CONTENT_HASH_SKIP: ReadonlySet<string> = new Set(['unsigned', 'signatures', 'hashes']);
// `age_ts` is listed by the spec for the reference hash; redaction has dropped it already.
const REFERENCE_SKIP: ReadonlySet<string> = new Set(['signatures', 'unsigned', 'age_ts']);

/**
 * The content hash (server-server "Calculating the content hash"): unpadded base64 of the
 * sha256 of the canonical JSON of the whole event without `unsigned`, `signatures` and `hashes`.
 */
export function computeContentHash(event: JsonObject | PDU | UnsignedPDU): string {
  return encodeBase64(sha256(utf8(canonicalJsonWithout(event as JsonObject, CONTENT_HASH_SKIP))));
}

/** True when `event.hashes.sha256` matches the event's content hash. */
export function checkContentHash(event: PDU): boolean {
  const claimed = event.hashes?.sha256;
  if (typeof claimed !== 'string') return false;
  let claimedBytes: Uint8Array;
  try {
    claimedBytes = decodeBase64(claimed);
  } catch {
    return false;
  }
  const actual = sha256(utf8(canonicalJsonWithout(event as JsonObject, CONTENT_HASH_SKIP)));
  return bytesEqual(claimedBytes, actual);
}

/**
 * The canonical JSON of the redacted event without `signatures` and `unsigned`: the bytes an
 * event's signatures cover and, identically, the bytes its reference hash is taken over.
 * Computing them once lets {@link buildEvent} sign and name an event with one serialisation.
 */
export function redactedEventBytes(event: JsonObject | PDU): Uint8Array {
  return utf8(canonicalJsonWithout(redactEvent(event as JsonObject), REFERENCE_SKIP));
}

/** The reference hash (server-server "Calculating the reference hash"): 32 bytes of sha256. */
export function referenceHash(event: PDU): Uint8Array {
  return sha256(redactedEventBytes(event));
}

/** The event id of a room version 4+ event: `$` + URL-safe unpadded base64 of its reference hash. */
export function computeEventId(event: PDU): string {
  return `$${encodeBase64Url(referenceHash(event))}`;
}

/** `$` + URL-safe base64 of a reference hash already computed. */
export function eventIdFromReferenceHash(hash: Uint8Array): string {
  return `$${encodeBase64Url(hash)}`;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}
