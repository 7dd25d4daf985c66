import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applySent, type SyncWantedParams, stickyDiff } from './sticky-diff.js';

const room = fc.constantFrom('!a:hs', '!b:hs');
const p = fc.record(
  { limit: fc.integer({ min: 1, max: 50 }), sort: fc.constantFrom('by_name', 'by_pl') },
  { requiredKeys: [] },
);
const params: fc.Arbitrary<SyncWantedParams> = fc.record(
  {
    typing: fc.record({ room_id: room }),
    to_device: fc.record({ limit: fc.integer({ min: 1, max: 100 }) }, { requiredKeys: [] }),
    room_members: fc.record({ room_id: room, p }, { requiredKeys: ['room_id'] }),
    room_list: fc.record(
      {
        p: fc.record(
          { limit: fc.integer({ min: 1, max: 50 }), sort: fc.constantFrom('by_recency', 'by_name') },
          { requiredKeys: [] },
        ),
      },
      { requiredKeys: [] },
    ),
    room: fc.record(
      { room_id: room, timeline_limit: fc.integer({ min: 1, max: 20 }) },
      { requiredKeys: ['room_id'] },
    ),
  },
  { requiredKeys: [] },
) as fc.Arbitrary<SyncWantedParams>;

/** What the client's wanted parameters become: fields only ever merge in, as `subscribe` does. */
function grow(old: SyncWantedParams, next: SyncWantedParams): SyncWantedParams {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(next)) {
    const o = (old as Record<string, Record<string, unknown> | undefined>)[k];
    const vv = v as Record<string, unknown>;
    out[k] =
      o === undefined
        ? vv
        : { ...o, ...vv, ...(o.p || vv.p ? { p: { ...(o.p as object), ...(vv.p as object) } } : {}) };
  }
  return out as SyncWantedParams;
}

describe('stickyDiff', () => {
  it('sends only what changed, and nothing once the server holds it (property)', () => {
    fc.assert(
      fc.property(params, params, (first, second) => {
        let sent: SyncWantedParams = {};
        sent = applySent(sent, stickyDiff(first, sent));
        expect(stickyDiff(first, sent)).toEqual({});
        const wanted = grow(first, second);
        const body = stickyDiff(wanted, sent);
        for (const [stream, v] of Object.entries(body)) {
          if (v === null) expect(wanted).not.toHaveProperty(stream);
        }
        sent = applySent(sent, body);
        expect(stickyDiff(wanted, sent)).toEqual({});
        expect(Object.keys(sent).sort()).toEqual(Object.keys(wanted).sort());
      }),
    );
  });

  it('sends a changed field alone, not the whole stream', () => {
    const sent = {
      room: { room_id: '!a:hs', timeline_limit: 5 },
      room_list: { p: { limit: 20, sort: 'by_name' as const } },
    };
    const wanted = {
      room: { room_id: '!a:hs', timeline_limit: 9 },
      room_list: { p: { limit: 20, sort: 'by_recency' as const } },
    };
    expect(stickyDiff(wanted, sent)).toEqual({
      room: { timeline_limit: 9 },
      room_list: { p: { sort: 'by_recency' } },
    });
    expect(applySent(sent, { room_list: { p: { since: '1' } } })).toEqual(sent);
  });
});
