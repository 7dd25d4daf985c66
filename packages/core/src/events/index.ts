/**
 * Matrix room version 11 events, pure: canonical JSON, base64, content and reference hashes,
 * event ids, redaction, ed25519 signing, PDU validation and the authorization rules.
 *
 * @packageDocumentation
 */
export {
  type AuthStateResult,
  authEventSlots,
  authStateFromAuthEvents,
  selectAuthEvents,
} from './auth-events.js';
export type { AuthorizeOptions, AuthResult } from './auth-result.js';
export { authorizeEvent } from './authorize.js';
export { decodeBase64, encodeBase64, encodeBase64Url } from './base64.js';
export { type BuildEventContext, buildEvent, type EventProto } from './build-event.js';
export { canonicalJson, canonicalJsonBytes } from './canonical-json.js';
export {
  checkContentHash,
  computeContentHash,
  computeEventId,
  redactedEventBytes,
  referenceHash,
} from './hashing.js';
export { type JsonObject, type JsonValue, MAX_SAFE_JSON_INTEGER } from './json.js';
export { DEFAULT_JSON_MAX_DEPTH, type ParseJsonOptions, parseJsonStrict } from './parse-json.js';
export {
  DEFAULT_ROOM_VERSION,
  domainOf,
  EVENT_LIMITS,
  isEventId,
  isRoomId,
  isUserId,
  MAX_ID_BYTES,
  type PDU,
  type RoomVersion,
  type UnsignedPDU,
  validatePdu,
} from './pdu.js';
export { REDACTION_KEPT_KEYS, redactEvent } from './redaction.js';
export {
  getStateEvent,
  joinRuleOf,
  membershipOf,
  type NamedPowerLevel,
  namedPowerLevel,
  powerLevelOfUser,
  type RoomState,
  requiredPowerLevel,
  roomStateFrom,
  type StateEntry,
  stateKey,
} from './room-state.js';
export {
  generateSigningKey,
  type SigningKey,
  signEvent,
  signingKeyFromSeed,
  signJson,
  verifyEventSignature,
  verifyJsonSignature,
} from './signing.js';
