/**
 * The event fetch scheduler and backfill planner (issue 6): sans-IO, with the clock, randomness,
 * the verifier and the store injected.
 *
 * @packageDocumentation
 */
export { rankBackfillServers } from './backfill.js';
export { BackoffTable, LiarMarks } from './backoff.js';
export { voteHead } from './head-vote.js';
export {
  type AttemptFailureKind,
  createFetchMetrics,
  type DestinationLatency,
  type FetchMetrics,
} from './metrics.js';
export {
  type BackoffPolicy,
  DEFAULT_FETCH_OPTIONS,
  type FetchOptions,
  resolveFetchOptions,
} from './options.js';
export { chooseOrigin, type OriginChoice, type OriginContext, serverOf } from './origin.js';
export { createPduVerifier, type PublicKeyLookup } from './pdu-verifier.js';
export { FetchScheduler, type FetchSchedulerInit, type FetchSchedulerStats } from './scheduler.js';
export type {
  AuthorizeVerdict,
  EvaluationContext,
  FetchFailReason,
  FetchHost,
  FetchOutput,
  FetchPdu,
  FetchRequest,
  FetchRequestKind,
  FetchRequestParams,
  FetchResponse,
  PduAdmission,
  PduVerifier,
  RoomServer,
  VerifyFailureKind,
  VerifyResult,
} from './types.js';
