import { afterEach, describe, expect, it } from 'vitest';
import { call, register, roomPath, startTestServer, type TestUser, tempDir } from '../helpers.js';
import { createRoom, join, send, sync, syncCall, typing } from './sync-helpers.js';

const stops: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s();
});

async function server(options: Parameters<typeof startTestServer>[0] = {}) {
  const t = await startTestServer(options);
  stops.push(t.stop);
  return t.server;
}

// biome-ignore lint/suspicious/noExplicitAny: JSON answers
const ids = (rooms: any[] | undefined) => (rooms ?? []).map((r) => r.room_id);
// biome-ignore lint/suspicious/noExplicitAny: JSON answers
const keys = (events: any[] | undefined) => (events ?? []).map((e) => e.state_key);

describe('room_list and room_members over HTTP', () => {
  it('serves the first page by recency and by name, and pages with p.next', async () => {
    const s = await server();
    const alice = await register(s.url, 'alice');
    const names = ['delta', 'Alpha', 'echo', 'charlie', 'bravo'];
    const rooms: string[] = [];
    for (const name of names) rooms.push(await createRoom(s.url, alice, { name }));
    for (const i of [2, 0, 4]) await send(s.url, alice, rooms[i]!, 'bump');
    const recency = [rooms[4], rooms[0], rooms[2], rooms[3], rooms[1]];
    const r = await sync(s.url, alice, undefined, { room_list: { p: { since: '1', limit: 20 } } });
    expect(ids(r.room_list.rooms)).toEqual(recency);
    expect(r.room_list.p).toEqual({ limit: 20, sort: 'by_recency' });
    const first = r.room_list.rooms[0];
    const handle = await s.storage.getRoom(rooms[4]!);
    expect(first).toMatchObject({
      name: 'bravo',
      member_count: 1,
      membership: 'join',
      room_handle: handle?.handle,
    });
    expect(first.last_event_ts).toBeGreaterThan(0);

    const byName = await sync(s.url, alice, undefined, { room_list: { p: { since: '1', sort: 'by_name' } } });
    expect(byName.room_list.rooms.map((x: { name: string }) => x.name)).toEqual([
      'Alpha',
      'bravo',
      'charlie',
      'delta',
      'echo',
    ]);

    let page = await sync(s.url, alice, undefined, { room_list: { p: { since: '1', limit: 2 } } });
    const seen = ids(page.room_list.rooms);
    while (page.room_list?.p?.next !== undefined) {
      page = await sync(s.url, alice, page.next, { room_list: { p: { since: page.room_list.p.next } } });
      seen.push(...ids(page.room_list.rooms));
    }
    expect(seen).toEqual(recency);
  });

  it('keeps pages stable while members join between page requests', async () => {
    const s = await server();
    const alice = await register(s.url, 'alice');
    const room = await createRoom(s.url, alice, { preset: 'public_chat' });
    const members: TestUser[] = [];
    for (let i = 10; i < 18; i++) {
      const u = await register(s.url, `u${i}`);
      await join(s.url, u, room);
      members.push(u);
    }
    let r = await sync(s.url, alice, undefined, {
      room_members: { room_id: room, p: { since: '1', limit: 3 } },
    });
    const seen = keys(r.room_members.events);
    // Joiners that sort before, between and after the pages already fetched.
    const late: string[] = [];
    for (const name of ['a0', 'u15b', 'zz']) {
      const u = await register(s.url, name);
      await join(s.url, u, room);
      late.push(u.userId);
    }
    while (r.room_members?.p?.next !== undefined) {
      r = await sync(s.url, alice, r.next, { room_members: { p: { since: r.room_members.p.next } } });
      seen.push(...keys(r.room_members.events));
    }
    const snapshot = [alice.userId, ...members.map((m) => m.userId)].sort();
    expect(seen).toEqual(snapshot);
    r = await sync(s.url, alice, r.next);
    expect(keys(r.room_members.events)).toEqual(late);
  });

  it('sorts members by power level and sends a level change as a delta', async () => {
    const s = await server();
    const alice = await register(s.url, 'alice');
    const bob = await register(s.url, 'bob');
    const room = await createRoom(s.url, alice, { preset: 'public_chat' });
    await join(s.url, bob, room);
    const r = await sync(s.url, alice, undefined, {
      room_members: { room_id: room, p: { since: '1', sort: 'by_pl' } },
    });
    expect(r.room_members.events.map((e: { power_level: number }) => e.power_level)).toEqual([100, 0]);
    expect(r.room_members.events[1]).toMatchObject({ state_key: bob.userId, user_handle: bob.handle });
    const pl = await call(s.url, 'GET', roomPath(room, 'state/m.room.power_levels/'), { token: alice.token });
    const content = { ...pl.json, users: { ...pl.json.users, [bob.userId]: 50 } };
    const put = await call(s.url, 'PUT', roomPath(room, 'state/m.room.power_levels/'), {
      token: alice.token,
      body: content,
    });
    expect(put.status, put.text).toBe(200);
    const d = await sync(s.url, alice, r.next);
    expect(d.room_members.events).toHaveLength(1);
    expect(d.room_members.events[0]).toMatchObject({ state_key: bob.userId, power_level: 50 });
  });

  it('says what it negotiated: capped limit, default sort for an unknown one', async () => {
    const s = await server({ syncMaxPageLimit: 5 });
    const alice = await register(s.url, 'alice');
    const room = await createRoom(s.url, alice);
    const r = await sync(s.url, alice, undefined, {
      room_list: { p: { since: '1', limit: 50, sort: 'by_size' } },
      room_members: { room_id: room, p: { limit: 2, sort: 'by_pl', since: '1' } },
    });
    expect(r.room_list.p).toEqual({ limit: 5, sort: 'by_recency' });
    expect(r.room_members.p).toEqual({ limit: 2, sort: 'by_pl' });
    const bad = await syncCall(s.url, alice, r.next, { room_list: { p: { limit: 'ten' } } });
    expect([bad.status, bad.json.errcode]).toEqual([400, 'M_INVALID_PARAM']);
  });

  it('answers a retransmit with the identical body, and applies a changed body', async () => {
    const s = await server();
    const alice = await register(s.url, 'alice');
    const room = await createRoom(s.url, alice, { name: 'r' });
    const r0 = await sync(s.url, alice, undefined, { room: { room_id: room, timeline_limit: 3 } });
    await send(s.url, alice, room, 'one');
    const body = { room_list: { p: { since: '1' } } };
    const a = await syncCall(s.url, alice, r0.next, body);
    await send(s.url, alice, room, 'two');
    const b = await syncCall(s.url, alice, r0.next, body);
    expect(a.status).toBe(200);
    expect(b.text).toBe(a.text);
    // The retransmitted token still works; a changed body is a new request from the same point.
    const c = await syncCall(s.url, alice, r0.next, { typing: { room_id: room } });
    expect(c.json.next).not.toBe(a.json.next);
    expect(c.json.room.events.map((e: { content: { body: string } }) => e.content.body)).toEqual([
      'one',
      'two',
    ]);
    // Once the client moves on from `c`, the tokens before it are gone.
    await sync(s.url, alice, c.json.next);
    expect((await syncCall(s.url, alice, r0.next)).json.errcode).toBe('M_UNKNOWN_SYNC_SESSION');
  });

  it('returns nothing of a room the user is not joined to, whatever its id', async () => {
    const s = await server();
    const alice = await register(s.url, 'alice');
    const eve = await register(s.url, 'eve');
    const room = await createRoom(s.url, alice, { name: 'secret' });
    await send(s.url, alice, room, 'not for eve');
    expect((await typing(s.url, alice, room, { typing: true })).status).toBe(200);
    for (const roomId of [room, '!guessed:test.local']) {
      const r = await sync(s.url, eve, undefined, {
        typing: { room_id: roomId },
        room: { room_id: roomId },
        room_members: { room_id: roomId, p: { since: '1' } },
        room_list: { p: { since: '1' } },
      });
      expect(r.typing).toBeUndefined();
      expect(r.room).toBeUndefined();
      expect(r.room_members).toBeUndefined();
      expect(r.room_list.rooms).toEqual([]);
      const later = await syncCall(s.url, eve, r.next, {}, { timeout: 200 });
      await send(s.url, alice, room, 'still not for eve');
      expect(Object.keys(later.json)).toEqual(['next']);
    }
  });

  it("ends a room's data when the user leaves", async () => {
    const s = await server();
    const alice = await register(s.url, 'alice');
    const bob = await register(s.url, 'bob');
    const room = await createRoom(s.url, alice, { preset: 'public_chat' });
    await join(s.url, bob, room);
    const r0 = await sync(s.url, bob, undefined, {
      room: { room_id: room },
      typing: { room_id: room },
      room_members: { room_id: room, p: { since: '1' } },
      room_list: { p: { since: '1' } },
    });
    expect(ids(r0.room_list.rooms)).toEqual([room]);
    await send(s.url, alice, room, 'before');
    expect((await call(s.url, 'POST', roomPath(room, 'leave'), { token: bob.token })).status).toBe(200);
    await send(s.url, alice, room, 'after');
    expect((await typing(s.url, alice, room, { typing: true })).status).toBe(200);
    const r1 = await sync(s.url, bob, r0.next);
    const types = r1.room.events.map(
      (e: { type: string; content: { body?: string } }) => e.content.body ?? e.type,
    );
    expect(types).toEqual(['before', 'm.room.member']);
    expect(r1.room_list.rooms).toEqual([expect.objectContaining({ room_id: room, membership: 'leave' })]);
    expect(r1.typing).toBeUndefined();
    expect(r1.room_members).toBeUndefined();
    await send(s.url, alice, room, 'later');
    const r2 = await sync(s.url, bob, r1.next);
    expect(Object.keys(r2)).toEqual(['next']);
  });

  it('sends the newest timeline_limit events with a prev_batch that /messages pages back from', async () => {
    const s = await server();
    const alice = await register(s.url, 'alice');
    const room = await createRoom(s.url, alice);
    for (const body of ['m1', 'm2', 'm3', 'm4']) await send(s.url, alice, room, body);
    const r = await sync(s.url, alice, undefined, { room: { room_id: room, timeline_limit: 2 } });
    // biome-ignore lint/suspicious/noExplicitAny: JSON answers
    const bodies = (events: any[]) => events.map((e) => e.content.body ?? e.type);
    expect(bodies(r.room.events)).toEqual(['m3', 'm4']);
    expect(r.room.limited).toBe(true);
    const back = await call(
      s.url,
      'GET',
      roomPath(room, `messages?dir=b&limit=2&from=${r.room.prev_batch}`),
      {
        token: alice.token,
      },
    );
    expect(bodies(back.json.chunk)).toEqual(['m2', 'm1']);
    await send(s.url, alice, room, 'm5');
    const d = await sync(s.url, alice, r.next);
    expect([bodies(d.room.events), d.room.limited]).toEqual([['m5'], false]);
  });

  it('rebuilds the indexes from storage at start', async () => {
    const { dir, cleanup } = tempDir();
    stops.push(cleanup);
    const first = await startTestServer({ dataDir: dir });
    const alice = await register(first.server.url, 'alice');
    const bob = await register(first.server.url, 'bob');
    const rooms = [];
    for (const name of ['x', 'y', 'z'])
      rooms.push(await createRoom(first.server.url, alice, { name, preset: 'public_chat' }));
    await join(first.server.url, bob, rooms[1]!);
    await send(first.server.url, alice, rooms[0]!, 'latest');
    const body = {
      room_list: { p: { since: '1' } },
      room_members: { room_id: rooms[1], p: { since: '1', sort: 'by_pl' } },
    };
    const before = await sync(first.server.url, alice, undefined, body);
    await first.server.close();
    const s = await server({ dataDir: dir });
    const after = await sync(s.url, alice, undefined, body);
    expect(after.room_list).toEqual(before.room_list);
    expect(after.room_members).toEqual(before.room_members);
    expect(ids(after.room_list.rooms)).toEqual([rooms[0], rooms[1], rooms[2]]);
  });
});
