/**
 * Sync v3 across two instances (in this process, one PostgreSQL schema, one Redis): long-polls
 * woken by events, typing and to-device sends made on the other instance; the room list and
 * timeline fed by the other instance's events; to-device delivered once, retries deduplicated;
 * and the sticky-routing fallback: a session token of one instance is `M_UNKNOWN_SYNC_SESSION` on
 * the other, which the client answers by starting a new session there.
 */
import { type ParleyError, SyncSession } from '@parley/core';
import { nodeHttp, nodeRandom, nodeTimers } from '@parley/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParleyServer } from '../../src/index.js';
import { register } from '../helpers.js';
import { createRoom, join, send, sendToDevice, sync, syncCall, typing } from '../sync/sync-helpers.js';
import { InProcessCluster, RedisScope } from './cluster-helpers.js';

const scope = new RedisScope();
const cluster = new InProcessCluster(scope);
let a: ParleyServer;
let b: ParleyServer;

beforeAll(async () => {
  a = await cluster.start();
  b = await cluster.start();
});
afterAll(async () => {
  await cluster.stop();
  expect(await scope.cleanup()).toEqual([`${scope.prefix}slot-seq`]);
});

describe('sync across two instances', () => {
  it('wakes a long-poll on one instance for an event sent through the other', async () => {
    const alice = await register(a.url, 'w_alice');
    const bob = await register(a.url, 'w_bob');
    const room = await createRoom(a.url, alice);
    await join(b.url, bob, room, alice);
    const first = await sync(b.url, bob, undefined, { room: { room_id: room, timeline_limit: 5 } });
    const poll = syncCall(b.url, bob, first.next, {}, { timeout: 20_000 });
    const eventId = await send(a.url, alice, room, 'across');
    const woke = await poll;
    expect(woke.status).toBe(200);
    expect(woke.json.room.events.map((e: { event_id: string }) => e.event_id)).toContain(eventId);
    // The room list on b knows the room created and written on a.
    const list = await sync(b.url, bob, undefined, { room_list: { p: { since: '1' } } });
    expect(list.room_list.rooms.map((r: { room_id: string }) => r.room_id)).toContain(room);
  });

  it('reads its own writes: a send on one instance is in the next sync there', async () => {
    const carol = await register(b.url, 'o_carol');
    const room = await createRoom(b.url, carol);
    const first = await sync(b.url, carol, undefined, { room: { room_id: room, timeline_limit: 5 } });
    for (let i = 0; i < 5; i++) {
      const id = await send(b.url, carol, room, `mine ${i}`);
      const next = await sync(b.url, carol, first.next, { room: { room_id: room } });
      expect(next.room.events.map((e: { event_id: string }) => e.event_id)).toContain(id);
      first.next = next.next;
    }
  });

  it('wakes a long-poll for a typing notice set on the other instance', async () => {
    const dan = await register(a.url, 't_dan');
    const eve = await register(a.url, 't_eve');
    const room = await createRoom(a.url, dan);
    await join(a.url, eve, room, dan);
    const first = await sync(b.url, dan, undefined, { typing: { room_id: room } });
    expect(first.typing.events[0].content.user_ids).toEqual([]);
    const poll = syncCall(b.url, dan, first.next, {}, { timeout: 20_000 });
    expect((await typing(a.url, eve, room, { typing: true, timeout: 20_000 })).status).toBe(200);
    const woke = await poll;
    expect(woke.json.typing.events[0].content.user_ids).toEqual([eve.userId]);
    const poll2 = syncCall(b.url, dan, woke.json.next, {}, { timeout: 20_000 });
    expect((await typing(a.url, eve, room, { typing: false })).status).toBe(200);
    expect((await poll2).json.typing.events[0].content.user_ids).toEqual([]);
  });

  it('delivers a to-device message sent through the other instance once, and a retry stores nothing', async () => {
    const fay = await register(a.url, 'd_fay', 'PHONE');
    const gus = await register(a.url, 'd_gus');
    const first = await sync(b.url, fay, undefined, { to_device: {} });
    const poll = syncCall(b.url, fay, first.next, {}, { timeout: 20_000 });
    const messages = { [fay.userId]: { PHONE: { n: 1 } } };
    expect((await sendToDevice(a.url, gus, 'tx1', messages)).status).toBe(200);
    const woke = await poll;
    expect(woke.json.to_device.events).toEqual([{ type: 'm.test', sender: gus.userId, content: { n: 1 } }]);
    // The same txnId through the other instance: the same send, nothing stored twice.
    expect((await sendToDevice(b.url, gus, 'tx1', messages)).status).toBe(200);
    expect((await sendToDevice(a.url, gus, 'tx2', { [fay.userId]: { PHONE: { n: 2 } } })).status).toBe(200);
    // The other instance learns of tx2 through a Redis notice a moment after the 200: long-poll
    // for it rather than race that notice with an immediate sync.
    const next = (await syncCall(b.url, fay, woke.json.next, {}, { timeout: 20_000 })).json;
    expect(next.to_device.events.map((e: { content: { n: number } }) => e.content.n)).toEqual([2]);
  });

  it("answers another instance's session token with M_UNKNOWN_SYNC_SESSION; a new session works", async () => {
    const hal = await register(a.url, 's_hal');
    const room = await createRoom(a.url, hal);
    const onA = await sync(a.url, hal, undefined, { room: { room_id: room } });
    const moved = await syncCall(b.url, hal, onA.next, {});
    expect(moved.status).toBe(400);
    expect(moved.json.errcode).toBe('M_UNKNOWN_SYNC_SESSION');
    // What the client does next: a new session, every parameter sent again.
    const fresh = await sync(b.url, hal, undefined, { room: { room_id: room } });
    expect(fresh.room.events.length).toBeGreaterThan(0);
  });

  it('lets the SDK session move to the other instance: it restarts by itself and misses nothing', async () => {
    const ivy = await register(a.url, 'sdk_ivy', 'LAPTOP');
    const jon = await register(a.url, 'sdk_jon');
    const room = await createRoom(a.url, ivy);
    await join(a.url, jon, room, ivy);
    // The load balancer's routing: the session's requests go to `target`.
    let target = a.url;
    const http = nodeHttp();
    const session = await SyncSession.open({
      api: {
        http: (req) => http({ ...req, url: req.url.replace(a.url, target) }),
        baseUrl: a.url,
        timers: nodeTimers,
        random: nodeRandom,
        accessToken: () => ivy.token,
      },
    });
    const restarts: ParleyError[] = [];
    session.on('restart', (e) => restarts.push(e));
    session.subscribe('room', { room_id: room, timeline_limit: 20 });
    session.subscribe('to_device', {});
    await session.sync();
    expect(session.since).toBeDefined();
    // Instance a goes away for this device; meanwhile jon writes through both instances.
    target = b.url;
    const sent = await send(a.url, jon, room, 'while moving');
    const td = { [ivy.userId]: { LAPTOP: { n: 7 } } };
    expect((await sendToDevice(b.url, jon, 'sdk-1', td)).status).toBe(200);
    const body = await session.sync();
    expect(restarts.map((e) => e.code)).toEqual(['M_UNKNOWN_SYNC_SESSION']);
    expect(body.room?.events.map((e) => e.event_id)).toContain(sent);
    expect(body.to_device?.events).toEqual([{ type: 'm.test', sender: jon.userId, content: { n: 7 } }]);
    // And it goes on there without another restart.
    const next = await send(b.url, jon, room, 'after the move');
    const after = await session.sync();
    expect(after.room?.events.map((e) => e.event_id)).toEqual([next]);
    expect(restarts).toHaveLength(1);
  });
});
