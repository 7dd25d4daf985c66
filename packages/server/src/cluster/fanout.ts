/**
 * How the parts of one server instance hear about changes made by every instance. One process
 * alone ({@link LocalFanout}, the default) hears only itself; with `--redis` the
 * {@link RedisFanout} adds what the other instances did (docs/scale-out.md).
 */
import type { RealtimeClusterEvent, RealtimeRouter, RealtimeRouterOptions } from '@parley/core';
import type { RoomService } from '../rooms/room-service.js';
import type { StoredEvent } from '../storage/storage.js';

/** A typing notice set or renewed on one instance (every instance keeps the typing sets). */
export interface TypingNotice {
  roomId: string;
  userId: string;
  typing: boolean;
  /** Wall-clock ms when it ends unless renewed. */
  expiresAt: number;
}

/** A to-device send committed at stream ordering `ordering`; its last message is at `position`. */
export interface ToDeviceNotice {
  ordering: number;
  position: number;
  devices: { userId: string; deviceId: string }[];
}

/** `userId`'s contact entry for `contactId` was added or removed. */
export interface ContactNotice {
  userId: string;
  contactId: string;
}

/** A device logged out (its realtime connections close on every instance). */
export interface LogoutNotice {
  userId: string;
  deviceId: string;
}

/** The realtime channel of this instance, as the fan-out drives it. */
export interface RealtimeLink {
  router: RealtimeRouter;
  /** Sends what the router queued because of a change from another instance. */
  flush(): void;
}

/** What realtime and sync use to hear of every instance's changes and to tell the others. */
export interface Fanout {
  /** `local` for one process, `redis` for several instances. */
  readonly kind: 'local' | 'redis';
  /** Router options this fan-out needs (cluster mode, this instance's client id range). */
  readonly routerOptions: Partial<RealtimeRouterOptions>;
  /**
   * True when several instances share the stream: then a to-device send takes a stream ordering
   * of its own in the database (instead of a minor position of this process), and every position
   * is published only after the events below it came back through {@link onEvent}.
   */
  readonly sharedStream: boolean;

  /** Every stored room event, of every instance, once each, in stream order. */
  onEvent(listener: (e: StoredEvent) => void): void;
  /** Resolves once every event this instance committed before the call reached the listeners. */
  eventsSettled(): Promise<void>;
  /** Resolves once every event up to stream ordering `ordering` reached the listeners. */
  eventsReached(ordering: number): Promise<void>;

  /** Connects the realtime router: other instances' connections come in through it. */
  attachRealtime(link: RealtimeLink): void;
  /** Tells the other instances what the router reported (`pollCluster()`). */
  publishRealtime(event: RealtimeClusterEvent): void;

  publishContact(notice: ContactNotice): void;
  /** Contact changes made on other instances. */
  onContact(listener: (notice: ContactNotice) => void): void;
  publishLogout(notice: LogoutNotice): void;
  /** Logouts handled by other instances. */
  onLogout(listener: (notice: LogoutNotice) => void): void;
  publishTyping(notice: TypingNotice): void;
  /** Typing notices of other instances. */
  onTyping(listener: (notice: TypingNotice) => void): void;
  publishToDevice(notice: ToDeviceNotice): void;
  /** To-device sends of other instances. */
  onToDevice(listener: (notice: ToDeviceNotice) => void): void;

  /** Starts delivering (after every listener is attached). */
  start(): void;
  /** Stops; tells the other instances this one is gone. */
  close(): Promise<void>;
}

/** One process on its own: events are this process's commits, and there is nobody to tell. */
export class LocalFanout implements Fanout {
  readonly kind = 'local';
  readonly routerOptions = {};
  readonly sharedStream = false;
  readonly #rooms: RoomService;

  constructor(rooms: RoomService) {
    this.#rooms = rooms;
  }

  onEvent(listener: (e: StoredEvent) => void): void {
    this.#rooms.onEventStored(listener);
  }

  eventsSettled(): Promise<void> {
    return Promise.resolve();
  }

  eventsReached(): Promise<void> {
    return Promise.resolve();
  }

  attachRealtime(): void {}
  publishRealtime(): void {}
  publishContact(): void {}
  onContact(): void {}
  publishLogout(): void {}
  onLogout(): void {}
  publishTyping(): void {}
  onTyping(): void {}
  publishToDevice(): void {}
  onToDevice(): void {}
  start(): void {}
  async close(): Promise<void> {}
}
