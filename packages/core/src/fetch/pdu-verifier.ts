import { isParleyError } from '../errors.js';
import {
  canonicalJson,
  checkContentHash,
  computeEventId,
  domainOf,
  type JsonValue,
  type PDU,
  redactEvent,
  validatePdu,
  verifyEventSignature,
} from '../events/index.js';
import type { PduVerifier, VerifyResult } from './types.js';

/** Where the verifier finds servers' public keys (already fetched and checked by the caller). */
export type PublicKeyLookup = (serverName: string, keyId: string) => Uint8Array | undefined;

/**
 * The verifier of real room v11 events, from the events module. In order: the PDU's shape and
 * size (`validatePdu`: `malformed`, `too_large`), its room (`wrong_room`), its recomputed id against
 * the id asked for (`wrong_event`), the signature of the sender's server with a key `keyOf` knows
 * (`unknown_key` when it knows none of the keys the event is signed with, `bad_signature`), and
 * its content hash. A hash mismatch whose content is exactly what redaction keeps is a redacted
 * copy (`hash_mismatch`, with the redacted event); any other mismatch is altered content (`forged`).
 */
export function createPduVerifier(keyOf: PublicKeyLookup): PduVerifier<PDU> {
  return {
    verify(expectedId: string | null, roomId: string, json: unknown): VerifyResult<PDU> {
      let pdu: PDU;
      try {
        pdu = validatePdu(json as JsonValue);
      } catch (e) {
        if (isParleyError(e) && e.code === 'M_TOO_LARGE')
          return { ok: false, kind: 'too_large', message: e.message };
        return { ok: false, kind: 'malformed', message: e instanceof Error ? e.message : String(e) };
      }
      if (pdu.room_id !== roomId) return { ok: false, kind: 'wrong_room' };
      const eventId = computeEventId(pdu);
      if (expectedId !== null && eventId !== expectedId) return { ok: false, kind: 'wrong_event', eventId };
      const server = domainOf(pdu.sender);
      let checked = false;
      for (const keyId of Object.keys(pdu.signatures[server] ?? {})) {
        const key = keyOf(server, keyId);
        if (key === undefined) continue;
        if (!verifyEventSignature(pdu, server, keyId, key))
          return { ok: false, kind: 'bad_signature', eventId };
        checked = true;
      }
      if (!checked) {
        const signed = Object.keys(pdu.signatures[server] ?? {}).length > 0;
        return { ok: false, kind: signed ? 'unknown_key' : 'bad_signature', eventId };
      }
      if (checkContentHash(pdu)) return { ok: true, eventId, pdu };
      const redacted = redactEvent(pdu);
      if (canonicalJson(redacted.content) === canonicalJson(pdu.content)) {
        return { ok: false, kind: 'hash_mismatch', eventId, redacted };
      }
      return { ok: false, kind: 'forged', eventId };
    },
  };
}
