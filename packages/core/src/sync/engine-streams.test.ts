import { describe, expect, it } from 'vitest';
import { syncFixture } from './fixture.js';
import type { SyncRoomListEntry } from './types.js';

const A = '@alice:hs';
const B = '@bob:hs';
const M = '@mallory:hs';

const bodies = (events: readonly Record<string, unknown>[] | undefined): unknown[] =>
  (events ?? []).map((e) => (e.content as { body?: string }).body);

describe('typing stream', () => {
  it('sends the current set on subscription, then only changes', async () => {
    const f = syncFixture();
    f.source.createRoom('!r:hs', { creator: A });
    f.source.join('!r:hs', B);
    f.source.setTyping('!r:hs', [B]);
    let r = await f.sync(A, 'D', undefined, { typing: { room_id: '!r:hs' } });
    expect(r.typing?.events).toEqual([{ type: 'm.typing', room_id: '!r:hs', content: { user_ids: [B] } }]);
    r = await f.sync(A, 'D', r.next);
    expect(r.typing).toBeUndefined();
    f.source.setTyping('!r:hs', []);
    r = await f.sync(A, 'D', r.next);
    expect(r.typing?.events[0]?.content).toEqual({ user_ids: [] });
  });
});

describe('room stream', () => {
  it('sends the latest events with prev_batch on subscription, then the new ones', async () => {
    const f = syncFixture();
    f.source.createRoom('!r:hs', { creator: A });
    for (let i = 0; i < 5; i++) f.source.sendMessage('!r:hs', A, `m${i}`);
    let r = await f.sync(A, 'D', undefined, { room: { room_id: '!r:hs', timeline_limit: 3 } });
    expect(bodies(r.room?.events)).toEqual(['m2', 'm3', 'm4']);
    expect(r.room?.limited).toBe(true);
    expect(r.room?.prev_batch).toBe(`t${String(r.room?.events[0]?.event_id).slice(1)}`);
    r = await f.sync(A, 'D', r.next);
    expect(r.room).toBeUndefined();
    f.source.sendMessage('!r:hs', A, 'new');
    r = await f.sync(A, 'D', r.next);
    expect(bodies(r.room?.events)).toEqual(['new']);
    expect(r.room?.limited).toBe(false);
    for (let i = 0; i < 4; i++) f.source.sendMessage('!r:hs', A, `burst${i}`);
    r = await f.sync(A, 'D', r.next);
    expect(bodies(r.room?.events)).toEqual(['burst1', 'burst2', 'burst3']);
    expect(r.room?.limited).toBe(true);
  });

  it('ends a left room at the leave event, and restarts it on rejoin', async () => {
    const f = syncFixture();
    f.source.createRoom('!r:hs', { creator: B });
    f.source.join('!r:hs', A);
    let r = await f.sync(A, 'D', undefined, { room: { room_id: '!r:hs', timeline_limit: 5 } });
    f.source.sendMessage('!r:hs', B, 'before');
    f.source.leave('!r:hs', A);
    f.source.sendMessage('!r:hs', B, 'after leaving');
    r = await f.sync(A, 'D', r.next);
    expect(r.room?.events.map((e) => e.type)).toEqual(['m.room.message', 'm.room.member']);
    expect(r.room?.events.at(-1)?.content).toEqual({ membership: 'leave' });
    f.source.sendMessage('!r:hs', B, 'still away');
    r = await f.sync(A, 'D', r.next);
    expect(r.room).toBeUndefined();
    f.source.join('!r:hs', A);
    f.source.sendMessage('!r:hs', B, 'welcome back');
    r = await f.sync(A, 'D', r.next);
    expect(bodies(r.room?.events).at(-1)).toBe('welcome back');
    expect(r.room?.limited).toBe(true);
  });
});

describe('room_list stream', () => {
  it('pages joined rooms by recency and by name, then sends deltas, leaves included', async () => {
    const f = syncFixture();
    for (const [id, name] of [
      ['!a:hs', 'Zeta'],
      ['!b:hs', 'alpha'],
      ['!c:hs', 'Mid'],
    ]) {
      f.source.createRoom(id as string, { creator: A, name: name as string });
    }
    f.source.createRoom('!other:hs', { creator: B, name: 'Not mine' });
    f.source.sendMessage('!a:hs', A, 'latest');
    let r = await f.sync(A, 'D', undefined, { room_list: { p: { since: '1', limit: 2 } } });
    expect(r.room_list?.rooms.map((x) => x.room_id)).toEqual(['!a:hs', '!c:hs']);
    const first = r.room_list?.rooms[0] as SyncRoomListEntry & { name: string; member_count: number };
    expect(first).toMatchObject({ name: 'Zeta', member_count: 1, membership: 'join' });
    expect(first.room_handle).toMatch(/^[0-9a-f]{16}$/);
    const next = r.room_list?.p?.next as string;
    r = await f.sync(A, 'D', r.next, { room_list: { p: { since: next } } });
    expect(r.room_list?.rooms.map((x) => x.room_id)).toEqual(['!b:hs']);
    expect(r.room_list?.p?.next).toBeUndefined();
    const byName = await f.sync(A, 'D', r.next, {
      room_list: { p: { since: '1', sort: 'by_name', limit: 10 } },
    });
    expect(byName.room_list?.rooms.map((x) => x.room_id)).toEqual(['!b:hs', '!c:hs', '!a:hs']);
    f.source.sendMessage('!c:hs', A, 'x');
    f.source.join('!other:hs', A);
    f.source.leave('!b:hs', A);
    const d = await f.sync(A, 'D', byName.next, {});
    expect(d.room_list?.rooms.map((x) => [x.room_id, x.membership])).toEqual([
      ['!c:hs', 'join'],
      ['!other:hs', 'join'],
      ['!b:hs', 'leave'],
    ]);
    expect(d.room_list?.rooms.find((x) => x.membership === 'leave')).not.toHaveProperty('name');
  });
});

describe('room_members stream', () => {
  it('pages joined members by name and by power level with user_handle, then deltas', async () => {
    const f = syncFixture();
    f.source.createRoom('!r:hs', { creator: A });
    f.source.join('!r:hs', B, { displayname: 'Bob' });
    f.source.join('!r:hs', '@carol:hs', { displayname: 'carol', power_level: 50 });
    let r = await f.sync(A, 'D', undefined, { room_members: { room_id: '!r:hs', p: { since: '1' } } });
    expect(r.room_members?.room_id).toBe('!r:hs');
    expect(r.room_members?.events.map((e) => e.state_key)).toEqual([A, B, '@carol:hs']);
    expect(r.room_members?.events[1]).toMatchObject({ type: 'm.room.member', power_level: 0 });
    expect(r.room_members?.events[1]?.user_handle).toMatch(/^[0-9a-f]{16}$/);
    r = await f.sync(A, 'D', r.next, { room_members: { p: { since: '1', sort: 'by_pl' } } });
    expect(r.room_members?.events.map((e) => e.power_level)).toEqual([100, 50, 0]);
    f.source.leave('!r:hs', B);
    f.source.setPowerLevel('!r:hs', '@carol:hs', 75);
    r = await f.sync(A, 'D', r.next);
    expect(
      r.room_members?.events.map((e) => [
        e.state_key,
        (e.content as { membership: string }).membership,
        e.power_level,
      ]),
    ).toEqual([
      [B, 'leave', 0],
      ['@carol:hs', 'join', 75],
    ]);
  });
});

describe('access control', () => {
  it('returns nothing for a guessed room id on every room stream', async () => {
    const f = syncFixture();
    f.source.createRoom('!secret:hs', { creator: B });
    f.source.sendMessage('!secret:hs', B, 'private');
    f.source.setTyping('!secret:hs', [B]);
    let r = await f.sync(M, 'D', undefined, {
      typing: { room_id: '!secret:hs' },
      room: { room_id: '!secret:hs' },
      room_members: { room_id: '!secret:hs', p: { since: '1' } },
      room_list: { p: { since: '1' } },
    });
    expect(r.typing).toBeUndefined();
    expect(r.room).toBeUndefined();
    expect(r.room_members).toBeUndefined();
    expect(r.room_list?.rooms).toEqual([]);
    f.source.sendMessage('!secret:hs', B, 'more');
    f.source.setTyping('!secret:hs', []);
    r = await f.sync(M, 'D', r.next);
    expect(Object.keys(r)).toEqual(['next']);
  });

  it('stops typing and members of a room once the user left it', async () => {
    const f = syncFixture();
    f.source.createRoom('!r:hs', { creator: B });
    f.source.join('!r:hs', A);
    let r = await f.sync(A, 'D', undefined, {
      typing: { room_id: '!r:hs' },
      room_members: { room_id: '!r:hs' },
    });
    expect(r.typing).toBeDefined();
    f.source.leave('!r:hs', A);
    f.source.setTyping('!r:hs', [B]);
    f.source.join('!r:hs', '@carol:hs');
    r = await f.sync(A, 'D', r.next);
    expect(r.typing).toBeUndefined();
    expect(r.room_members).toBeUndefined();
  });
});
