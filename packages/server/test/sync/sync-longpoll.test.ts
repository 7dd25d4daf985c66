import { afterEach, describe, expect, it } from 'vitest';
import { syncServiceOf } from '../../src/sync/index.js';
import { call, register, startTestServer, V3 } from '../helpers.js';
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

// Far below the long-poll timeouts used (20 s): an answer within it was woken, not timed out.
const PROMPT_MS = 5_000;

async function eventually(check: () => boolean, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function setup() {
  const s = await server();
  const alice = await register(s.url, 'alice');
  const bob = await register(s.url, 'bob');
  const room = await createRoom(s.url, alice, { preset: 'public_chat' });
  await join(s.url, bob, room);
  const engine = syncServiceOf(s)!.engine;
  return { s, alice, bob, room, engine };
}

describe('long-polling sync over HTTP', () => {
  it('is woken by a typing change', async () => {
    const { s, alice, bob, room, engine } = await setup();
    const r0 = await sync(s.url, alice, undefined, { typing: { room_id: room } });
    expect(r0.typing.events[0].content.user_ids).toEqual([]);
    const started = Date.now();
    const poll = syncCall(s.url, alice, r0.next, {}, { timeout: 20_000 });
    await eventually(() => engine.waitingCount === 1);
    expect((await typing(s.url, bob, room, { typing: true, timeout: 10_000 })).status).toBe(200);
    const r1 = await poll;
    expect(Date.now() - started).toBeLessThan(PROMPT_MS);
    expect(r1.json.typing.events).toEqual([
      { type: 'm.typing', room_id: room, content: { user_ids: [bob.userId] } },
    ]);
    // Renewing changes nothing; stopping is a change.
    const poll2 = syncCall(s.url, alice, r1.json.next, {}, { timeout: 20_000 });
    await eventually(() => engine.waitingCount === 1);
    await typing(s.url, bob, room, { typing: true, timeout: 10_000 });
    await typing(s.url, bob, room, { typing: false });
    expect((await poll2).json.typing.events[0].content.user_ids).toEqual([]);
  });

  it('is woken by a new event in the room and in the room list', async () => {
    const { s, alice, bob, room, engine } = await setup();
    const other = await createRoom(s.url, alice, { name: 'other' });
    const r0 = await sync(s.url, alice, undefined, {
      room: { room_id: room },
      room_list: { p: { since: '1' } },
    });
    const started = Date.now();
    const poll = syncCall(s.url, alice, r0.next, {}, { timeout: 20_000 });
    await eventually(() => engine.waitingCount === 1);
    const eventId = await send(s.url, bob, room, 'wake up');
    const r1 = (await poll).json;
    expect(Date.now() - started).toBeLessThan(PROMPT_MS);
    expect(r1.room.events.map((e: { event_id: string }) => e.event_id)).toEqual([eventId]);
    expect(r1.room_list.rooms.map((x: { room_id: string }) => x.room_id)).toEqual([room]);
    // A room that is not the `room` stream's still wakes the room list.
    const poll2 = syncCall(s.url, alice, r1.next, {}, { timeout: 20_000 });
    await eventually(() => engine.waitingCount === 1);
    await send(s.url, alice, other, 'elsewhere');
    const r2 = (await poll2).json;
    expect(r2.room).toBeUndefined();
    expect(r2.room_list.rooms.map((x: { room_id: string }) => x.room_id)).toEqual([other]);
  });

  it('times out with nothing, and expires typing after its timeout', async () => {
    const { s, alice, bob, room } = await setup();
    const r0 = await sync(s.url, alice, undefined, { typing: { room_id: room } });
    const quiet = await syncCall(s.url, alice, r0.next, {}, { timeout: 100 });
    expect(Object.keys(quiet.json)).toEqual(['next']);
    await typing(s.url, bob, room, { typing: true, timeout: 150 });
    const r1 = await sync(s.url, alice, quiet.json.next);
    expect(r1.typing.events[0].content.user_ids).toEqual([bob.userId]);
    const r2 = await syncCall(s.url, alice, r1.next, {}, { timeout: 20_000 });
    expect(r2.json.typing.events[0].content.user_ids).toEqual([]);
  });

  it('lets users set only their own typing, in rooms they are joined to', async () => {
    const { s, alice, bob, room } = await setup();
    const eve = await register(s.url, 'eve');
    const other = await typing(s.url, bob, room, { typing: true }, alice.userId);
    expect([other.status, other.json.errcode]).toEqual([403, 'M_FORBIDDEN']);
    const outsider = await typing(s.url, eve, room, { typing: true });
    expect([outsider.status, outsider.json.errcode]).toEqual([403, 'M_FORBIDDEN']);
    const guessed = await typing(s.url, eve, '!nope:test.local', { typing: true });
    expect([guessed.status, guessed.json.errcode]).toEqual([403, 'M_FORBIDDEN']);
    const bad = await typing(s.url, bob, room, { typing: 'yes' });
    expect([bad.status, bad.json.errcode]).toEqual([400, 'M_BAD_JSON']);
    const badTimeout = await typing(s.url, bob, room, { typing: true, timeout: -5 });
    expect([badTimeout.status, badTimeout.json.errcode]).toEqual([400, 'M_BAD_JSON']);
    const r = await sync(s.url, alice, undefined, { typing: { room_id: room } });
    expect(r.typing.events[0].content.user_ids).toEqual([]);
    // Leaving ends one's typing notice.
    await typing(s.url, bob, room, { typing: true });
    await call(s.url, 'POST', `${V3}/rooms/${encodeURIComponent(room)}/leave`, { token: bob.token });
    const after = await sync(s.url, alice, undefined, { typing: { room_id: room } });
    expect(after.typing.events[0].content.user_ids).toEqual([]);
  });

  it('stops waiting when the client goes away, consuming nothing', async () => {
    const { s, alice, bob, room, engine } = await setup();
    const r0 = await sync(s.url, alice, undefined, { room: { room_id: room } });
    const controller = new AbortController();
    const poll = syncCall(s.url, alice, r0.next, {}, { timeout: 20_000, signal: controller.signal });
    await eventually(() => engine.waitingCount === 1);
    controller.abort();
    await expect(poll).rejects.toThrow();
    await eventually(() => engine.waitingCount === 0);
    await send(s.url, bob, room, 'missed?');
    const r1 = await sync(s.url, alice, r0.next);
    expect(r1.room.events.map((e: { content: { body: string } }) => e.content.body)).toEqual(['missed?']);
  });

  it('answers waiting long-polls at shutdown', async () => {
    const t = await startTestServer({ shutdownTimeoutMs: 20_000 });
    const alice = await register(t.server.url, 'alice');
    const r0 = await sync(t.server.url, alice, undefined, { to_device: {} });
    const engine = syncServiceOf(t.server)!.engine;
    const started = Date.now();
    const poll = syncCall(t.server.url, alice, r0.next, {}, { timeout: 20_000 });
    await eventually(() => engine.waitingCount === 1);
    await t.stop();
    const r = await poll;
    expect(r.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(PROMPT_MS);
  });

  it('refuses bad requests with Matrix errors', async () => {
    const { s, alice, bob } = await setup();
    const r0 = await sync(s.url, alice, undefined, {});
    const badTimeout = await call(s.url, 'POST', `${V3}/sync?timeout=soon`, { token: alice.token, body: {} });
    expect([badTimeout.status, badTimeout.json.errcode]).toEqual([400, 'M_INVALID_PARAM']);
    for (const since of ['garbage', '', `s1_${'0'.repeat(32)}_1_1`]) {
      const r = await syncCall(s.url, alice, since);
      expect([r.status, r.json.errcode]).toEqual([400, 'M_UNKNOWN_SYNC_SESSION']);
    }
    const stolen = await syncCall(s.url, bob, r0.next);
    expect([stolen.status, stolen.json.errcode]).toEqual([400, 'M_UNKNOWN_SYNC_SESSION']);
    const notObject = await call(s.url, 'POST', `${V3}/sync`, { token: alice.token, raw: '[1]' });
    expect(notObject.status).toBe(400);
    const badStream = await syncCall(s.url, alice, undefined, { typing: 'x' });
    expect([badStream.status, badStream.json.errcode]).toEqual([400, 'M_INVALID_PARAM']);
    const anonymous = await call(s.url, 'POST', `${V3}/sync`, { body: {} });
    expect([anonymous.status, anonymous.json.errcode]).toEqual([401, 'M_MISSING_TOKEN']);
  });
});
