import type { ClientApi } from './client-api.js';
import type { Room } from './room.js';
import type { TimelineItem } from './timeline.js';

/** Pages fetched from the newest end at most, when looking for where a trimmed timeline starts. */
const MAX_CATCH_UP_PAGES = 20;

/**
 * Loads up to `limit` events older than the first one a room's timeline holds, through
 * `/messages?dir=b`. When the timeline has no token that fits its first event (it was trimmed,
 * or restored from the cache), it pages from the newest end until it passes that event.
 */
export async function loadOlder(
  api: ClientApi,
  room: Room,
  limit: number,
  signal: AbortSignal | undefined,
): Promise<TimelineItem[]> {
  const t = room.timeline;
  if (t.atStart) return [];
  if (t.prevBatch !== undefined && !t.trimmed) {
    const page = await api.messages(room.roomId, { from: t.prevBatch, dir: 'b', limit }, { signal });
    return t.prependHistory(page.chunk, page.chunk.length === 0 ? undefined : page.end);
  }
  const first = t.events[0]?.eventId;
  let from: string | undefined;
  for (let i = 0; i < MAX_CATCH_UP_PAGES; i++) {
    const page = await api.messages(room.roomId, { from, dir: 'b', limit: Math.max(limit, 50) }, { signal });
    const at = first === undefined ? -1 : page.chunk.findIndex((e) => e.event_id === first);
    if (first === undefined || at >= 0) {
      const older = first === undefined ? page.chunk : page.chunk.slice(at + 1);
      t.trimmed = false;
      const end = page.chunk.length === 0 ? undefined : page.end;
      // The whole remainder is kept (at most one page): its token fits only after its oldest event.
      return t.prependHistory(older, end);
    }
    if (page.end === undefined || page.chunk.length === 0) break;
    from = page.end;
  }
  return [];
}
