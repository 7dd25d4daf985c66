import type { Clock, JsonObject, PDU, Random } from '@parley/core';
import type { Logger } from 'pino';
import type { FederationClient } from './federation-client.js';
import { seg } from './federation-client.js';

/** What {@link OutboundQueues} is built from. */
export interface OutboundOptions {
  serverName: string;
  client: FederationClient;
  clock: Clock;
  random: Random;
  logger: Logger;
  /** PDUs queued per destination; past it the oldest are dropped. */
  maxPdus: number;
  retryInitialMs: number;
  retryMaxMs: number;
}

/** PDUs per transaction (the protocol's cap). */
export const TXN_MAX_PDUS = 50;

interface Destination {
  name: string;
  queue: PDU[];
  /** The transaction being sent (kept across retries, so the receiver can deduplicate it). */
  txn: { id: string; pdus: PDU[] } | undefined;
  sending: boolean;
  failures: number;
  retryTimer: NodeJS.Timeout | undefined;
  retryAt: number | undefined;
}

/** Counters of the outgoing side, for tests and metrics. */
export interface OutboundStats {
  sent: number;
  failedAttempts: number;
  dropped: number;
}

/**
 * Sends our events to the other servers of their rooms: one queue per destination (bounded:
 * the oldest PDU is dropped when full, and the peer fills the gap by fetching it when the next
 * event arrives), one transaction in flight per destination (up to 50 PDUs, sent again with the
 * same id until it is answered), and per-destination backoff (exponential with jitter and a cap)
 * after failures; a request from the destination ends its backoff ({@link wake}).
 */
export class OutboundQueues {
  readonly #o: OutboundOptions;
  readonly #dests = new Map<string, Destination>();
  readonly #txnPrefix: string;
  #txnCounter = 0;
  #closed = false;
  readonly stats: OutboundStats = { sent: 0, failedAttempts: 0, dropped: 0 };

  constructor(options: OutboundOptions) {
    this.#o = options;
    this.#txnPrefix = String(options.clock.now());
  }

  /** Queues `pdu` for each destination (never ourselves) and starts sending. */
  enqueue(destinations: Iterable<string>, pdu: PDU): void {
    if (this.#closed) return;
    for (const name of destinations) {
      if (name === this.#o.serverName) continue;
      const d = this.#dest(name);
      d.queue.push(pdu);
      if (d.queue.length > this.#o.maxPdus) {
        d.queue.shift();
        this.stats.dropped++;
      }
      this.#pump(d);
    }
  }

  /** The destination showed signs of life: end its backoff and send what is queued. */
  wake(name: string): void {
    const d = this.#dests.get(name);
    if (d === undefined || d.retryTimer === undefined) return;
    clearTimeout(d.retryTimer);
    d.retryTimer = undefined;
    d.retryAt = undefined;
    this.#pump(d);
  }

  /** Queued PDUs and backoff of a destination. */
  state(name: string): { queued: number; failures: number; retryAt: number | undefined } | undefined {
    const d = this.#dests.get(name);
    if (d === undefined) return undefined;
    return { queued: d.queue.length + (d.txn?.pdus.length ?? 0), failures: d.failures, retryAt: d.retryAt };
  }

  close(): void {
    this.#closed = true;
    for (const d of this.#dests.values()) if (d.retryTimer !== undefined) clearTimeout(d.retryTimer);
  }

  #dest(name: string): Destination {
    let d = this.#dests.get(name);
    if (d === undefined) {
      d = {
        name,
        queue: [],
        txn: undefined,
        sending: false,
        failures: 0,
        retryTimer: undefined,
        retryAt: undefined,
      };
      this.#dests.set(name, d);
    }
    return d;
  }

  #pump(d: Destination): void {
    if (this.#closed || d.sending || d.retryTimer !== undefined) return;
    if (d.txn === undefined) {
      if (d.queue.length === 0) return;
      d.txn = { id: `${this.#txnPrefix}.${++this.#txnCounter}`, pdus: d.queue.splice(0, TXN_MAX_PDUS) };
    }
    d.sending = true;
    void this.#send(d, d.txn).finally(() => {
      d.sending = false;
      this.#pump(d);
    });
  }

  async #send(d: Destination, txn: { id: string; pdus: PDU[] }): Promise<void> {
    const { client, clock, logger } = this.#o;
    const res = await client.request(d.name, {
      method: 'PUT',
      path: `/_matrix/federation/v1/send/${seg(txn.id)}`,
      body: {
        origin: this.#o.serverName,
        origin_server_ts: clock.now(),
        pdus: txn.pdus,
        edus: [],
      } as unknown as JsonObject,
    });
    if (res.ok || isPermanent(res.status)) {
      if (!res.ok) {
        logger.warn(
          { destination: d.name, txn: txn.id, error: res.error },
          'federation: transaction refused',
        );
        this.stats.dropped += txn.pdus.length;
      } else {
        this.stats.sent += txn.pdus.length;
      }
      d.txn = undefined;
      d.failures = 0;
      return;
    }
    this.stats.failedAttempts++;
    d.failures++;
    const delay = this.#backoff(d.failures, res.retryAfterMs);
    logger.debug(
      { destination: d.name, failures: d.failures, delay, error: res.error },
      'federation: send failed',
    );
    d.retryAt = clock.now() + delay;
    d.retryTimer = setTimeout(() => {
      d.retryTimer = undefined;
      d.retryAt = undefined;
      this.#pump(d);
    }, delay);
    d.retryTimer.unref();
  }

  // Exponential with "equal jitter" (half fixed, half random): never zero, so a dead peer is not
  // hammered, and spread so that many servers do not retry in step.
  #backoff(failures: number, retryAfterMs: number | undefined): number {
    const { retryInitialMs, retryMaxMs, random } = this.#o;
    const cap = Math.min(retryMaxMs, retryInitialMs * 2 ** Math.min(failures - 1, 40));
    const bytes = random.bytes(4);
    const r =
      ((bytes[0] ?? 0) * 2 ** 24 + (bytes[1] ?? 0) * 2 ** 16 + (bytes[2] ?? 0) * 2 ** 8 + (bytes[3] ?? 0)) /
      2 ** 32;
    const delay = cap / 2 + (cap / 2) * r;
    return Math.max(delay, retryAfterMs ?? 0);
  }
}

// 400 (the transaction is malformed to the receiver), 404/405 (no such endpoint) and 413 will not
// get better by sending the same transaction again; 401/403 may (keys being fetched), and 5xx, 429
// and network failures are transient.
function isPermanent(status: number | undefined): boolean {
  return status === 400 || status === 404 || status === 405 || status === 413;
}
