import { Counter, Gauge } from 'prom-client';
import type { Federation } from './federation.js';

/**
 * Prometheus metrics of federation, on the server's registry: incoming PDU verdicts, outgoing
 * transactions, queue sizes, key fetches and the fetch scheduler's counters (read at scrape time).
 */
export class FederationMetrics {
  /** PDUs received in `/send`, by outcome (`accepted`, `rejected`, `refused`, `duplicate`, `pending`). */
  readonly pdusIn: Counter<'outcome'>;

  constructor(fed: Federation) {
    const registers = [fed.server.metrics.registry];
    this.pdusIn = new Counter({
      name: 'parley_federation_pdus_received_total',
      help: 'PDUs received in /send transactions, by outcome',
      labelNames: ['outcome'] as const,
      registers,
    });
    new Gauge({
      name: 'parley_federation_outbound_pdus',
      help: 'Outgoing PDUs: sent, dropped (queue full or refused) and failed transaction attempts',
      labelNames: ['kind'] as const,
      registers,
      collect() {
        const s = fed.outbound.stats;
        this.set({ kind: 'sent' }, s.sent);
        this.set({ kind: 'dropped' }, s.dropped);
        this.set({ kind: 'failed_attempts' }, s.failedAttempts);
      },
    });
    new Gauge({
      name: 'parley_federation_key_fetches',
      help: 'Key documents fetched from other servers since start',
      registers,
      collect() {
        this.set(fed.keys.fetches);
      },
    });
    new Gauge({
      name: 'parley_federation_fetches',
      help: "The fetch scheduler's counters since start (started, succeeded, deduplicated, cancelled, evaluated, rejected, failed)",
      labelNames: ['kind'] as const,
      registers,
      collect() {
        const m = fed.driver.scheduler.metrics;
        this.set({ kind: 'started' }, m.started);
        this.set({ kind: 'succeeded' }, m.succeeded);
        this.set({ kind: 'deduplicated' }, m.deduplicated);
        this.set({ kind: 'cancelled' }, m.cancelled);
        this.set({ kind: 'evaluated' }, m.evaluated);
        this.set({ kind: 'rejected' }, m.rejected);
        this.set({ kind: 'failed' }, m.fetchesFailed);
      },
    });
    new Gauge({
      name: 'parley_federation_fetch_queue',
      help: "The fetch scheduler's queues (in flight, queued, pending evaluation)",
      labelNames: ['queue'] as const,
      registers,
      collect() {
        const st = fed.driver.scheduler.stats;
        this.set({ queue: 'in_flight' }, st.inFlight);
        this.set({ queue: 'queued' }, st.queued);
        this.set({ queue: 'pending_events' }, st.pendingEvents);
      },
    });
  }
}
