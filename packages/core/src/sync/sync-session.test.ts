import { describe, expect, it } from 'vitest';
import type { HttpFunction } from '../client/http.js';
import { MemoryStore } from '../io.js';
import { SyncEngine } from './engine.js';
import { syncFixture } from './fixture.js';
import { SyncLoopback } from './loopback.js';
import { SyncSession } from './sync-session.js';
import type { SyncResponseBody, SyncTypingResult } from './types.js';

const A = '@alice:hs';

async function flush(): Promise<void> {
  for (let i = 0; i < 300; i++) await Promise.resolve();
}

function setup() {
  const f = syncFixture();
  let loopback = new SyncLoopback({
    engine: f.engine,
    clock: f.clock,
    timers: f.clock,
    users: { tokA: { userId: A, deviceId: 'D' } },
  });
  let failNext = 0;
  const http: HttpFunction = async (req) => {
    if (failNext > 0) {
      failNext--;
      throw new Error('connection reset');
    }
    return loopback.http(req);
  };
  const store = new MemoryStore();
  const open = () =>
    SyncSession.open({
      api: { http, baseUrl: 'http://hs.test', timers: f.clock, random: f.random, accessToken: () => 'tokA' },
      store,
      clock: f.clock,
      timeoutMs: 10_000,
    });
  return {
    f,
    store,
    open,
    get loopback() {
      return loopback;
    },
    /** A server restart: a new engine over the same stored data; old tokens are unknown. */
    restartServer() {
      const engine = new SyncEngine({ source: f.source, random: f.random });
      loopback = new SyncLoopback({
        engine,
        clock: f.clock,
        timers: f.clock,
        users: { tokA: { userId: A, deviceId: 'D' } },
      });
    },
    failNext(n: number) {
      failNext = n;
    },
  };
}

describe('SyncSession', () => {
  it('sends its parameters once, then only what changed, and emits per-stream events', async () => {
    const t = setup();
    t.f.source.createRoom('!r:hs', { creator: A });
    t.f.source.createRoom('!s:hs', { creator: A });
    const s = await t.open();
    const typing: SyncTypingResult[] = [];
    s.on('typing', (r) => typing.push(r));
    s.subscribe('typing', { room_id: '!r:hs' });
    s.subscribe('room', { room_id: '!r:hs', timeline_limit: 5 });
    const first = await s.sync();
    expect(t.loopback.requests[0]).toEqual({
      since: undefined,
      body: { typing: { room_id: '!r:hs' }, room: { room_id: '!r:hs', timeline_limit: 5 } },
    });
    expect(typing).toHaveLength(1);
    await s.sync();
    expect(t.loopback.requests[1]?.body).toEqual({});
    expect(t.loopback.requests[1]?.since).toBe(first.next);
    s.subscribe('room', { timeline_limit: 7 });
    s.unsubscribe('typing');
    await s.sync();
    expect(t.loopback.requests[2]?.body).toEqual({ typing: null, room: { timeline_limit: 7 } });
  });

  it('restarts transparently on M_UNKNOWN_SYNC_SESSION, re-sending every sticky parameter', async () => {
    const t = setup();
    t.f.source.createRoom('!r:hs', { creator: A });
    const s = await t.open();
    const restarts: string[] = [];
    s.on('restart', (e) => restarts.push(e.code));
    s.subscribe('typing', { room_id: '!r:hs' });
    s.subscribe('to_device', { limit: 10 });
    await s.sync();
    const oldSince = s.since;
    t.f.source.sendToDevice(A, 'D', { type: 'm.test', sender: A, content: { n: 1 } });
    t.restartServer();
    const got = await s.sync();
    expect(restarts).toEqual(['M_UNKNOWN_SYNC_SESSION']);
    const last = t.loopback.requests.at(-1);
    expect(last).toEqual({
      since: undefined,
      body: { typing: { room_id: '!r:hs' }, to_device: { limit: 10 } },
    });
    expect(got.to_device?.events).toHaveLength(1);
    expect(s.since).not.toBe(oldSince);
  });

  it('pages a stream on request and restarts paging with the first page after a restart', async () => {
    const t = setup();
    for (let i = 0; i < 5; i++) t.f.source.createRoom(`!r${i}:hs`, { creator: A });
    const s = await t.open();
    const rooms: string[] = [];
    s.on('room_list', (r) => rooms.push(...r.rooms.map((x) => x.room_id)));
    s.subscribe('room_list', { p: { limit: 2 } });
    await s.page('room_list');
    expect(t.loopback.requests[0]?.body).toEqual({ room_list: { p: { limit: 2, since: '1' } } });
    expect(s.hasMorePages('room_list')).toBe(true);
    await s.page('room_list');
    await s.page('room_list');
    expect(s.hasMorePages('room_list')).toBe(false);
    expect(rooms).toEqual(['!r4:hs', '!r3:hs', '!r2:hs', '!r1:hs', '!r0:hs']);
    // The sticky limit was sent once; p.since is per request.
    expect(t.loopback.requests[1]?.body).toMatchObject({
      room_list: { p: { since: expect.stringMatching(/^p1_/) } },
    });
    expect(t.loopback.requests[1]?.body).not.toHaveProperty('room_list.p.limit');
    t.restartServer();
    rooms.length = 0;
    await s.sync();
    expect(t.loopback.requests.at(-1)?.body).toEqual({ room_list: { p: { limit: 2, since: '1' } } });
    expect(rooms).toEqual(['!r4:hs', '!r3:hs']);
    await expect(s.page('room_members')).rejects.toMatchObject({ code: 'protocol' });
    expect(() => s.subscribe('room_members', { p: { limit: 3 } })).toThrow(/room_id is required/);
  });

  it('long-polls in a loop until aborted, woken by a typing change', async () => {
    const t = setup();
    t.f.source.createRoom('!r:hs', { creator: A });
    const s = await t.open();
    const typing: unknown[] = [];
    s.on('typing', (r) => typing.push(r.events[0]?.content));
    s.subscribe('typing', { room_id: '!r:hs' });
    const ctl = new AbortController();
    const running = s.run({ signal: ctl.signal });
    await flush();
    expect(typing).toEqual([{ user_ids: [] }]);
    expect(t.f.engine.waitingCount).toBe(1);
    await t.loopback.notify(t.f.source.setTyping('!r:hs', [A]));
    await flush();
    expect(typing).toEqual([{ user_ids: [] }, { user_ids: [A] }]);
    // A quiet long-poll ends at its timeout and the loop asks again.
    t.f.clock.advance(10_000);
    await flush();
    expect(t.f.engine.waitingCount).toBe(1);
    expect(t.loopback.requests.filter((r) => r.since !== undefined).length).toBe(3);
    ctl.abort();
    await running;
    expect(t.f.engine.waitingCount).toBe(0);
  });

  it('cuts a waiting long-poll short to send a parameter change', async () => {
    const t = setup();
    t.f.source.createRoom('!r:hs', { creator: A });
    t.f.source.createRoom('!s:hs', { creator: A });
    const s = await t.open();
    const responses: SyncResponseBody[] = [];
    s.on('response', (r) => responses.push(r));
    s.subscribe('typing', { room_id: '!r:hs' });
    const ctl = new AbortController();
    const running = s.run({ signal: ctl.signal });
    await flush();
    expect(t.f.engine.waitingCount).toBe(1);
    s.subscribe('typing', { room_id: '!s:hs' });
    await flush();
    expect(responses.at(-1)?.typing?.events[0]?.room_id).toBe('!s:hs');
    const bodies = t.loopback.requests.map((r) => r.body);
    // First the session, then the long-poll that was cut, the change, and the next long-poll.
    expect(bodies).toEqual([{ typing: { room_id: '!r:hs' } }, {}, { typing: { room_id: '!s:hs' } }, {}]);
    expect(t.f.engine.waitingCount).toBe(1);
    ctl.abort();
    await running;
  });

  it('retries after a network failure with backoff and reports it', async () => {
    const t = setup();
    const s = await t.open();
    const errors: string[] = [];
    s.on('error', (e) => errors.push(e.code));
    s.subscribe('to_device', {});
    // apiRequest retries an idempotent request 5 times before run() sees the failure.
    t.failNext(5);
    const ctl = new AbortController();
    const running = s.run({ signal: ctl.signal });
    for (let i = 0; i < 20 && errors.length === 0; i++) {
      t.f.clock.advance(10_000);
      await flush();
    }
    expect(errors).toEqual(['network']);
    for (let i = 0; i < 20 && s.since === undefined; i++) {
      t.f.clock.advance(1_000);
      await flush();
    }
    expect(s.since).toBeDefined();
    ctl.abort();
    await running;
  });

  it('persists since and parameters: a reopened session resumes without re-sending them', async () => {
    const t = setup();
    t.f.source.createRoom('!r:hs', { creator: A });
    const s = await t.open();
    s.subscribe('room', { room_id: '!r:hs' });
    await s.sync();
    const reopened = await t.open();
    expect(reopened.since).toBe(s.since);
    expect(reopened.params).toEqual({ room: { room_id: '!r:hs' } });
    t.f.source.sendMessage('!r:hs', A, 'while away');
    const r = await reopened.sync();
    expect(t.loopback.requests.at(-1)).toEqual({ since: s.since, body: {} });
    expect(r.room?.events.map((e) => e.type)).toEqual(['m.room.message']);
  });
});
