import { describe, expect, it } from 'vitest';
import { syncFixture } from './fixture.js';
import type { SyncResponseBody, SyncRoomListEntry } from './types.js';

const A = '@alice:hs';
const B = '@bob:hs';
const C = '@carol:hs';

const ids = (rooms: readonly SyncRoomListEntry[] | undefined): string[] =>
  (rooms ?? []).map((r) => r.room_id);
const kinds = (rooms: readonly SyncRoomListEntry[] | undefined): string[][] =>
  (rooms ?? []).map((r) => [r.room_id, r.membership]);

/** The settled value of `p`, or 'pending' when it has not settled once queued promise jobs ran. */
async function peek<T>(p: Promise<T>): Promise<T | 'pending'> {
  let settled: { value: T } | undefined;
  p.then((value) => {
    settled = { value };
  });
  for (let i = 0; i < 200; i++) await Promise.resolve();
  return settled === undefined ? 'pending' : settled.value;
}

describe('room_list invites', () => {
  it('lists an invite with its inviter, time and name, sorted with the joined rooms', async () => {
    const f = syncFixture();
    f.source.createRoom('!old:hs', { creator: B, name: 'Old' });
    f.clock.advance(1_000);
    f.source.createRoom('!inv:hs', { creator: A, name: 'beta' });
    f.clock.advance(1_000);
    const invitedAt = f.clock.now();
    f.source.invite('!inv:hs', A, B);
    f.clock.advance(1_000);
    f.source.createRoom('!new:hs', { creator: B, name: 'Zulu' });
    f.source.sendMessage('!new:hs', B, 'hi');

    const r = await f.sync(B, 'D', undefined, { room_list: { p: { since: '1' } } });
    expect(ids(r.room_list?.rooms)).toEqual(['!new:hs', '!inv:hs', '!old:hs']);
    const invite = r.room_list?.rooms[1];
    expect(invite).toEqual({
      room_id: '!inv:hs',
      room_handle: expect.stringMatching(/^[0-9a-f]{16}$/),
      name: 'beta',
      inviter: A,
      last_event_ts: invitedAt,
      recency: expect.any(Number),
      membership: 'invite',
    });
    expect(invite).not.toHaveProperty('member_count');
    const byName = await f.sync(B, 'D', r.next, { room_list: { p: { since: '1', sort: 'by_name' } } });
    expect(ids(byName.room_list?.rooms)).toEqual(['!inv:hs', '!old:hs', '!new:hs']);
  });

  it("keeps an invite's recency while the room moves on, and follows a rename", async () => {
    const f = syncFixture();
    f.source.createRoom('!inv:hs', { creator: A, name: 'Before' });
    f.source.invite('!inv:hs', A, B);
    let r = await f.sync(B, 'D', undefined, { room_list: { p: { since: '1' } } });
    const recency = r.room_list?.rooms[0]?.recency;
    f.source.sendMessage('!inv:hs', A, 'members only');
    r = await f.sync(B, 'D', r.next);
    expect(r.room_list).toBeUndefined();
    f.source.setRoomName('!inv:hs', A, 'After');
    r = await f.sync(B, 'D', r.next);
    expect(r.room_list?.rooms).toEqual([
      expect.objectContaining({ room_id: '!inv:hs', name: 'After', membership: 'invite', recency }),
    ]);
  });

  it('turns the invite into a join, and removes rejected, retracted and banned invites', async () => {
    const f = syncFixture();
    for (const id of ['!j:hs', '!rej:hs', '!ret:hs', '!ban:hs']) {
      f.source.createRoom(id, { creator: A, name: id });
      f.source.invite(id, A, B);
    }
    let r = await f.sync(B, 'D', undefined, { room_list: { p: { since: '1' } } });
    expect(kinds(r.room_list?.rooms)).toEqual([
      ['!ban:hs', 'invite'],
      ['!ret:hs', 'invite'],
      ['!rej:hs', 'invite'],
      ['!j:hs', 'invite'],
    ]);
    f.source.join('!j:hs', B);
    r = await f.sync(B, 'D', r.next);
    expect(r.room_list?.rooms).toEqual([
      expect.objectContaining({ room_id: '!j:hs', membership: 'join', member_count: 2 }),
    ]);
    f.source.leave('!rej:hs', B);
    f.source.kick('!ret:hs', A, B);
    f.source.ban('!ban:hs', A, B);
    r = await f.sync(B, 'D', r.next);
    expect(kinds(r.room_list?.rooms)).toEqual([
      ['!rej:hs', 'leave'],
      ['!ret:hs', 'leave'],
      ['!ban:hs', 'leave'],
    ]);
    for (const gone of r.room_list?.rooms ?? [])
      expect(Object.keys(gone).sort()).toEqual(['membership', 'recency', 'room_handle', 'room_id']);
    const fresh = await f.sync(B, 'D2', undefined, { room_list: { p: { since: '1' } } });
    expect(kinds(fresh.room_list?.rooms)).toEqual([['!j:hs', 'join']]);
  });

  it('wakes the invitee at once', async () => {
    const f = syncFixture();
    f.source.createRoom('!r:hs', { creator: A });
    const r = await f.sync(B, 'D', undefined, { room_list: { p: { since: '1' } } });
    const out = await f.request(B, 'D', r.next, {}, 20_000);
    if (out.kind !== 'wait') throw new Error('expected a wait');
    await f.engine.notify(f.clock.now(), f.source.sendMessage('!r:hs', A, 'not for bob'));
    expect(await peek(out.response)).toBe('pending');
    await f.engine.notify(f.clock.now(), f.source.invite('!r:hs', A, B));
    const body = (await peek(out.response)) as SyncResponseBody;
    expect(kinds(body.room_list?.rooms)).toEqual([['!r:hs', 'invite']]);
  });
});

describe('access control of invited users', () => {
  it('gives an invitee no timeline, members or typing until they join', async () => {
    const f = syncFixture();
    f.source.createRoom('!r:hs', { creator: A });
    f.source.sendMessage('!r:hs', A, 'secret');
    f.source.setTyping('!r:hs', [A]);
    f.source.invite('!r:hs', A, B);
    const streams = {
      typing: { room_id: '!r:hs' },
      room: { room_id: '!r:hs' },
      room_members: { room_id: '!r:hs', p: { since: '1' } },
    };
    let r = await f.sync(B, 'D', undefined, streams);
    expect(Object.keys(r)).toEqual(['next']);
    f.source.sendMessage('!r:hs', A, 'still secret');
    f.source.invite('!r:hs', A, C);
    f.source.setTyping('!r:hs', []);
    r = await f.sync(B, 'D', r.next);
    expect(Object.keys(r)).toEqual(['next']);
    f.source.join('!r:hs', B);
    r = await f.sync(B, 'D', r.next);
    expect(r.room?.events.at(-1)).toMatchObject({ type: 'm.room.member', state_key: B });
    expect(r.typing?.events[0]?.content).toEqual({ user_ids: [] });
  });

  it('sends a left room up to the leave once, and nothing of the time out after a re-invite', async () => {
    const f = syncFixture();
    f.source.createRoom('!r:hs', { creator: A });
    f.source.join('!r:hs', B);
    let r = await f.sync(B, 'D', undefined, { room: { room_id: '!r:hs', timeline_limit: 20 } });
    f.source.sendMessage('!r:hs', A, 'while in');
    f.source.leave('!r:hs', B);
    f.source.sendMessage('!r:hs', A, 'while out 1');
    f.source.invite('!r:hs', A, B);
    f.source.sendMessage('!r:hs', A, 'while invited');
    r = await f.sync(B, 'D', r.next);
    expect(
      r.room?.events.map((e) => (e.content as { body?: string; membership?: string }).body ?? e.content),
    ).toEqual(['while in', { membership: 'leave' }]);
    f.source.leave('!r:hs', B);
    f.source.sendMessage('!r:hs', A, 'while out 2');
    f.source.ban('!r:hs', A, B);
    r = await f.sync(B, 'D', r.next);
    expect(r.room).toBeUndefined();
  });

  it('sends nothing of a join and leave that both happened between two responses', async () => {
    const f = syncFixture();
    f.source.createRoom('!r:hs', { creator: A });
    f.source.join('!r:hs', B);
    let r = await f.sync(B, 'D', undefined, { room: { room_id: '!r:hs' } });
    f.source.leave('!r:hs', B);
    r = await f.sync(B, 'D', r.next);
    expect(r.room?.events).toHaveLength(1);
    f.source.sendMessage('!r:hs', A, 'while out');
    f.source.join('!r:hs', B);
    f.source.leave('!r:hs', B);
    r = await f.sync(B, 'D', r.next);
    expect(r.room).toBeUndefined();
  });
});
