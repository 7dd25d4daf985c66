import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The server's Prometheus metrics, on a registry of its own (so several servers in one process,
 * as in tests, do not clash).
 */
export class ServerMetrics {
  readonly registry = new Registry();
  /** Requests answered, by method, route pattern and status. */
  readonly requests = new Counter({
    name: 'parley_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  /** Time from request to response, by method and route pattern. */
  readonly duration = new Histogram({
    name: 'parley_http_request_duration_seconds',
    help: 'HTTP request latency in seconds, by method and route pattern',
    labelNames: ['method', 'route'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  /** Requests being handled now. */
  readonly inFlight = new Gauge({
    name: 'parley_http_requests_in_flight',
    help: 'HTTP requests being handled',
    registers: [this.registry],
  });
  /** Room events committed to storage, by type. */
  readonly eventsStored = new Counter({
    name: 'parley_events_stored_total',
    help: 'Room events committed to storage since start, by event type',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'parley_' });
  }

  /** The Prometheus text exposition of every metric. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  /** Its content type. */
  get contentType(): string {
    return this.registry.contentType;
  }
}
