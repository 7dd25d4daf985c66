import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { syncFixture } from './fixture.js';
import type { SyncResponseBody } from './types.js';

const A = '@alice:hs';

describe('paging through a snapshot', () => {
  it('does not shift pages while members join between page requests', async () => {
    const f = syncFixture();
    f.source.createRoom('!r:hs', { creator: A, name: 'big' });
    for (let i = 10; i < 40; i++) f.source.join('!r:hs', `@u${i}:hs`);
    let r = await f.sync(A, 'D', undefined, {
      room_members: { room_id: '!r:hs', p: { since: '1', limit: 10 } },
    });
    const seen = r.room_members?.events.map((e) => e.state_key) ?? [];
    // Joiners that sort before, between and after the pages already fetched.
    f.source.join('!r:hs', '@a0:hs');
    f.source.join('!r:hs', '@u15b:hs');
    f.source.join('!r:hs', '@zz:hs');
    while (r.room_members?.p?.next !== undefined) {
      r = await f.sync(A, 'D', r.next, { room_members: { p: { since: r.room_members.p.next } } });
      seen.push(...(r.room_members?.events.map((e) => e.state_key) ?? []));
      f.source.join('!r:hs', `@late${seen.length}:hs`);
    }
    const snapshot = [A, ...Array.from({ length: 30 }, (_, i) => `@u${i + 10}:hs`)].sort();
    expect(seen).toEqual(snapshot);
    // The joiners come as the delta once paging is over.
    r = await f.sync(A, 'D', r.next, {});
    const delta = r.room_members?.events.map((e) => e.state_key) ?? [];
    expect(delta.slice(0, 3)).toEqual(['@a0:hs', '@u15b:hs', '@zz:hs']);
    expect(delta.every((u) => !snapshot.includes(u as string))).toBe(true);
  });

  it('keeps pages and deltas complete: every room exactly once in pages, changes in the delta (property)', async () => {
    type Op = { kind: 'msg' | 'leave' | 'join' | 'rename'; room: number };
    const op = fc.record({
      kind: fc.constantFrom('msg', 'leave', 'join', 'rename'),
      room: fc.nat({ max: 59 }),
    }) as fc.Arbitrary<Op>;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 9 }),
        fc.constantFrom('by_recency', 'by_name'),
        fc.array(fc.array(op, { maxLength: 6 }), { maxLength: 12 }),
        async (rooms, limit, sort, interleaved) => {
          const f = syncFixture();
          const joined = new Set<string>();
          for (let i = 0; i < 60; i++)
            f.source.createRoom(`!r${i}:hs`, { creator: '@owner:hs', name: `n${(i * 37) % 60}` });
          for (let i = 0; i < rooms; i++) {
            f.source.join(`!r${i}:hs`, A);
            joined.add(`!r${i}:hs`);
          }
          const snapshotSet = new Set(joined);
          const seen: string[] = [];
          const changed = new Set<string>();
          const whole = await f.sync(A, 'E', undefined, {
            room_list: { p: { since: '1', limit: 100, sort } },
          });
          const order = whole.room_list?.rooms.map((x) => x.room_id) ?? [];
          let r: SyncResponseBody = await f.sync(A, 'D', undefined, {
            room_list: { p: { since: '1', limit, sort } },
          });
          for (let page = 0; ; page++) {
            seen.push(...(r.room_list?.rooms.map((x) => x.room_id) ?? []));
            const next = r.room_list?.p?.next;
            if (next === undefined) break;
            for (const o of interleaved[page] ?? []) {
              const id = `!r${o.room}:hs`;
              if (o.kind === 'join' && !joined.has(id)) {
                f.source.join(id, A);
                joined.add(id);
              } else if (o.kind === 'leave' && joined.has(id)) {
                f.source.leave(id, A);
                joined.delete(id);
              } else if (o.kind === 'msg') f.source.sendMessage(id, '@owner:hs', 'x');
              else if (o.kind === 'rename') f.source.setRoomName(id, '@owner:hs', `renamed${page}`);
              else continue;
              changed.add(id);
            }
            r = await f.sync(A, 'D', r.next, { room_list: { p: { since: next } } });
          }
          // No room twice, nothing outside the snapshot, in the snapshot's order.
          expect(new Set(seen).size).toBe(seen.length);
          for (const id of seen) expect(snapshotSet.has(id)).toBe(true);
          expect(seen).toEqual(order.filter((id) => seen.includes(id)));
          // Every snapshot room that did not change is on a page.
          for (const id of snapshotSet) if (!changed.has(id)) expect(seen).toContain(id);
          // Deltas then bring every room that changed, with its latest membership.
          const delta = new Map<string, string>();
          for (;;) {
            r = await f.sync(A, 'D', r.next, {});
            const items = r.room_list?.rooms ?? [];
            for (const x of items) delta.set(x.room_id, x.membership);
            if (items.length === 0) break;
          }
          for (const id of changed) {
            if (joined.has(id)) expect(delta.get(id)).toBe('join');
            else if (snapshotSet.has(id)) expect(delta.get(id)).toBe('leave');
          }
          const final = new Set([
            ...seen.filter((id) => !delta.has(id)),
            ...[...delta].filter(([, m]) => m === 'join').map(([id]) => id),
          ]);
          expect([...final].sort()).toEqual([...joined].sort());
        },
      ),
      { numRuns: 60 },
    );
  });

  it('rejects a p.next of another sort or room', async () => {
    const f = syncFixture();
    for (let i = 0; i < 5; i++) f.source.createRoom(`!r${i}:hs`, { creator: A });
    const r = await f.sync(A, 'D', undefined, { room_list: { p: { since: '1', limit: 2 } } });
    const next = r.room_list?.p?.next as string;
    await expect(
      f.sync(A, 'D', r.next, { room_list: { p: { since: next, sort: 'by_name' } } }),
    ).rejects.toMatchObject({
      code: 'M_INVALID_PARAM',
    });
    await expect(
      f.sync(A, 'D', r.next, { room_members: { room_id: '!r0:hs', p: { since: next } } }),
    ).rejects.toMatchObject({ code: 'M_INVALID_PARAM' });
  });
});
