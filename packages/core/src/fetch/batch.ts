import { countFailure, type FetchMetrics } from './metrics.js';
import { serverOf } from './origin.js';
import type { FetchPdu, PduVerifier, VerifyFailureKind, VerifyResult } from './types.js';

/** Failure kinds that prove the answering server lied (as opposed to not knowing a key, or size). */
const LIES: ReadonlySet<VerifyFailureKind> = new Set([
  'forged',
  'wrong_event',
  'wrong_room',
  'bad_signature',
  'malformed',
]);

/** True when an answer failing with `kind` marks the server that gave it as a liar. */
export function isLie(kind: VerifyFailureKind): boolean {
  return LIES.has(kind);
}

/**
 * Runs the verifier so that a throwing one (a bug, or input it did not expect) reports a
 * `malformed` event instead of unwinding through the scheduler.
 */
export function safeVerify<P extends FetchPdu>(
  verifier: PduVerifier<P>,
  expectedId: string | null,
  roomId: string,
  json: unknown,
): VerifyResult<P> {
  try {
    return verifier.verify(expectedId, roomId, json);
  } catch (e) {
    return { ok: false, kind: 'malformed', message: e instanceof Error ? e.message : String(e) };
  }
}

/** A verified event of a batch answer. */
export interface BatchEvent<P extends FetchPdu> {
  pdu: P;
  redacted: boolean;
}

/** The result of {@link verifyBatch}. */
export interface VerifiedBatch<P extends FetchPdu> {
  events: Map<string, BatchEvent<P>>;
  /** True when some event proved the server a liar. */
  lied: boolean;
}

/** The array at `body[field]`, or undefined when the body does not have that shape. */
export function arrayField(body: unknown, field: string): unknown[] | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const v = (body as Record<string, unknown>)[field];
  return Array.isArray(v) ? v : undefined;
}

/**
 * Verifies the events of a batch answer (`get_missing_events`, `backfill`, `event_auth`) from
 * `from`. At most `max` entries are looked at. A redacted copy (hash mismatch) is kept only when
 * `from` is the event's own origin; from anyone else it is dropped so an intact copy is sought.
 */
export function verifyBatch<P extends FetchPdu>(
  verifier: PduVerifier<P>,
  metrics: FetchMetrics,
  roomId: string,
  from: string,
  list: readonly unknown[],
  max: number,
): VerifiedBatch<P> {
  const events = new Map<string, BatchEvent<P>>();
  let lied = false;
  for (const json of list.slice(0, max)) {
    const r = safeVerify(verifier, null, roomId, json);
    if (r.ok) {
      events.set(r.eventId, { pdu: r.pdu, redacted: false });
      continue;
    }
    countFailure(metrics, r.kind);
    if (r.kind === 'hash_mismatch') {
      if (serverOf(r.redacted.sender) === from) events.set(r.eventId, { pdu: r.redacted, redacted: true });
    } else if (isLie(r.kind)) {
      lied = true;
    }
  }
  return { events, lied };
}

/**
 * The events of `batch` reachable from `wanted` through `prev_events` and `auth_events`, skipping
 * what `known` already holds: only events we asked for, or ancestors of them, are accepted, so a
 * server cannot slip unrelated events in. Returned shallowest first (the order to admit them in).
 */
export function acceptReachable<P extends FetchPdu>(
  batch: ReadonlyMap<string, BatchEvent<P>>,
  wanted: Iterable<string>,
  known: (id: string) => boolean,
): Array<[string, BatchEvent<P>]> {
  const accepted = new Map<string, BatchEvent<P>>();
  const stack = [...wanted];
  while (stack.length > 0) {
    const id = stack.pop() as string;
    if (accepted.has(id)) continue;
    const ev = batch.get(id);
    if (ev === undefined || known(id)) continue;
    accepted.set(id, ev);
    for (const p of ev.pdu.prev_events) stack.push(p);
    for (const a of ev.pdu.auth_events) stack.push(a);
  }
  return [...accepted].sort(
    ([ia, a], [ib, b]) => a.pdu.depth - b.pdu.depth || (ia < ib ? -1 : ia > ib ? 1 : 0),
  );
}
