import type { Clock, Random, RealtimeClusterEvent } from '@parley/core';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { RoomService } from '../rooms/room-service.js';
import type { StoredEvent } from '../storage/storage.js';
import { type BusNotice, ClusterKeys, decodeBusMessage, encodeNotice } from './cluster-wire.js';
import { OrderedEventStream } from './event-stream.js';
import type {
  ContactNotice,
  Fanout,
  LogoutNotice,
  RealtimeLink,
  ToDeviceNotice,
  TypingNotice,
} from './fanout.js';
import { InstanceLease } from './instance-lease.js';
import { pgStreamReads } from './pg-stream-reads.js';
import { RealtimeBridge } from './realtime-bridge.js';
import { RedisLink } from './redis-link.js';

/** What {@link RedisFanout.start} needs. */
export interface RedisFanoutOptions {
  /** `redis://…` */
  url: string;
  keyPrefix: string;
  /** A crashed instance's connections are offline for the others within this time. */
  presenceTtlMs: number;
  /** Periodic read of the event stream (besides the notices). */
  catchUpIntervalMs: number;
  /** The shared PostgreSQL database, where events are read back from. */
  pool: pg.Pool;
  rooms: RoomService;
  clock: Clock;
  random: Random;
  logger: Logger;
  /** Called when this instance cannot go on safely (its slot was taken by another instance). */
  onFatal: (err: Error) => void;
}

/**
 * The fan-out between server instances over Redis pub/sub (docs/scale-out.md): an instance slot
 * held by a lease, realtime connections and RTMSG through a {@link RealtimeBridge}, every stored
 * event read back in stream order from PostgreSQL ({@link OrderedEventStream}) when a notice
 * says there is one, and typing, to-device and contact notices. Redis holds only what can be
 * rebuilt: leases, connection records, and messages in flight.
 */
export class RedisFanout implements Fanout {
  readonly kind = 'redis';
  readonly sharedStream = true;
  readonly lease: InstanceLease;
  readonly #o: RedisFanoutOptions;
  readonly #link: RedisLink;
  readonly #keys: ClusterKeys;
  readonly #stream: OrderedEventStream;
  readonly #bridge: RealtimeBridge;
  readonly #typing: ((n: TypingNotice) => void)[] = [];
  readonly #toDevice: ((n: ToDeviceNotice) => void)[] = [];
  readonly #contact: ((n: ContactNotice) => void)[] = [];
  readonly #logout: ((n: LogoutNotice) => void)[] = [];
  readonly #timers: NodeJS.Timeout[] = [];
  #realtime: RealtimeLink | undefined;
  #started = false;
  #closed = false;

  private constructor(
    o: RedisFanoutOptions,
    link: RedisLink,
    keys: ClusterKeys,
    lease: InstanceLease,
    start: number,
  ) {
    this.#o = o;
    this.#link = link;
    this.#keys = keys;
    this.lease = lease;
    this.#stream = new OrderedEventStream({ reads: pgStreamReads(o.pool), start, logger: o.logger });
    this.#bridge = new RealtimeBridge({
      redis: link.cmd,
      keys,
      origin: lease.origin,
      ttlMs: leaseTtl(o.presenceTtlMs),
      clock: o.clock,
      logger: o.logger,
    });
    // This instance's commits: read them back (in order with everyone's) and tell the others.
    o.rooms.onEventStored((e) => {
      this.#stream.kick();
      this.#send({ t: 'event', o: lease.origin, n: e.streamOrdering });
    });
  }

  /**
   * Connects to Redis, takes an instance slot and subscribes. Nothing is delivered before
   * {@link start}.
   *
   * @throws when Redis cannot be reached or every slot is taken.
   */
  static async start(o: RedisFanoutOptions): Promise<RedisFanout> {
    const link = await RedisLink.connect(o.url, o.logger);
    try {
      const keys = new ClusterKeys(o.keyPrefix);
      const lease = await InstanceLease.acquire(link.cmd, keys, leaseTtl(o.presenceTtlMs), o.random);
      await link.setName(`parley:${o.keyPrefix}${lease.origin}`);
      // Before the stream's start is read: nothing committed later can be missed.
      await link.sub.subscribe(keys.bus, keys.rtmsg(lease.origin));
      const start = await pgStreamReads(o.pool).maxOrdering();
      const fanout = new RedisFanout(o, link, keys, lease, start);
      link.sub.on('messageBuffer', (_channel: Buffer, message: Buffer) => fanout.#receive(message));
      link.onReconnect(() => fanout.#recover());
      o.logger.info({ origin: lease.origin, slot: lease.slot }, 'cluster: joined');
      return fanout;
    } catch (err) {
      await link.close();
      throw err;
    }
  }

  get routerOptions() {
    return { cluster: true, ...this.lease.clientIdRange };
  }

  /** This instance's name in the cluster (`<slot>.<random>`). */
  get origin(): string {
    return this.lease.origin;
  }

  onEvent(listener: (e: StoredEvent) => void): void {
    this.#stream.onEvent(listener);
  }

  eventsSettled(): Promise<void> {
    return this.#stream.settled();
  }

  eventsReached(ordering: number): Promise<void> {
    return this.#stream.reached(ordering);
  }

  attachRealtime(link: RealtimeLink): void {
    this.#realtime = link;
    this.#bridge.attach(link);
  }

  /** Instances known to hold connections (this one included) and their connections. */
  stats(): { instances: number; remoteConnections: number } {
    return {
      instances: this.#bridge.origins.length + 1,
      remoteConnections: this.#realtime?.router.cluster.remoteCount ?? 0,
    };
  }

  publishRealtime(event: RealtimeClusterEvent): void {
    if (!this.#closed) this.#bridge.publish(event);
  }

  publishContact(n: ContactNotice): void {
    this.#send({ t: 'contact', o: this.origin, a: n.userId, b: n.contactId });
  }

  onContact(listener: (n: ContactNotice) => void): void {
    this.#contact.push(listener);
  }

  publishLogout(n: LogoutNotice): void {
    this.#send({ t: 'logout', o: this.origin, u: n.userId, d: n.deviceId });
  }

  onLogout(listener: (n: LogoutNotice) => void): void {
    this.#logout.push(listener);
  }

  publishTyping(n: TypingNotice): void {
    this.#send({
      t: 'typing',
      o: this.origin,
      room: n.roomId,
      user: n.userId,
      typing: n.typing,
      expiresAt: n.expiresAt,
    });
  }

  onTyping(listener: (n: TypingNotice) => void): void {
    this.#typing.push(listener);
  }

  publishToDevice(n: ToDeviceNotice): void {
    const d = n.devices.map((x): [string, string] => [x.userId, x.deviceId]);
    this.#send({ t: 'to_device', o: this.origin, n: n.ordering, p: n.position, d });
  }

  onToDevice(listener: (n: ToDeviceNotice) => void): void {
    this.#toDevice.push(listener);
  }

  start(): void {
    this.#started = true;
    this.#stream.start();
    void this.#bridge.resync();
    this.#send({ t: 'hello', o: this.origin });
    const { presenceTtlMs, catchUpIntervalMs } = this.#o;
    this.#every(Math.max(50, Math.floor(presenceTtlMs / 4)), () => this.#keepLease());
    this.#every(catchUpIntervalMs, () => this.#stream.kick());
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const t of this.#timers) clearInterval(t);
    this.#stream.close();
    try {
      await this.#link.cmd.publish(this.#keys.bus, encodeNotice({ t: 'bye', o: this.origin }));
      await this.lease.release();
    } catch (err) {
      // The lease runs out by itself; the others drop this instance then.
      this.#o.logger.warn({ err }, 'cluster: could not say goodbye to the other instances');
    }
    await this.#link.close();
  }

  #every(ms: number, fn: () => void | Promise<void>): void {
    const t = setInterval(() => {
      Promise.resolve()
        .then(fn)
        .catch((err: unknown) => this.#o.logger.warn({ err }, 'cluster: periodic task failed'));
    }, ms);
    t.unref();
    this.#timers.push(t);
  }

  async #keepLease(): Promise<void> {
    if (!(await this.lease.refresh())) {
      if (!(await this.lease.retake())) {
        this.#o.onFatal(new Error(`instance slot ${this.lease.slot} was taken by another instance`));
        return;
      }
      this.#o.logger.warn({ origin: this.origin }, 'cluster: the lease had run out; took it again');
      await this.#bridge.republish();
      this.#send({ t: 'hello', o: this.origin });
    }
    await this.#bridge.checkOrigins();
  }

  /** After Redis came back: notices may be lost; read the state again. */
  #recover(): void {
    this.#stream.kick();
    void this.#keepLease().then(() => this.#bridge.resync());
  }

  #send(n: BusNotice): void {
    if (this.#closed) return;
    this.#link.cmd.publish(this.#keys.bus, encodeNotice(n)).catch((err: unknown) => {
      this.#o.logger.debug({ err, notice: n.t }, 'cluster: publish failed');
    });
  }

  #receive(message: Buffer): void {
    if (!this.#started || this.#closed) return;
    const m = decodeBusMessage(message);
    if (m === undefined) {
      this.#o.logger.warn({ bytes: message.length }, 'cluster: dropped a malformed bus message');
      return;
    }
    if (m.kind === 'rtmsg') {
      this.#bridge.deliver(m.rtmsg);
      return;
    }
    const n = m.notice;
    if (n.o === this.origin) return;
    try {
      this.#dispatch(n);
    } catch (err) {
      this.#o.logger.error({ err, notice: n.t }, 'cluster: handling a notice failed');
    }
  }

  #dispatch(n: BusNotice): void {
    switch (n.t) {
      case 'hello':
        this.#bridge.onHello(n.o);
        return;
      case 'bye':
        this.#bridge.dropOrigin(n.o);
        return;
      case 'conn':
      case 'gone':
      case 'call':
        this.#bridge.apply(n);
        return;
      case 'event':
        this.#stream.kick();
        return;
      case 'typing':
        for (const l of this.#typing)
          l({ roomId: n.room, userId: n.user, typing: n.typing, expiresAt: n.expiresAt });
        return;
      case 'to_device': {
        const devices = n.d.map(([userId, deviceId]) => ({ userId, deviceId }));
        for (const l of this.#toDevice) l({ ordering: n.n, position: n.p, devices });
        return;
      }
      case 'contact':
        for (const l of this.#contact) l({ userId: n.a, contactId: n.b });
        return;
      case 'logout':
        for (const l of this.#logout) l({ userId: n.u, deviceId: n.d });
        return;
    }
  }
}

/** The lease TTL for a presence TTL: renewed every quarter, so a crash shows within the whole. */
function leaseTtl(presenceTtlMs: number): number {
  return Math.floor((presenceTtlMs * 3) / 4);
}
