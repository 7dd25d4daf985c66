import type { Federation } from './federation.js';

// Backward extremities tried at once (the backfill request's `v`).
const MAX_FROM = 20;
// A room whose backfill failed is not tried again for this long (a client paging a room whose
// history nobody can give us would otherwise cause a fetch per page).
const FAILED_ROOM_PAUSE_MS = 30_000;
const MAX_PAUSED_ROOMS = 10_000;

/**
 * Backfill for `/messages`: when a client pages back past the oldest event we hold, ask the room's
 * other servers (in the room longest first) for the history before our backward extremities,
 * through the fetch scheduler (so every event is verified and authorized, and stored in place).
 */
export class HistoryFiller {
  readonly #fed: Federation;
  readonly #pausedUntil = new Map<string, number>();
  readonly #running = new Map<string, Promise<boolean>>();

  constructor(fed: Federation) {
    this.#fed = fed;
  }

  /**
   * Fetches up to `limit` older events of `roomId`; true when some were stored. Concurrent calls
   * for one room share one backfill.
   */
  fill(roomId: string, limit: number): Promise<boolean> {
    let p = this.#running.get(roomId);
    if (p === undefined) {
      p = this.#fill(roomId, limit).finally(() => this.#running.delete(roomId));
      this.#running.set(roomId, p);
    }
    return p;
  }

  async #fill(roomId: string, limit: number): Promise<boolean> {
    const { storage, clock, driver, config, logger } = this.#fed;
    const paused = this.#pausedUntil.get(roomId);
    if (paused !== undefined && paused > clock.now()) return false;
    const from = await storage.getBackwardExtremities(roomId, MAX_FROM);
    if (from.length === 0) return false;
    const servers = await storage.getRoomServers(roomId);
    if (!servers.some((s) => s.name !== this.#fed.serverName)) return false;
    await driver.prime(roomId, []);
    try {
      const result = await driver.backfill(
        roomId,
        from,
        Math.min(Math.max(limit, 1), 100),
        AbortSignal.timeout(config.federationBackfillTimeoutMs),
      );
      this.#pausedUntil.delete(roomId);
      return result.eventIds.length > 0;
    } catch (err) {
      logger.debug({ roomId, err: (err as Error).message }, 'federation: backfill failed');
      this.#pausedUntil.delete(roomId);
      this.#pausedUntil.set(roomId, clock.now() + FAILED_ROOM_PAUSE_MS);
      if (this.#pausedUntil.size > MAX_PAUSED_ROOMS) {
        this.#pausedUntil.delete(this.#pausedUntil.keys().next().value as string);
      }
      return false;
    }
  }
}
