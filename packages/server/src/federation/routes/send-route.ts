import { computeEventId, isParleyError, type JsonObject, type PDU } from '@parley/core';
import { badJson, forbidden, invalidParam } from '../../http/matrix-errors.js';
import type { Federation } from '../federation.js';

/** Caps of one transaction (the protocol's). */
export const TXN_MAX_PDUS_IN = 50;
export const TXN_MAX_EDUS_IN = 100;
// Transactions remembered per origin and id, so a retried one is answered without reprocessing.
const MAX_REMEMBERED_TXNS = 10_000;

type PduResult = { error?: string };

function eventIdOf(json: unknown): string | undefined {
  try {
    return computeEventId(json as PDU);
  } catch {
    return undefined;
  }
}

/**
 * `PUT /_matrix/federation/v1/send/{txnId}`: each PDU is verified (shape, size, event id, the
 * origin's signature, the content hash) and admitted to the fetch scheduler, which fetches missing
 * prev and auth events and evaluates in order; each is then checked against the authorization
 * rules with its auth events. The answer reports every PDU: `{}` when accepted (or still being
 * evaluated after `federationSendWaitMs`), `{error}` when refused.
 */
export function addSendRoute(fed: Federation): void {
  const done = new Map<string, { pdus: Record<string, PduResult> }>();

  fed.server.route('PUT', '/_matrix/federation/v1/send/:txnId', async (ctx) => {
    const { origin, body } = await fed.authenticate(ctx, { body: true });
    const txnId = ctx.params.txnId as string;
    if (txnId.length === 0 || txnId.length > 255) throw invalidParam('Invalid transaction id');
    const b = body as JsonObject;
    if (b.origin !== undefined && b.origin !== origin) throw forbidden('"origin" is not the signing server');
    const pdus = b.pdus ?? [];
    const edus = b.edus ?? [];
    if (!Array.isArray(pdus) || pdus.length > TXN_MAX_PDUS_IN) {
      throw badJson(`"pdus" must be a list of at most ${TXN_MAX_PDUS_IN} PDUs`);
    }
    if (!Array.isArray(edus) || edus.length > TXN_MAX_EDUS_IN) {
      throw badJson(`"edus" must be a list of at most ${TXN_MAX_EDUS_IN} EDUs`);
    }
    fed.outbound.wake(origin);
    const key = JSON.stringify([origin, txnId]);
    const seen = done.get(key);
    if (seen !== undefined) return { body: seen };

    const results: Record<string, PduResult> = {};
    const waits: Array<Promise<void>> = [];
    for (const json of pdus) {
      const id = eventIdOf(json);
      const roomId = (json as { room_id?: unknown } | null)?.room_id;
      const joining = typeof roomId === 'string' ? fed.joinInProgress(roomId) : undefined;
      if (joining !== undefined) await joining;
      if (typeof roomId !== 'string' || (await fed.storage.getRoom(roomId)) === undefined) {
        fed.metrics.pdusIn.inc({ outcome: 'refused' });
        if (id !== undefined) results[id] = { error: 'Unknown room' };
        continue;
      }
      await Promise.all([
        fed.driver.prime(roomId, [json]),
        fed.known.prime(fed.storage, id === undefined ? [] : [id]),
      ]);
      let admission: ReturnType<typeof fed.driver.handlePdu>;
      try {
        admission = fed.driver.handlePdu(json, origin);
      } catch (err) {
        if (!isParleyError(err)) throw err;
        fed.metrics.pdusIn.inc({ outcome: 'refused' });
        if (id !== undefined) results[id] = { error: err.code };
        continue;
      }
      if (!admission.ok) {
        fed.metrics.pdusIn.inc({ outcome: 'refused' });
        const failedId = admission.eventId ?? id;
        if (failedId !== undefined) results[failedId] = { error: `PDU refused: ${admission.kind}` };
        continue;
      }
      const eventId = admission.eventId;
      results[eventId] = {};
      if (admission.duplicate) {
        fed.metrics.pdusIn.inc({ outcome: 'duplicate' });
        continue;
      }
      waits.push(
        fed.sink.waitDecided(eventId, fed.config.federationSendWaitMs).then((d) => {
          fed.metrics.pdusIn.inc({ outcome: d === undefined ? 'pending' : d.ok ? 'accepted' : 'rejected' });
          if (d !== undefined && !d.ok) results[eventId] = { error: d.reason };
        }),
      );
    }
    await Promise.all(waits);
    // EDUs (typing, receipts, presence, device lists) are accepted and not acted on yet.
    const answer = { pdus: results };
    done.set(key, answer);
    if (done.size > MAX_REMEMBERED_TXNS) done.delete(done.keys().next().value as string);
    return { body: answer };
  });
}
