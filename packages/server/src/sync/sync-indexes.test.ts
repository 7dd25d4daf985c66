import type { PDU } from '@parley/core';
import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../storage/storage.js';
import { NO_HANDLE, SyncIndexes } from './sync-indexes.js';

const R = '!r:hs';
let ordering = 0;

function ev(type: string, sender: string, content: Record<string, unknown>, stateKey?: string): StoredEvent {
  ordering++;
  const event = {
    type,
    room_id: R,
    sender,
    content,
    origin_server_ts: 1000 + ordering,
    ...(stateKey === undefined ? {} : { state_key: stateKey }),
  } as unknown as PDU;
  return { streamOrdering: ordering, eventId: `$e${ordering}`, event };
}

const page = (ix: SyncIndexes, sort: 'by_name' | 'by_pl') =>
  ix.members
    .page(R, { sort, snapshot: Number.MAX_SAFE_INTEGER, limit: 10 })
    .items.map((m) => [m.state_key, m.power_level]);

describe('SyncIndexes', () => {
  it('follows membership, names and power levels as events are applied', () => {
    const handles = new Map([['@a:hs', 'aaaaaaaaaaaaaaaa']]);
    const ix = new SyncIndexes((u) => handles.get(u) ?? NO_HANDLE);
    ix.addRoom(R, '1111111111111111');
    const apply = (e: StoredEvent) => ix.apply(e, e.streamOrdering * 10);
    apply(ev('m.room.create', '@a:hs', {}, ''));
    apply(ev('m.room.member', '@a:hs', { membership: 'join' }, '@a:hs'));
    // Before any m.room.power_levels the creator has 100.
    expect(page(ix, 'by_pl')).toEqual([['@a:hs', 100]]);
    apply(
      ev('m.room.power_levels', '@a:hs', { users: { '@a:hs': 100, '@b:hs': '50' }, users_default: 5 }, ''),
    );
    const joined = apply(ev('m.room.member', '@b:hs', { membership: 'join', displayname: 'Bee' }, '@b:hs'));
    const joinedAt = ordering * 10;
    expect(joined.change).toEqual({ type: 'room', room_id: R, user_ids: ['@a:hs', '@b:hs'] });
    apply(ev('m.room.member', '@c:hs', { membership: 'join' }, '@c:hs'));
    expect(page(ix, 'by_pl')).toEqual([
      ['@a:hs', 100],
      ['@b:hs', 50],
      ['@c:hs', 5],
    ]);
    // A member sorts by display name when it has one (`bee`), else by user id (`@…` first).
    expect(page(ix, 'by_name').map(([u]) => u)).toEqual(['@a:hs', '@c:hs', '@b:hs']);
    expect(ix.members.page(R, { sort: 'by_name', snapshot: 1e9, limit: 1 }).items[0]?.user_handle).toBe(
      'aaaaaaaaaaaaaaaa',
    );
    apply(ev('m.room.name', '@a:hs', { name: 'Tea' }, ''));
    const list = ix.roomList.page('@b:hs', { sort: 'by_name', snapshot: 1e9, limit: 5 }).items;
    expect(list).toEqual([
      expect.objectContaining({ room_id: R, name: 'Tea', member_count: 3, membership: 'join' }),
    ]);
    const left = apply(ev('m.room.member', '@b:hs', { membership: 'leave' }, '@b:hs'));
    expect(left.left).toEqual(['@b:hs']);
    expect(left.change).toEqual({ type: 'room', room_id: R, user_ids: ['@a:hs', '@c:hs', '@b:hs'] });
    expect(ix.membership('@b:hs', R)).toEqual({
      membership: 'leave',
      since: ordering * 10,
      last_join: { since: joinedAt, until: ordering * 10 },
    });
    expect(ix.roomList.page('@b:hs', { sort: 'by_name', snapshot: 1e9, limit: 5 }).items).toEqual([]);
    expect(ix.joinedMembers(R)).toEqual(new Set(['@a:hs', '@c:hs']));
    // An unknown membership value counts as not joined.
    apply(ev('m.room.member', '@c:hs', { membership: 'weird' }, '@c:hs'));
    expect(ix.membership('@c:hs', R)?.membership).toBe('leave');
  });

  it('rebuilds from room heads and current state', () => {
    const ix = new SyncIndexes(() => NO_HANDLE);
    const state = [
      ev('m.room.create', '@a:hs', {}, ''),
      ev('m.room.member', '@a:hs', { membership: 'join' }, '@a:hs'),
      ev('m.room.name', '@a:hs', { name: 'Rebuilt' }, ''),
    ];
    ix.rebuild(
      [{ roomId: R, handle: '2222222222222222', streamOrdering: 40, originServerTs: 77 }],
      state,
      (o) => o * 2,
    );
    expect(ix.roomList.page('@a:hs', { sort: 'by_recency', snapshot: 1e9, limit: 5 }).items).toEqual([
      {
        room_id: R,
        room_handle: '2222222222222222',
        name: 'Rebuilt',
        last_event_ts: 77,
        member_count: 1,
        recency: 80,
        membership: 'join',
      },
    ]);
    expect(() => ix.apply(ev('m.room.message', '@a:hs', {}), 1e6)).not.toThrow();
    expect(() =>
      ix.apply({ ...ev('m.room.message', '@a:hs', {}), event: { room_id: '!x:hs' } as unknown as PDU }, 1),
    ).toThrow(/unknown room/);
  });

  it('lists invites, wakes the invitee, turns them into joins and removes rejected ones', () => {
    const ix = new SyncIndexes(() => NO_HANDLE);
    ix.addRoom(R, '3333333333333333');
    const apply = (e: StoredEvent) => ix.apply(e, e.streamOrdering * 10);
    const list = (u: string) => ix.roomList.page(u, { sort: 'by_recency', snapshot: 1e9, limit: 5 }).items;
    apply(ev('m.room.create', '@a:hs', {}, ''));
    apply(ev('m.room.member', '@a:hs', { membership: 'join' }, '@a:hs'));
    apply(ev('m.room.name', '@a:hs', { name: 'Tea' }, ''));
    const invite = ev('m.room.member', '@a:hs', { membership: 'invite' }, '@b:hs');
    expect(apply(invite).change).toEqual({ type: 'room', room_id: R, user_ids: ['@a:hs', '@b:hs'] });
    const entry = {
      room_id: R,
      room_handle: '3333333333333333',
      name: 'Tea',
      inviter: '@a:hs',
      last_event_ts: invite.event.origin_server_ts,
      recency: invite.streamOrdering * 10,
      membership: 'invite',
    };
    expect(list('@b:hs')).toEqual([entry]);
    // The room's messages neither move the invite nor wake the invitee; a rename does both.
    expect(apply(ev('m.room.message', '@a:hs', {})).change).toEqual({
      type: 'room',
      room_id: R,
      user_ids: ['@a:hs'],
    });
    expect(list('@b:hs')).toEqual([entry]);
    expect(apply(ev('m.room.name', '@a:hs', { name: 'Coffee' }, '')).change).toEqual({
      type: 'room',
      room_id: R,
      user_ids: ['@a:hs', '@b:hs'],
    });
    expect(list('@b:hs')).toEqual([{ ...entry, name: 'Coffee' }]);
    apply(ev('m.room.member', '@b:hs', { membership: 'join' }, '@b:hs'));
    expect(list('@b:hs')).toEqual([expect.objectContaining({ membership: 'join', member_count: 2 })]);
    apply(ev('m.room.member', '@a:hs', { membership: 'invite' }, '@c:hs'));
    const banned = apply(ev('m.room.member', '@a:hs', { membership: 'ban' }, '@c:hs'));
    expect(banned.left).toEqual([]);
    expect(list('@c:hs')).toEqual([]);
    const delta = ix.roomList.changes('@c:hs', { after: { position: 0 }, upTo: 1e9, limit: 5 }).items;
    expect(delta).toEqual([
      { room_id: R, room_handle: '3333333333333333', membership: 'leave', recency: ordering * 10 },
    ]);
    // A leave of a user never listed records nothing.
    apply(ev('m.room.member', '@d:hs', { membership: 'leave' }, '@d:hs'));
    expect(ix.roomList.get('@d:hs', R)).toBeUndefined();
  });

  it('rebuilds pending invites with the current name', () => {
    const ix = new SyncIndexes(() => NO_HANDLE);
    const invite = ev('m.room.member', '@a:hs', { membership: 'invite' }, '@b:hs');
    const state = [
      ev('m.room.create', '@a:hs', {}, ''),
      ev('m.room.member', '@a:hs', { membership: 'join' }, '@a:hs'),
      invite,
      ev('m.room.member', '@a:hs', { membership: 'leave' }, '@c:hs'),
      ev('m.room.name', '@a:hs', { name: 'Later' }, ''),
    ];
    ix.rebuild(
      [{ roomId: R, handle: '4444444444444444', streamOrdering: 90, originServerTs: 5 }],
      state,
      (o) => o,
    );
    expect(ix.roomList.page('@b:hs', { sort: 'by_name', snapshot: 1e9, limit: 5 }).items).toEqual([
      {
        room_id: R,
        room_handle: '4444444444444444',
        name: 'Later',
        inviter: '@a:hs',
        last_event_ts: invite.event.origin_server_ts,
        recency: invite.streamOrdering,
        membership: 'invite',
      },
    ]);
    expect(ix.membership('@b:hs', R)?.membership).toBe('invite');
    expect(ix.roomList.get('@c:hs', R)).toBeUndefined();
  });
});
