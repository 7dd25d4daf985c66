import { ParleyError } from '../errors.js';
import type {
  SyncChanges,
  SyncChangesQuery,
  SyncDeltaCursor,
  SyncPage,
  SyncPageQuery,
} from './data-source.js';
import type { SyncPagedStream } from './params.js';
import { formatPageToken, parsePageToken } from './tokens.js';
import type { SyncPageResult } from './types.js';

/** What a paginated stream needs to answer one request. */
export interface PagedStreamInput<S extends string, T> {
  stream: SyncPagedStream;
  limit: number;
  sort: S;
  /** The room of `room_members`. */
  roomId?: string;
  /** The stream's delta position before this request; `undefined` for a new subscription. */
  base: SyncDeltaCursor | undefined;
  /** This request's `p.since`. */
  pageSince: string | undefined;
  /** True when this request carried `p`: the answer then says what was negotiated. */
  withP: boolean;
  /** The position the response is computed at. */
  position: number;
  page(query: SyncPageQuery<S>): Promise<SyncPage<T>>;
  changes(query: SyncChangesQuery): Promise<SyncChanges<T>>;
}

/** A paginated stream's answer and its next delta position. */
export interface PagedStreamOutput<S extends string, T> {
  items?: T[];
  p?: SyncPageResult<S>;
  base: SyncDeltaCursor;
}

/**
 * One request of `room_list` or `room_members`. With `p.since` it serves a page of a snapshot
 * (`"1"` takes a new snapshot at `position` and moves deltas there; a `p.next` resumes its own
 * snapshot and leaves deltas where they were: pages do not advance `since`). Without, it sends the
 * items changed since the stream's delta position, `limit` at a time.
 */
export async function pagedStream<S extends string, T>(
  input: PagedStreamInput<S, T>,
): Promise<PagedStreamOutput<S, T>> {
  const { limit, sort, position } = input;
  const p: SyncPageResult<S> = { limit, sort };
  if (input.pageSince !== undefined) {
    let snapshot = position;
    let after: readonly (string | number)[] | undefined;
    let base: SyncDeltaCursor = { position };
    if (input.pageSince !== '1') {
      const token = parsePageToken(input.pageSince);
      if (token.stream !== input.stream || token.sort !== sort || token.roomId !== input.roomId) {
        throw ParleyError.matrix('M_INVALID_PARAM', 'p.since belongs to another stream, room or sort', 400);
      }
      if (token.snapshot > position)
        throw ParleyError.matrix('M_INVALID_PARAM', 'p.since is from the future', 400);
      snapshot = token.snapshot;
      after = token.cursor;
      // A new subscription that resumes a snapshot takes its deltas from the snapshot, so that
      // what changed since is not lost.
      base = input.base ?? { position: snapshot };
    }
    const page = await input.page({ sort, snapshot, limit, ...(after === undefined ? {} : { after }) });
    if (page.next !== undefined) {
      p.next = formatPageToken({
        stream: input.stream,
        sort,
        ...(input.roomId === undefined ? {} : { roomId: input.roomId }),
        snapshot,
        cursor: page.next,
      });
    }
    return { items: page.items, p, base };
  }
  if (input.base === undefined)
    return input.withP ? { items: [], p, base: { position } } : { base: { position } };
  const changes = await input.changes({ after: input.base, upTo: position, limit });
  const base = changes.next ?? { position };
  if (changes.items.length === 0 && !input.withP) return { base };
  return { items: changes.items, p, base };
}
