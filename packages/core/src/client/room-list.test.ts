import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../io.js';
import { FakeClock } from '../testing/index.js';
import { RoomCache } from './room-cache.js';
import { RoomList } from './room-list.js';
import type { SyncNews } from './sync-news.js';

const member = (user: string, handle: string, membership = 'join') => ({
  type: 'm.room.member',
  state_key: user,
  sender: user,
  content: { membership, displayname: user.slice(1, 2).toUpperCase() },
  user_handle: handle,
  power_level: 0,
});

const msg = (n: number, txn?: string) => ({
  type: 'm.room.message',
  event_id: `$${n}`,
  sender: '@a:hs',
  origin_server_ts: 1000 + n,
  content: { body: `m${n}` },
  ...(txn ? { unsigned: { transaction_id: txn } } : {}),
});

const news: SyncNews = {
  room_list: {
    rooms: [
      {
        room_id: '!a:hs',
        room_handle: '000000000000000a',
        name: 'A',
        last_event_ts: 5,
        member_count: 2,
        membership: 'join',
      },
      {
        room_id: '!b:hs',
        room_handle: '000000000000000b',
        name: 'B',
        last_event_ts: 9,
        member_count: 1,
        membership: 'join',
      },
    ],
  },
  room_members: {
    room_id: '!a:hs',
    events: [member('@a:hs', '00000000000000a1'), member('@b:hs', '00000000000000b1')],
  },
  room: { room_id: '!a:hs', events: [msg(1), msg(2)], limited: false, prev_batch: 'pb1' },
  typing: { events: [{ type: 'm.typing', content: { user_ids: ['@b:hs'] } }] },
  to_device: { events: [{ type: 'm.ping', sender: '@b:hs', content: { n: 1 } }] },
};

describe('RoomList.applySync', () => {
  it('applies every stream and reports what changed', () => {
    const list = new RoomList();
    const ch = list.applySync(news, '!a:hs');
    // A's newest timeline event (1002) is newer than B's last_event_ts (9).
    expect(list.sorted().map((r) => r.roomId)).toEqual(['!a:hs', '!b:hs']);
    expect(list.roomByHandle.get('000000000000000b')).toBe('!b:hs');
    expect(list.userByHandle.get('00000000000000b1')).toBe('@b:hs');
    const a = list.rooms.get('!a:hs');
    expect([...(a?.members.keys() ?? [])]).toEqual(['@a:hs', '@b:hs']);
    expect(a?.timeline.events.map((e) => e.eventId)).toEqual(['$1', '$2']);
    expect(a?.timeline.prevBatch).toBe('pb1');
    expect(a?.typing).toEqual(['@b:hs']);
    expect(a?.lastEventTs).toBe(1002);
    expect(ch.rooms).toHaveLength(2);
    expect(ch.timelines[0]?.added).toHaveLength(2);
    expect(ch.toDevice).toEqual([{ type: 'm.ping', sender: '@b:hs', content: { n: 1 } }]);
  });

  it('removes members who left, marks left rooms, and resets a limited timeline', () => {
    const list = new RoomList();
    list.applySync(news, '!a:hs');
    const ch = list.applySync(
      {
        room_list: { rooms: [{ room_id: '!b:hs', room_handle: '000000000000000b', membership: 'leave' }] },
        room: {
          room_id: '!a:hs',
          events: [msg(10), { ...member('@b:hs', '00000000000000b1', 'leave'), event_id: '$m' }],
          limited: true,
          prev_batch: 'pb9',
        },
      },
      '!a:hs',
    );
    expect(ch.left).toEqual(['!b:hs']);
    expect(list.sorted().map((r) => r.roomId)).toEqual(['!a:hs']);
    const a = list.rooms.get('!a:hs');
    expect(a?.members.has('@b:hs')).toBe(false);
    expect(a?.timeline.events.map((e) => e.eventId)).toEqual(['$10', '$m']);
    expect(a?.timeline.prevBatch).toBe('pb9');
    expect(ch.timelines[0]?.reset).toBe(true);
  });

  it('ignores malformed entries instead of throwing', () => {
    const list = new RoomList();
    const bad = {
      room_list: { rooms: [null, { name: 'no id' }] },
      typing: { events: [{ type: 'm.typing', content: { user_ids: 'x' } }] },
    } as unknown as SyncNews;
    expect(() => list.applySync(bad, undefined)).not.toThrow();
    expect(list.rooms.size).toBe(0);
  });
});

describe('RoomCache', () => {
  it('restores rooms, members, handles and the newest events after a reload, bounded', async () => {
    const store = new MemoryStore();
    const clock = new FakeClock(0);
    const list = new RoomList();
    list.applySync(news, '!a:hs');
    list.applySync({ room: { room_id: '!a:hs', events: [msg(3), msg(4), msg(5)] } }, undefined);
    const cache = new RoomCache({ store, timers: clock, maxEvents: 3, debounceMs: 100 });
    cache.markDirty(list, '!a:hs');
    cache.markDirty(list, '!b:hs');
    expect(await store.keys('cache/')).toEqual([]);
    clock.advance(100);
    await cache.flush();
    const reloaded = new RoomList();
    const n = await new RoomCache({ store, timers: clock }).load(reloaded);
    expect(n).toBe(2);
    const a = reloaded.rooms.get('!a:hs');
    expect(a?.name).toBe('A');
    expect(a?.timeline.events.map((e) => e.eventId)).toEqual(['$3', '$4', '$5']);
    // Events were cut, so the stored token no longer fits: history restarts from the newest end.
    expect(a?.timeline.prevBatch).toBeUndefined();
    expect(a?.timeline.trimmed).toBe(true);
    expect(reloaded.userByHandle.get('00000000000000b1')).toBe('@b:hs');
    expect(reloaded.roomByHandle.get('000000000000000a')).toBe('!a:hs');
  });

  it('keeps only maxRooms, dropping the least recent, and clear() empties it', async () => {
    const store = new MemoryStore();
    const clock = new FakeClock(0);
    const list = new RoomList();
    list.applySync(news, undefined);
    const cache = new RoomCache({ store, timers: clock, maxRooms: 1 });
    cache.markDirty(list, '!a:hs');
    cache.markDirty(list, '!b:hs');
    await cache.flush();
    expect(await store.get('cache/index')).toEqual(['!a:hs']);
    expect(await store.get('cache/room/!b:hs')).toBeUndefined();
    await cache.clear();
    expect(await store.keys('cache/')).toEqual([]);
  });
});
