import type { PDU } from '@parley/core';
import type pg from 'pg';
import type { StreamReads } from './event-stream.js';

/** The stream reads of {@link OrderedEventStream} on PostgreSQL (named statements, by primary key). */
export function pgStreamReads(pool: pg.Pool): StreamReads {
  return {
    async maxOrdering() {
      const { rows } = await pool.query<{ pos: number }>({
        name: 'parley_cluster_max_ordering',
        text: 'SELECT pos FROM stream_position',
      });
      return rows[0]!.pos;
    },
    async eventsAfter(after, upTo, limit) {
      const { rows } = await pool.query<{ stream_ordering: number; event_id: string; json: string }>({
        name: 'parley_cluster_events_after',
        text: `SELECT stream_ordering, event_id, json FROM events
          WHERE stream_ordering > $1 AND stream_ordering <= $2 ORDER BY stream_ordering LIMIT $3`,
        values: [after, upTo, limit],
      });
      return rows.map((r) => ({
        streamOrdering: r.stream_ordering,
        eventId: r.event_id,
        event: JSON.parse(r.json) as PDU,
      }));
    },
  };
}
