import { ParleyError } from '../errors.js';

/** Limits and timeouts of a {@link RealtimeRouter}; every field has a default. */
export interface RealtimeRouterOptions {
  /** Largest RTMSG `data` accepted; longer ones get `OP_REJECT … TOO_LARGE`. Default 65 536. */
  maxRtmsgBytes: number;
  /** Largest inbound binary message; larger ones close the connection with 1009. Default 1 MiB. */
  maxMessageBytes: number;
  /** Open connections per user; one more is closed with 1008. Default 16. */
  maxConnectionsPerUser: number;
  /** Open connections in total; one more is closed with 1008. Default 100 000. */
  maxConnections: number;
  /** Token bucket refill: commands per second per connection. Default 50. */
  commandsPerSecond: number;
  /**
   * Token bucket size. A command with no token left gets `OP_REJECT … RATE_LIMITED`; a connection
   * that keeps sending until it owes this many tokens is closed with 1008. Default 100.
   */
  commandBurst: number;
  /** A connection is out of a call this long after its last `OP_IN_CALL room 1`. Default 10 000 ms. */
  inCallTimeoutMs: number;
  /** A connection that has not sent `OP_HELLO` this long after `connect` is closed (1008). Default 10 000 ms. */
  helloTimeoutMs: number;
  /**
   * A connection that has sent nothing this long is closed (1008); clients send `OP_KEEPALIVE`
   * well within it. 0 disables the check. Default 60 000 ms.
   */
  clientTimeoutMs: number;
  /**
   * The first client id handed out, within `clientIdMin .. clientIdMax`; tests start near the
   * top to see wrap-around. Default `clientIdMin`.
   */
  firstClientId: number;
  /**
   * The lowest client id this router hands out; after `clientIdMax` it wraps around to it. Several
   * server instances give each router a range of its own (an instance prefix in the high bits),
   * so client ids stay unique across instances. Default 1.
   */
  clientIdMin: number;
  /** The highest client id this router hands out (at most 2^32-1). Default 2^32-1. */
  clientIdMax: number;
  /**
   * Cluster mode: the router also reports what other server instances need to know
   * (`{ cluster }` outputs of `poll()`: its connections' presence, in-call heartbeats, RTMSG for
   * their connections) and takes their connections in through {@link RealtimeRouter.cluster}.
   * Default false.
   */
  cluster: boolean;
}

/** The defaults of {@link RealtimeRouterOptions}. */
export const DEFAULT_REALTIME_ROUTER_OPTIONS: Readonly<RealtimeRouterOptions> = Object.freeze({
  maxRtmsgBytes: 64 * 1024,
  maxMessageBytes: 1024 * 1024,
  maxConnectionsPerUser: 16,
  maxConnections: 100_000,
  commandsPerSecond: 50,
  commandBurst: 100,
  inCallTimeoutMs: 10_000,
  helloTimeoutMs: 10_000,
  clientTimeoutMs: 60_000,
  firstClientId: 1,
  clientIdMin: 1,
  clientIdMax: 0xffffffff,
  cluster: false,
});

/** Fills in defaults and checks ranges; throws `ParleyError` `invalid_argument` on a bad value. */
export function resolveRouterOptions(options: Partial<RealtimeRouterOptions> = {}): RealtimeRouterOptions {
  const o = { ...DEFAULT_REALTIME_ROUTER_OPTIONS };
  for (const [key, value] of Object.entries(options) as [keyof RealtimeRouterOptions, unknown][]) {
    if (value === undefined) continue;
    if (!(key in DEFAULT_REALTIME_ROUTER_OPTIONS)) {
      throw new ParleyError('invalid_argument', `unknown realtime router option ${key}`);
    }
    if (key === 'cluster') {
      if (typeof value !== 'boolean') {
        throw new ParleyError('invalid_argument', 'realtime router option cluster must be a boolean');
      }
      o.cluster = value;
      continue;
    }
    const min = key === 'clientTimeoutMs' ? 0 : 1;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
      throw new ParleyError('invalid_argument', `realtime router option ${key} must be a number >= ${min}`);
    }
    (o as Record<string, unknown>)[key] = value;
  }
  if (options.firstClientId === undefined) o.firstClientId = o.clientIdMin;
  const ids = [o.clientIdMin, o.firstClientId, o.clientIdMax];
  if (!ids.every(Number.isInteger) || o.clientIdMax > 0xffffffff) {
    throw new ParleyError('invalid_argument', 'client ids must be integers 1 .. 2^32-1');
  }
  if (!(o.clientIdMin <= o.firstClientId && o.firstClientId <= o.clientIdMax)) {
    throw new ParleyError(
      'invalid_argument',
      'firstClientId must lie within clientIdMin .. clientIdMax (clientIdMin <= clientIdMax)',
    );
  }
  if (o.clientIdMax - o.clientIdMin + 1 <= o.maxConnections) {
    // Otherwise every id could be in use and the allocation would never end.
    throw new ParleyError('invalid_argument', 'the client id range must be larger than maxConnections');
  }
  if (o.maxRtmsgBytes > 0xffffff) {
    throw new ParleyError('invalid_argument', 'maxRtmsgBytes cannot exceed the 3-byte msglen (2^24-1)');
  }
  return o;
}
