import type { JsonObject, PDU } from '@parley/core';
import { FakeClock, SeededRandom } from '@parley/core/testing';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { FederationClient, FederationRequestInit } from './federation-client.js';
import type { HttpJsonResult } from './http-json.js';
import { OutboundQueues } from './outbound-queue.js';

const pdu = (n: number): PDU => ({ type: 'm.room.message', depth: n }) as unknown as PDU;
const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A client whose answers the test scripts; it records every request. */
function scripted(answer: (dest: string, n: number) => HttpJsonResult) {
  const calls: Array<{ dest: string; init: FederationRequestInit }> = [];
  const client = {
    request: async (dest: string, init: FederationRequestInit) => {
      calls.push({ dest, init });
      return answer(dest, calls.length);
    },
  } as unknown as FederationClient;
  return { client, calls };
}

function queues(
  client: FederationClient,
  over: { maxPdus?: number; retryInitialMs?: number; retryMaxMs?: number } = {},
) {
  return new OutboundQueues({
    serverName: 'me.example',
    client,
    clock: new FakeClock(0),
    random: new SeededRandom(1),
    logger: pino({ level: 'silent' }),
    maxPdus: over.maxPdus ?? 100,
    retryInitialMs: over.retryInitialMs ?? 20,
    retryMaxMs: over.retryMaxMs ?? 80,
  });
}

const ok: HttpJsonResult = { ok: true, status: 200, body: { pdus: {} } };

describe('OutboundQueues', () => {
  it('batches into transactions of at most 50 PDUs, one in flight per destination, never to itself', async () => {
    const { client, calls } = scripted(() => ok);
    const q = queues(client, { maxPdus: 200 });
    for (let i = 1; i <= 120; i++) q.enqueue(['b.example', 'me.example'], pdu(i));
    await tick(50);
    expect(calls.every((c) => c.dest === 'b.example')).toBe(true);
    const sizes = calls.map((c) => ((c.init.body as JsonObject).pdus as unknown[]).length);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(120);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(50);
    expect(q.stats.sent).toBe(120);
    q.close();
  });

  it('retries a failed transaction with the same id after a backoff, and wake() ends the backoff', async () => {
    let failing = true;
    const { client, calls } = scripted(() => (failing ? { ok: false, error: 'refused' } : ok));
    const q = queues(client, { retryInitialMs: 10_000, retryMaxMs: 60_000 });
    q.enqueue(['b.example'], pdu(1));
    await tick(20);
    expect(calls).toHaveLength(1);
    const state = q.state('b.example');
    expect(state?.failures).toBe(1);
    expect(state?.retryAt).toBeGreaterThanOrEqual(5000); // half the delay is fixed
    failing = false;
    q.wake('b.example');
    await tick(20);
    expect(calls).toHaveLength(2);
    expect(calls[1]?.init.path).toBe(calls[0]?.init.path);
    expect(q.state('b.example')).toMatchObject({ queued: 0, failures: 0 });
    q.close();
  });

  it('drops the oldest PDU past maxPdus, and a transaction the receiver refuses as malformed', async () => {
    const { client, calls } = scripted((_d, n) => (n === 1 ? { ok: false, status: 400, error: 'bad' } : ok));
    const q = queues(client, { maxPdus: 3 });
    for (let i = 1; i <= 5; i++) q.enqueue(['b.example'], pdu(i));
    await tick(50);
    // The first send took PDU 1 at once; 2..5 queued with room for 3: 2 was dropped.
    const sent = calls.map((c) => ((c.init.body as JsonObject).pdus as unknown as PDU[]).map((p) => p.depth));
    expect(sent).toEqual([[1], [3, 4, 5]]);
    expect(q.stats.dropped).toBe(2);
    q.close();
  });
});
