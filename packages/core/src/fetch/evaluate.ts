import type { FetchContext } from './context.js';
import type { AuthorizeVerdict, FetchOutput, FetchPdu } from './types.js';

/**
 * The evaluation step, separate from the request side: takes the next ready event (every prev and
 * auth event decided), checks it against the authorization rules through the host's hook, and
 * reports it `evaluated` or `rejected`. Deciding it releases the events that wait on it.
 */
export function evaluateNext<P extends FetchPdu>(ctx: FetchContext<P>): FetchOutput<P> | undefined {
  const { graph, host, metrics } = ctx;
  const node = graph.nextReady();
  if (node === undefined) return undefined;
  const context = {
    eventId: node.eventId,
    outlier: node.mode === 'outlier',
    missingPrevs: [...node.missingPrevs],
    redacted: node.redacted,
  };
  let verdict: AuthorizeVerdict;
  try {
    verdict = node.authMissing
      ? { ok: false, reason: 'an auth event could not be fetched' }
      : host.authorize(node.pdu, context);
  } catch (e) {
    // A throwing hook is a rejection of this event, not a crash of the scheduler.
    verdict = { ok: false, reason: `authorize threw: ${e instanceof Error ? e.message : String(e)}` };
  }
  let out: FetchOutput<P>;
  if (verdict.ok) {
    metrics.evaluated++;
    out = {
      type: 'evaluated',
      roomId: node.roomId,
      pdu: node.pdu,
      ...context,
      backfilled: node.mode === 'backfill',
    };
  } else {
    metrics.rejected++;
    out = {
      type: 'rejected',
      eventId: node.eventId,
      roomId: node.roomId,
      pdu: node.pdu,
      reason: verdict.reason,
    };
  }
  graph.decided(node, verdict.ok);
  return out;
}
