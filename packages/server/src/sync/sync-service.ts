import {
  type Clock,
  type Random,
  type SyncChange,
  SyncEngine,
  type SyncEngineRequest,
  type SyncResponseBody,
  type Timers,
} from '@parley/core';
import type { Logger } from 'pino';
import { type Fanout, LocalFanout, type ToDeviceNotice, type TypingNotice } from '../cluster/fanout.js';
import { forbidden, matrixError } from '../http/matrix-errors.js';
import type { RoomService } from '../rooms/room-service.js';
import type { Storage, StoredEvent, TxnKey } from '../storage/storage.js';
import type { ToDeviceAddResult, ToDeviceBounds } from '../storage/sync-storage.js';
import { DEFAULT_MINOR_BITS, SyncPositions } from './positions.js';
import { StorageSyncSource } from './storage-sync-source.js';
import { type SyncSettings, TO_DEVICE_TXN_RETENTION_MS } from './sync-config.js';
import { INDEXED_STATE_TYPES, NO_HANDLE, SyncIndexes } from './sync-indexes.js';
import { SyncTimer } from './sync-timer.js';
import { expandAddressees, type ToDeviceAddressee, tooMany } from './to-device-request.js';
import { TypingTable } from './typing-table.js';

/** What {@link SyncService.start} is built on. */
export interface SyncServiceDeps {
  storage: Storage;
  rooms: RoomService;
  clock: Clock;
  random: Random;
  timers: Timers;
  logger: Logger;
  settings: SyncSettings;
  /** Bits of a position below the stream ordering (tests shrink it to reach the overflow path). */
  minorBits?: number;
  /**
   * Where stored events come from and where typing and to-device news go (several instances:
   * docs/scale-out.md). Default: this process's own events only.
   */
  fanout?: Fanout;
}

/** How long a sync request took in the server, from its arrival to its answer or its wait. */
export interface SyncTiming {
  /** `response`: answered at once; `wait`: parked in a long-poll (timed to the parking). */
  kind: 'response' | 'wait';
  ms: number;
}

/**
 * Sync v3 in the server: core's {@link SyncEngine} over a {@link StorageSyncSource}, the
 * in-memory indexes it reads (rebuilt at start, then fed by every stored event), typing notices
 * and to-device sends. Every change takes a stream position in order ({@link SyncPositions}),
 * then wakes the long-polls it concerns. docs/sync.md describes it.
 */
export class SyncService {
  readonly engine: SyncEngine;
  readonly indexes: SyncIndexes;
  readonly typing = new TypingTable();
  readonly #deps: SyncServiceDeps;
  readonly #positions: SyncPositions;
  readonly #fanout: Fanout;
  readonly #handles: Map<string, string>;
  readonly #engineTimer: SyncTimer;
  readonly #typingTimer: SyncTimer;
  readonly #timingListeners = new Set<(t: SyncTiming) => void>();
  #closing = false;
  /** The stream ordering the indexes were rebuilt up to at start. */
  #rebuiltUpTo = 0;

  private constructor(deps: SyncServiceDeps, positions: SyncPositions, handles: Map<string, string>) {
    this.#deps = deps;
    this.#positions = positions;
    this.#fanout = deps.fanout ?? new LocalFanout(deps.rooms);
    this.#handles = handles;
    this.indexes = new SyncIndexes((u) => this.#handles.get(u) ?? NO_HANDLE);
    const source = new StorageSyncSource({
      storage: deps.storage,
      positions,
      indexes: this.indexes,
      typing: this.typing,
    });
    this.engine = new SyncEngine({
      source,
      random: deps.random,
      limits: deps.settings.limits,
      onError: (err) => deps.logger.error({ err }, 'sync: to-device deletion failed'),
    });
    this.#engineTimer = new SyncTimer(deps.clock, deps.timers, () => this.#onEngineTimer());
    this.#typingTimer = new SyncTimer(deps.clock, deps.timers, () => this.#onTypingTimer());
  }

  /**
   * Starts listening to `rooms`, then rebuilds the indexes from storage. Events stored while the
   * storage is read are held and applied after the rebuild (applying an event twice is harmless:
   * every index update is an upsert).
   */
  static async start(deps: SyncServiceDeps): Promise<SyncService> {
    const { storage } = deps;
    let service: SyncService | undefined;
    const early: StoredEvent[] = [];
    (deps.fanout ?? new LocalFanout(deps.rooms)).onEvent((e) =>
      service === undefined ? early.push(e) : service.#onEvent(e),
    );
    const [maxOrdering, maxToDevice, heads, state] = await Promise.all([
      storage.getMaxStreamOrdering(),
      storage.getMaxToDevicePosition(),
      storage.getRoomHeads(),
      storage.getCurrentStateOfTypes(INDEXED_STATE_TYPES),
    ]);
    const positions = new SyncPositions({
      start: SyncPositions.startAt(maxOrdering, maxToDevice, deps.minorBits),
      reserveOrdering: () => storage.reserveStreamOrdering(),
      ...(deps.minorBits === undefined ? {} : { minorBits: deps.minorBits }),
    });
    const handles = new Map<string, string>();
    for (const e of state) {
      const target = e.event.state_key;
      if (e.event.type !== 'm.room.member' || typeof target !== 'string' || handles.has(target)) continue;
      handles.set(target, (await storage.getUser(target))?.handle ?? NO_HANDLE);
    }
    const built = new SyncService(deps, positions, handles);
    built.indexes.rebuild(heads, state, (o) => positions.ofOrdering(o));
    built.#rebuiltUpTo = maxOrdering;
    service = built;
    for (const e of early) built.#onEvent(e);
    return built;
  }

  /** The newest sync stream position. */
  get position(): number {
    return this.#positions.current;
  }

  /** Calls `listener` with the server time of every sync request; returns the unsubscribe. */
  onTiming(listener: (t: SyncTiming) => void): () => void {
    this.#timingListeners.add(listener);
    return () => this.#timingListeners.delete(listener);
  }

  /**
   * Serves one sync request: at once, or after a long-poll. Rejects with the engine's Matrix
   * errors, or `aborted` when `signal` fires (the client went away). `startedAt`
   * (`process.hrtime.bigint()`) is when the request arrived, for {@link onTiming}; `onWait` is
   * called when the request starts waiting in a long-poll.
   */
  async sync(
    req: SyncEngineRequest,
    options: { signal?: AbortSignal; startedAt?: bigint; onWait?: () => void } = {},
  ): Promise<SyncResponseBody> {
    const started = options.startedAt ?? process.hrtime.bigint();
    // Events stored before this request arrived are indexed first: their indexing may still wait
    // on a storage read (a real round trip on PostgreSQL), and a client must read its own writes.
    // With several instances this instance's events first come back through the shared stream.
    await this.#fanout.eventsSettled();
    await this.#positions.serial(async () => undefined);
    const now = this.#deps.clock.now();
    // While the server shuts down nobody waits: the answer goes out before connections close.
    const request = this.#closing ? { ...req, timeout: 0 } : req;
    const signal = options.signal === undefined ? {} : { signal: options.signal };
    const outcome = await this.engine.handleRequest(now, request, signal).finally(() => this.#armEngine());
    this.#emitTiming(outcome.kind, started);
    if (outcome.kind === 'response') return outcome.body;
    options.onWait?.();
    return outcome.response.finally(() => this.#armEngine());
  }

  /**
   * Starts (`typing`) or stops `userId`'s typing notice in `roomId`, for at most the configured
   * cap. A renewal only moves the expiry.
   *
   * @throws `403 M_FORBIDDEN` unless the user is joined to the room (whether it exists or not).
   */
  async setTyping(userId: string, roomId: string, typing: boolean, timeoutMs?: number): Promise<void> {
    const max = this.#deps.settings.typingMaxTimeoutMs;
    const expiresAt = this.#deps.clock.now() + Math.min(timeoutMs ?? max, max);
    const change = await this.#positions.serial(async (): Promise<SyncChange | undefined> => {
      if (this.indexes.membership(userId, roomId)?.membership !== 'join') {
        throw forbidden('You are not joined to this room');
      }
      return this.#applyTyping(roomId, userId, typing, expiresAt);
    });
    this.#fanout.publishTyping({ roomId, userId, typing, expiresAt });
    this.#armTyping();
    if (change !== undefined) await this.#notify(change);
  }

  /** A typing notice set or renewed on another server instance. */
  async applyRemoteTyping(n: TypingNotice): Promise<void> {
    const change = await this.#positions.serial(async () => {
      // A start that crossed the user's leave (as this instance already knows it) is dropped.
      if (n.typing && this.indexes.membership(n.userId, n.roomId)?.membership !== 'join') return undefined;
      return this.#applyTyping(n.roomId, n.userId, n.typing, n.expiresAt);
    });
    this.#armTyping();
    if (change !== undefined) await this.#notify(change);
  }

  /** Applies a typing notice; call inside `positions.serial`. A renewal only moves the expiry. */
  async #applyTyping(
    roomId: string,
    userId: string,
    typing: boolean,
    expiresAt: number,
  ): Promise<SyncChange | undefined> {
    if (typing === this.typing.isTyping(roomId, userId)) {
      if (typing) this.typing.start(roomId, userId, expiresAt);
      return undefined;
    }
    const position = await this.#positions.take();
    if (typing) this.typing.start(roomId, userId, expiresAt);
    else this.typing.stop(roomId, userId);
    this.typing.setPosition(roomId, position);
    this.#positions.publish(position);
    return { type: 'typing', room_id: roomId };
  }

  /**
   * Stores one `sendToDevice` of `sender` (idempotent per sender device and `txnId`) and wakes
   * the recipients' long-polls. `"*"` reaches every device of a user; unknown users and devices
   * are skipped.
   *
   * @throws `413 M_TOO_LARGE` past the message cap, `429 M_LIMIT_EXCEEDED` when a recipient's
   *   queue is full (nothing is stored then).
   */
  async sendToDevice(txn: TxnKey, type: string, addressees: readonly ToDeviceAddressee[]): Promise<void> {
    const { storage, settings } = this.#deps;
    const devicesOf = new Map<string, string[]>();
    for (const a of addressees) {
      if (!devicesOf.has(a.userId)) devicesOf.set(a.userId, await storage.getDeviceIds(a.userId));
    }
    const targets = expandAddressees(addressees, devicesOf);
    if (targets.length > settings.toDeviceMaxMessages) throw tooMany(settings.toDeviceMaxMessages);
    if (this.#fanout.sharedStream) return this.#sendToDeviceShared(txn, type, targets);
    const stored = await this.#positions.serial(async () => {
      if (await storage.hasToDeviceTxn(txn)) return false;
      const records = [];
      for (const t of targets) {
        const position = await this.#positions.take();
        records.push({ ...t, position, type, sender: txn.userId });
      }
      const result = await storage.addToDeviceMessages(records, txn, this.#toDeviceBounds());
      if (result.kind === 'queue_full') throw queueFull(result);
      if (result.kind === 'duplicate') return false;
      const last = records.at(-1);
      if (last !== undefined) this.#positions.publish(last.position);
      return true;
    });
    if (!stored) return;
    await Promise.all(
      targets.map((t) => this.#notify({ type: 'to_device', user_id: t.userId, device_id: t.deviceId })),
    );
  }

  /**
   * Several instances: the send takes its stream ordering inside its transaction, so every
   * instance publishes its position only once it has indexed every event below it.
   */
  async #sendToDeviceShared(txn: TxnKey, type: string, targets: readonly ToDeviceAddressee[]): Promise<void> {
    const { storage } = this.#deps;
    if (await storage.hasToDeviceTxn(txn)) return;
    const records = targets.map((t) => ({ ...t, position: 0, type, sender: txn.userId }));
    const bits = this.#deps.minorBits ?? DEFAULT_MINOR_BITS;
    const result = await storage.addToDeviceMessages(records, txn, {
      ...this.#toDeviceBounds(),
      orderingBits: bits,
    });
    if (result.kind === 'queue_full') throw queueFull(result);
    if (result.kind === 'duplicate' || result.ordering === undefined || records.length === 0) return;
    const notice: ToDeviceNotice = {
      ordering: result.ordering,
      position: this.#positions.ofOrdering(result.ordering) + records.length,
      devices: targets.map((t) => ({ userId: t.userId, deviceId: t.deviceId })),
    };
    this.#fanout.publishToDevice(notice);
    await this.applyToDevice(notice);
  }

  /**
   * A to-device send committed at a stream ordering of its own (on any instance): its position
   * becomes current once every event below that ordering is indexed, then its recipients wake.
   */
  async applyToDevice(n: ToDeviceNotice): Promise<void> {
    await this.#fanout.eventsReached(n.ordering - 1);
    await this.#positions.serial(async () => this.#positions.publish(n.position));
    await Promise.all(
      n.devices.map((d) => this.#notify({ type: 'to_device', user_id: d.userId, device_id: d.deviceId })),
    );
  }

  #toDeviceBounds(): ToDeviceBounds {
    const { settings, clock } = this.#deps;
    return {
      maxQueuedPerDevice: settings.toDeviceMaxQueued,
      txnRetentionMs: TO_DEVICE_TXN_RETENTION_MS,
      now: clock.now(),
    };
  }

  /** Answers every long-poll now and stops the timers (server shutdown). */
  async close(): Promise<void> {
    this.#closing = true;
    this.#typingTimer.stop();
    this.#engineTimer.stop();
    const limits = this.engine.limits;
    await this.engine.handleTimeout(this.#deps.clock.now() + limits.maxTimeoutMs + 1);
    this.#engineTimer.stop();
  }

  #onEvent(stored: StoredEvent): void {
    const { storage, logger } = this.#deps;
    const roomId = stored.event.room_id;
    this.#positions
      .serial(async () => {
        if (!this.indexes.hasRoom(roomId)) {
          const room = await storage.getRoom(roomId);
          if (room === undefined) return undefined;
          this.indexes.addRoom(roomId, room.handle);
        }
        const target = stored.event.state_key;
        if (
          stored.event.type === 'm.room.member' &&
          typeof target === 'string' &&
          !this.#handles.has(target)
        ) {
          this.#handles.set(target, (await storage.getUser(target))?.handle ?? NO_HANDLE);
        }
        const position = this.#positions.ofOrdering(stored.streamOrdering);
        // An event the rebuild already held may come again (the shared stream starts a little
        // before it): applying it is an upsert, and no reason for a warning.
        if (position < this.#positions.current && stored.streamOrdering > this.#rebuiltUpTo) {
          logger.warn({ eventId: stored.eventId }, 'sync: event stored out of stream order');
        }
        const applied = this.indexes.apply(stored, position);
        for (const u of applied.left)
          if (this.typing.stop(roomId, u)) this.typing.setPosition(roomId, position);
        this.#positions.publish(position);
        return applied.change;
      })
      .then((change) => (change === undefined ? undefined : this.#notify(change)))
      .catch((err: unknown) =>
        logger.error({ err, eventId: stored.eventId }, 'sync: indexing an event failed'),
      );
  }

  async #notify(change: SyncChange): Promise<void> {
    try {
      await this.engine.notify(this.#deps.clock.now(), change);
    } finally {
      this.#armEngine();
    }
  }

  #onEngineTimer(): void {
    void this.engine
      .handleTimeout(this.#deps.clock.now())
      .catch((err: unknown) => this.#deps.logger.error({ err }, 'sync: timeout handling failed'))
      .finally(() => this.#armEngine());
  }

  #onTypingTimer(): void {
    const now = this.#deps.clock.now();
    void this.#positions
      .serial(async () => {
        const due = this.typing.due(now);
        if (due.length === 0) return [];
        const position = await this.#positions.take();
        const rooms = new Set<string>();
        for (const { roomId, userId } of due) {
          this.typing.stop(roomId, userId);
          this.typing.setPosition(roomId, position);
          rooms.add(roomId);
        }
        this.#positions.publish(position);
        return [...rooms];
      })
      .then((rooms) => Promise.all(rooms.map((r) => this.#notify({ type: 'typing', room_id: r }))))
      .catch((err: unknown) => this.#deps.logger.error({ err }, 'sync: typing expiry failed'))
      .finally(() => this.#armTyping());
  }

  #armEngine(): void {
    if (!this.#closing) this.#engineTimer.arm(this.engine.pollTimeout());
  }

  #armTyping(): void {
    if (!this.#closing) this.#typingTimer.arm(this.typing.nextExpiry());
  }

  #emitTiming(kind: SyncTiming['kind'], started: bigint): void {
    if (this.#timingListeners.size === 0) return;
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    for (const l of this.#timingListeners) l({ kind, ms });
  }
}

function queueFull(r: Extract<ToDeviceAddResult, { kind: 'queue_full' }>): Error {
  return matrixError('M_LIMIT_EXCEEDED', `${r.userId} ${r.deviceId} has too many undelivered messages`, {
    retry_after_ms: 60_000,
  });
}
