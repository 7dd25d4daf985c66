/**
 * Federation: the server-server API (keys, X-Matrix, the `/_matrix/federation` endpoints),
 * outgoing transactions, joins of remote rooms and backfill (docs/federation.md).
 *
 * @packageDocumentation
 */
export { type Decision, EventSink } from './event-sink.js';
export { Federation, type InstallFederationOptions, installFederation } from './federation.js';
export {
  FederationClient,
  type FederationClientOptions,
  type FederationRequestInit,
} from './federation-client.js';
export { FEDERATION_OPTIONS, type FederationConfig } from './federation-options.js';
export { type BackfillResult, FetchDriver } from './fetch-driver.js';
export { type FetchJsonOptions, fetchJson, type HttpJsonResult } from './http-json.js';
export { KeyRing, type KeyRingOptions } from './keys/key-ring.js';
export {
  makeServerKeyDocument,
  type ServerKeyDocument,
  type VerifiedServerKeys,
  verifyServerKeyDocument,
} from './keys/server-key-document.js';
export { type OutboundOptions, OutboundQueues, type OutboundStats, TXN_MAX_PDUS } from './outbound-queue.js';
export { joinRemoteRoom } from './remote-join.js';
export {
  authenticateFederation,
  FEDERATION_MAX_BODY_BYTES,
  type FederationRequester,
} from './request-auth.js';
export { DEFAULT_FEDERATION_PORT, federationBaseUrl, isServerName } from './server-name.js';
export {
  parseXMatrix,
  type SignedRequest,
  signXMatrix,
  verifyXMatrix,
  type XMatrixAuth,
} from './x-matrix.js';
