/**
 * The vocabulary of the fetch scheduler: what it reads from a PDU, what it asks of its host and of
 * the verifier, the federation requests it emits and the outputs it reports.
 */

/**
 * The fields of a PDU that the scheduler reads. The events module's `PDU` satisfies it; the
 * scheduler is generic over the concrete type so it hands the caller back exactly what the
 * verifier returned.
 */
export interface FetchPdu {
  room_id: string;
  sender: string;
  depth: number;
  prev_events: readonly string[];
  auth_events: readonly string[];
}

/** Why a fetched or received event was refused before evaluation. */
export type VerifyFailureKind =
  /** The content hash does not match and the content is not a redaction: altered content. */
  | 'forged'
  /** The recomputed event id differs from the id that was asked for. */
  | 'wrong_event'
  /** The event belongs to another room than the one asked about. */
  | 'wrong_room'
  /** The origin's signature is missing or does not verify. */
  | 'bad_signature'
  /** The content hash does not match, but the copy is a valid redaction (see {@link VerifyResult}). */
  | 'hash_mismatch'
  /** Larger than the PDU size limit. */
  | 'too_large'
  /** Not a PDU at all: wrong shape or types. */
  | 'malformed'
  /** The origin's key is not known, so the signature cannot be checked yet. */
  | 'unknown_key';

/** The answer of a {@link PduVerifier}. */
export type VerifyResult<P extends FetchPdu = FetchPdu> =
  | { ok: true; eventId: string; pdu: P }
  | {
      ok: false;
      kind: 'hash_mismatch';
      eventId: string;
      /** The copy in redacted form; its signature verified, so it is a genuine, redacted event. */
      redacted: P;
    }
  | { ok: false; kind: Exclude<VerifyFailureKind, 'hash_mismatch'>; eventId?: string; message?: string };

/**
 * Checks an event before the scheduler accepts it. Injected so that the scheduler does not depend on
 * key fetching; `createPduVerifier` builds the real one from the events module.
 */
export interface PduVerifier<P extends FetchPdu = FetchPdu> {
  /**
   * @param expectedId the id that was asked for, or `null` when any event will do (batches,
   *   pushed events): the verifier then only computes the id.
   * @param roomId the room the event must belong to.
   * @param json the untrusted JSON as received.
   */
  verify(expectedId: string | null, roomId: string, json: unknown): VerifyResult<P>;
}

/** A server with a member in a room. */
export interface RoomServer {
  /** The server name (`host:port`). */
  name: string;
  /** When the server's first member joined (ms or depth); smaller ranks first for backfill. */
  joinedAt?: number;
}

/** What the scheduler tells {@link FetchHost.authorize} about an event. */
export interface EvaluationContext {
  eventId: string;
  /** True for events fetched for state or on request, which are not part of the timeline DAG. */
  outlier: boolean;
  /** `prev_events` nobody could give us or beyond the gap-walk limit (now backward extremities). */
  missingPrevs: readonly string[];
  /** True when the accepted copy is redacted (its content hash did not match). */
  redacted: boolean;
}

/** The verdict of {@link FetchHost.authorize}. */
export type AuthorizeVerdict = { ok: true } | { ok: false; reason: string };

/** What the scheduler reads from the server that runs it. All calls are synchronous. */
export interface FetchHost<P extends FetchPdu = FetchPdu> {
  /** True when the event is stored (accepted, rejected or outlier): it is never fetched again. */
  has(eventId: string): boolean;
  /** The servers with a member in the room, ourselves included or not. */
  roomServers(roomId: string): readonly RoomServer[];
  /** Our forward extremities: the `earliest_events` of `get_missing_events`. */
  forwardExtremities(roomId: string): readonly string[];
  /**
   * Checks an event against the authorization rules. Called only when every `prev_events` and
   * `auth_events` entry is stored or given up (see `missingPrevs`), in topological order.
   */
  authorize(pdu: P, context: EvaluationContext): AuthorizeVerdict;
}

/** The federation requests the scheduler emits. */
export type FetchRequestKind =
  | 'event'
  | 'get_missing_events'
  | 'state_ids'
  | 'event_auth'
  | 'backfill'
  | 'make_join';

/**
 * Parameters per request kind, named as in the server-server API. Expected answers (the HTTP body):
 * - `event`: `GET /event/{eventId}` → `{ pdus: [pdu] }`
 * - `get_missing_events`: `POST /get_missing_events/{roomId}` → `{ events: [pdu…] }`
 * - `state_ids`: `GET /state_ids/{roomId}?event_id` → `{ pdu_ids: [id…], auth_chain_ids: [id…] }`
 * - `event_auth`: `GET /event_auth/{roomId}/{eventId}` → `{ auth_chain: [pdu…] }`
 * - `backfill`: `GET /backfill/{roomId}?v&limit` → `{ pdus: [pdu…] }` (newest first)
 * - `make_join`: `GET /make_join/{roomId}/{userId}` with a user of ours → `{ event: { prev_events } }`,
 *   used only to learn a server's forward extremities (the seed's `_heads`).
 */
export interface FetchRequestParams {
  event: { roomId: string; eventId: string };
  get_missing_events: {
    roomId: string;
    earliest_events: string[];
    latest_events: string[];
    limit: number;
    min_depth: number;
  };
  state_ids: { roomId: string; eventId: string };
  event_auth: { roomId: string; eventId: string };
  backfill: { roomId: string; v: string[]; limit: number };
  make_join: { roomId: string };
}

/** An outgoing federation request; answer it with `handleResponse(now, id, response)`. */
export type FetchRequest = {
  [K in FetchRequestKind]: {
    /** Unique per scheduler; quote it in `handleResponse`. */
    id: number;
    destination: string;
    kind: K;
    params: FetchRequestParams[K];
    /** The scheduler gives up on the attempt after this long (it reports a `cancel`). */
    timeoutMs: number;
  };
}[FetchRequestKind];

/** The outcome of a request, as fed back to the scheduler. */
export type FetchResponse =
  | { ok: true; body: unknown }
  | {
      ok: false;
      /** The HTTP status; absent for a network failure (refused, reset, DNS, TLS). */
      status?: number;
      /** A `Retry-After` (or `retry_after_ms`) from a 429, honoured as the minimum backoff. */
      retryAfterMs?: number;
    };

/** Why an event could not be fetched. */
export type FetchFailReason =
  /** Every eligible origin was tried (or the per-fetch origin limit was reached). */
  | 'exhausted'
  /** No server of the room is eligible (all are us, tried, in backoff or marked as liars). */
  | 'no_origin'
  /** The event failed recently and is in per-event backoff. */
  | 'backoff'
  /** Its evaluation rejected it. */
  | 'rejected'
  /** Waited longer than `maxFetchMs` for an origin. */
  | 'timeout';

/** What the scheduler reports through `poll()`. */
export type FetchOutput<P extends FetchPdu = FetchPdu> =
  /** Send this request. */
  | { type: 'request'; request: FetchRequest }
  /** Abort this request if it is still running; its answer would be ignored. */
  | { type: 'cancel'; requestId: number }
  /** Store this event: it passed verification and authorization, in topological order. */
  | {
      type: 'evaluated';
      eventId: string;
      roomId: string;
      pdu: P;
      outlier: boolean;
      missingPrevs: string[];
      redacted: boolean;
      /** True when the event came from `backfill` (history older than what we held). */
      backfilled: boolean;
    }
  /** Store this event as rejected (so it is not fetched again); it failed authorization. */
  | { type: 'rejected'; eventId: string; roomId: string; pdu: P; reason: string }
  /** These events could not be fetched now (gap-walk limit or nobody had them): fill them by backfill. */
  | { type: 'backward_extremity'; roomId: string; eventIds: string[] }
  /** A fetch the scheduler started for itself (a gap, a state or auth event) failed. */
  | { type: 'fetch_failed'; roomId: string; eventId: string; reason: FetchFailReason }
  /** The answer to `requestEvent`: the event is stored (ok) or could not be had. */
  | { type: 'event_done'; ticket: number; eventId: string; ok: true }
  | { type: 'event_done'; ticket: number; eventId: string; ok: false; reason: FetchFailReason }
  /** The answer to `fetchState`: the state ids at `eventId`, every one fetched and evaluated but `missing`. */
  | {
      type: 'state_done';
      ticket: number;
      roomId: string;
      eventId: string;
      stateIds: string[];
      authChainIds: string[];
      missing: string[];
    }
  | { type: 'state_failed'; ticket: number; roomId: string; reason: string }
  /** The answer to `backfill`: events stored, newest first, and the new backward extremities. */
  | {
      type: 'backfill_done';
      ticket: number;
      roomId: string;
      eventIds: string[];
      backwardExtremities: string[];
    }
  | { type: 'backfill_failed'; ticket: number; roomId: string; reason: string };

/** The answer of `handlePdu` for a pushed event (e.g. from `/send`). */
export type PduAdmission =
  | { ok: true; eventId: string; duplicate: boolean }
  | { ok: false; kind: VerifyFailureKind; eventId?: string };
