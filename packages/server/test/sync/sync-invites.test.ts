import { afterEach, describe, expect, it } from 'vitest';
import { syncServiceOf } from '../../src/sync/index.js';
import { call, register, roomPath, startTestServer, type TestUser, tempDir } from '../helpers.js';
import { createRoom, send, sync, syncCall, typing } from './sync-helpers.js';

const stops: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s();
});

// Far below the long-poll timeout used (20 s): an answer within it was woken, not timed out.
const PROMPT_MS = 5_000;

async function eventually(check: () => boolean, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function invite(base: string, inviter: TestUser, roomId: string, who: TestUser): Promise<void> {
  const r = await call(base, 'POST', roomPath(roomId, 'invite'), {
    token: inviter.token,
    body: { user_id: who.userId },
  });
  expect(r.status, r.text).toBe(200);
}

async function member(base: string, by: TestUser, roomId: string, who: TestUser, membership: string) {
  const path = roomPath(roomId, `state/m.room.member/${encodeURIComponent(who.userId)}`);
  const r = await call(base, 'PUT', path, { token: by.token, body: { membership } });
  expect(r.status, r.text).toBe(200);
}

async function post(base: string, who: TestUser, roomId: string, action: 'join' | 'leave') {
  const r = await call(base, 'POST', roomPath(roomId, action), { token: who.token });
  expect(r.status, r.text).toBe(200);
}

// biome-ignore lint/suspicious/noExplicitAny: JSON answers
const kinds = (rooms: any[] | undefined) => (rooms ?? []).map((r) => [r.room_id, r.membership]);

describe('invites in room_list over HTTP', () => {
  it('wakes the invitee with the invite, turns it into a join, and removes rejected ones', async () => {
    const t = await startTestServer();
    stops.push(t.stop);
    const s = t.server;
    const engine = syncServiceOf(s)!.engine;
    const alice = await register(s.url, 'alice');
    const bob = await register(s.url, 'bob');
    const mine = await createRoom(s.url, bob, { name: 'Mine' });
    const plans = await createRoom(s.url, alice, { name: 'Plans' });
    await send(s.url, alice, plans, 'before the invite');

    const r0 = await sync(s.url, bob, undefined, { room_list: { p: { since: '1' } } });
    expect(kinds(r0.room_list.rooms)).toEqual([[mine, 'join']]);
    const started = Date.now();
    const poll = syncCall(s.url, bob, r0.next, {}, { timeout: 20_000 });
    await eventually(() => engine.waitingCount === 1);
    await invite(s.url, alice, plans, bob);
    const r1 = (await poll).json;
    expect(Date.now() - started).toBeLessThan(PROMPT_MS);
    expect(r1.room_list.rooms).toEqual([
      {
        room_id: plans,
        room_handle: expect.stringMatching(/^[0-9a-f]{16}$/),
        name: 'Plans',
        inviter: alice.userId,
        last_event_ts: expect.any(Number),
        recency: expect.any(Number),
        membership: 'invite',
      },
    ]);
    const invited = r1.room_list.rooms[0];

    // A new session's first page lists the invite with the joined rooms, newest first.
    const page = await sync(s.url, bob, undefined, { room_list: { p: { since: '1' } } });
    expect(kinds(page.room_list.rooms)).toEqual([
      [plans, 'invite'],
      [mine, 'join'],
    ]);
    const byName = await sync(s.url, bob, undefined, { room_list: { p: { since: '1', sort: 'by_name' } } });
    expect(kinds(byName.room_list.rooms)).toEqual([
      [mine, 'join'],
      [plans, 'invite'],
    ]);

    // Invited is not joined: no timeline, members or typing, and the room's messages do not
    // move the invite.
    const r2 = await sync(s.url, bob, r1.next, {
      room: { room_id: plans },
      room_members: { room_id: plans, p: { since: '1' } },
      typing: { room_id: plans },
    });
    expect(Object.keys(r2)).toEqual(['next']);
    await send(s.url, alice, plans, 'members only');
    expect((await typing(s.url, alice, plans, { typing: true })).status).toBe(200);
    const r3 = await sync(s.url, bob, r2.next);
    expect(Object.keys(r3)).toEqual(['next']);
    expect((await typing(s.url, bob, plans, { typing: true })).status).toBe(403);

    await post(s.url, bob, plans, 'join');
    const r4 = await sync(s.url, bob, r3.next);
    expect(r4.room_list.rooms).toEqual([
      expect.objectContaining({ room_id: plans, name: 'Plans', membership: 'join', member_count: 2 }),
    ]);
    expect(r4.room_list.rooms[0].room_handle).toBe(invited.room_handle);
    expect(r4.room.events.at(-1)).toMatchObject({ type: 'm.room.member', state_key: bob.userId });
    expect(r4.typing.events[0].content.user_ids).toEqual([alice.userId]);

    // Rejected, retracted and banned invites are removed, as a leave.
    const rejected = await createRoom(s.url, alice, { name: 'Rejected' });
    const retracted = await createRoom(s.url, alice, { name: 'Retracted' });
    const banned = await createRoom(s.url, alice, { name: 'Banned' });
    for (const room of [rejected, retracted, banned]) await invite(s.url, alice, room, bob);
    const r5 = await sync(s.url, bob, r4.next);
    expect(kinds(r5.room_list.rooms)).toEqual([
      [rejected, 'invite'],
      [retracted, 'invite'],
      [banned, 'invite'],
    ]);
    await post(s.url, bob, rejected, 'leave');
    await member(s.url, alice, retracted, bob, 'leave');
    await member(s.url, alice, banned, bob, 'ban');
    const r6 = await sync(s.url, bob, r5.next);
    expect(r6.room_list.rooms).toEqual(
      [rejected, retracted, banned].map((room) => ({
        room_id: room,
        room_handle: expect.stringMatching(/^[0-9a-f]{16}$/),
        membership: 'leave',
        recency: expect.any(Number),
      })),
    );
    expect(r6.room).toBeUndefined();
    const last = await sync(s.url, bob, undefined, { room_list: { p: { since: '1' } } });
    expect(kinds(last.room_list.rooms)).toEqual([
      [plans, 'join'],
      [mine, 'join'],
    ]);
  });

  it('keeps a pending invite across a restart', async () => {
    const { dir, cleanup } = tempDir();
    stops.push(cleanup);
    const first = await startTestServer({ dataDir: dir });
    const alice = await register(first.server.url, 'alice');
    const bob = await register(first.server.url, 'bob');
    const room = await createRoom(first.server.url, alice, { name: 'Pending' });
    const joined = await createRoom(first.server.url, bob, { name: 'Own' });
    await invite(first.server.url, alice, room, bob);
    await send(first.server.url, bob, joined, 'after the invite');
    await send(first.server.url, alice, room, 'not for bob');
    const body = { room_list: { p: { since: '1' } } };
    const before = await sync(first.server.url, bob, undefined, body);
    expect(kinds(before.room_list.rooms)).toEqual([
      [joined, 'join'],
      [room, 'invite'],
    ]);
    await first.server.close();

    const t = await startTestServer({ dataDir: dir });
    stops.push(t.stop);
    const s = t.server;
    const after = await sync(s.url, bob, undefined, body);
    expect(after.room_list).toEqual(before.room_list);
    const r = await sync(s.url, bob, after.next, { room: { room_id: room } });
    expect(r.room).toBeUndefined();
    await post(s.url, bob, room, 'join');
    const joinedNow = await sync(s.url, bob, r.next);
    expect(kinds(joinedNow.room_list.rooms)).toEqual([[room, 'join']]);
    expect(joinedNow.room.events.at(-1)).toMatchObject({ type: 'm.room.member', state_key: bob.userId });
  });
});
