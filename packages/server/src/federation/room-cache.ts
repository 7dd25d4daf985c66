import type { RoomServer } from '@parley/core';
import type { Storage } from '../storage/storage.js';

const MAX_ROOMS = 10_000;

/**
 * Per room, the servers with joined members and the forward extremities, held in memory for the
 * fetch scheduler's synchronous host calls. {@link prime} loads a room before the scheduler is
 * given input about it; {@link refresh} reloads it after a store changed it. Bounded (LRU).
 */
export class RoomCache {
  readonly #storage: Storage;
  readonly #servers = new Map<string, RoomServer[]>();
  readonly #extremities = new Map<string, string[]>();

  constructor(storage: Storage) {
    this.#storage = storage;
  }

  servers(roomId: string): readonly RoomServer[] {
    return this.#servers.get(roomId) ?? [];
  }

  extremities(roomId: string): readonly string[] {
    return this.#extremities.get(roomId) ?? [];
  }

  /** Loads the room unless it is held. */
  async prime(roomId: string): Promise<void> {
    if (this.#servers.has(roomId) && this.#extremities.has(roomId)) return;
    await this.refresh(roomId);
  }

  /** Reloads the room's servers and forward extremities from storage. */
  async refresh(roomId: string): Promise<void> {
    const [servers, ext] = await Promise.all([
      this.#storage.getRoomServers(roomId),
      this.#storage.getForwardExtremities(roomId, 20),
    ]);
    this.#put(this.#servers, roomId, servers);
    this.#put(
      this.#extremities,
      roomId,
      ext.map((e) => e.eventId),
    );
  }

  #put<V>(map: Map<string, V>, key: string, value: V): void {
    map.delete(key);
    map.set(key, value);
    if (map.size > MAX_ROOMS) map.delete(map.keys().next().value as string);
  }
}
