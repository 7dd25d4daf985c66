/**
 * Every bound of the sync engine, with its default. The server passes its configuration; docs/sync.md
 * lists them.
 */
export interface SyncLimits {
  /** A session unused this long (ms) expires. Default 30 min. */
  sessionIdleMs: number;
  /** Sessions per device; creating one more expires the least recently used. Default 10. */
  sessionsPerDevice: number;
  /** Sessions in all; creating one more expires the least recently used idle one. Default 50,000. */
  sessionsTotal: number;
  /** The cap on a request's `timeout` (ms). Default 30 s. */
  maxTimeoutMs: number;
  /** `p.limit` when a request sets none. Default 20. */
  defaultPageLimit: number;
  /** The cap on `p.limit` (negotiated down to it). Default 100. */
  maxPageLimit: number;
  /** `to_device.limit` when a request sets none, and its cap. Default 100. */
  maxToDeviceLimit: number;
  /** `room.timeline_limit` when a request sets none. Default 10. */
  defaultTimelineLimit: number;
  /** The cap on `room.timeline_limit`. Default 100. */
  maxTimelineLimit: number;
  /** The longest `room_id` accepted (Matrix caps ids at 255 bytes). Default 255. */
  maxIdLength: number;
  /** The longest `p.since` or sort string accepted. Default 1,024. */
  maxTokenLength: number;
}

/** The defaults of {@link SyncLimits}. */
export const DEFAULT_SYNC_LIMITS: Readonly<SyncLimits> = Object.freeze({
  sessionIdleMs: 30 * 60_000,
  sessionsPerDevice: 10,
  sessionsTotal: 50_000,
  maxTimeoutMs: 30_000,
  defaultPageLimit: 20,
  maxPageLimit: 100,
  maxToDeviceLimit: 100,
  defaultTimelineLimit: 10,
  maxTimelineLimit: 100,
  maxIdLength: 255,
  maxTokenLength: 1024,
});
