import { computeEventId, type PDU, verifyEventSignature } from '@parley/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParleyServer } from '../src/index.js';
import { call, register, roomPath, startTestServer, type TestUser, V3 } from './helpers.js';

describe('rooms through the client API', () => {
  let server: ParleyServer;
  let base: string;
  let stop: () => Promise<void>;
  let alice: TestUser;
  let bob: TestUser;
  let eve: TestUser;
  beforeAll(async () => {
    const t = await startTestServer();
    server = t.server;
    base = server.url;
    stop = t.stop;
    alice = await register(base, 'alice');
    bob = await register(base, 'bob');
    eve = await register(base, 'eve');
  });
  afterAll(() => stop());

  const createRoom = async (who: TestUser, body: unknown = {}) => {
    const r = await call(base, 'POST', `${V3}/createRoom`, { token: who.token, body });
    expect(r.status).toBe(200);
    return r.json as { room_id: string; room_handle: string };
  };
  const send = (who: TestUser, roomId: string, txnId: string, body: string) =>
    call(base, 'PUT', roomPath(roomId, `send/m.room.message/${txnId}`), {
      token: who.token,
      body: { msgtype: 'm.text', body },
    });
  const messages = (who: TestUser, roomId: string, query: string) =>
    call(base, 'GET', roomPath(roomId, `messages?${query}`), { token: who.token });

  it('create, invite, join, send, read back', async () => {
    const room = await createRoom(alice, { name: 'Tea' });
    expect(room.room_id).toMatch(/^![A-Za-z]{18}:test\.local$/);
    expect(room.room_handle).toMatch(/^[0-9a-f]{16}$/);
    expect((await send(bob, room.room_id, 't0', 'too early')).status).toBe(403);
    const inv = await call(base, 'POST', roomPath(room.room_id, 'invite'), {
      token: alice.token,
      body: { user_id: bob.userId },
    });
    expect(inv.status).toBe(200);
    const join = await call(base, 'POST', `${V3}/join/${encodeURIComponent(room.room_id)}`, {
      token: bob.token,
    });
    expect(join.json).toEqual({ room_id: room.room_id, room_handle: room.room_handle });
    const sent = await send(bob, room.room_id, 't1', 'hello alice');
    expect(sent.status).toBe(200);
    expect(sent.json.event_id).toMatch(/^\$[A-Za-z0-9_-]{43}$/);
    const page = await messages(alice, room.room_id, 'dir=b&limit=2');
    expect(page.status).toBe(200);
    expect(page.json.chunk.map((e: { type: string }) => e.type)).toEqual(['m.room.message', 'm.room.member']);
    expect(page.json.chunk[0]).toMatchObject({
      event_id: sent.json.event_id,
      sender: bob.userId,
      room_id: room.room_id,
      content: { msgtype: 'm.text', body: 'hello alice' },
    });
    const state = await call(base, 'GET', roomPath(room.room_id, 'state/m.room.name/'), { token: bob.token });
    expect(state.json).toEqual({ name: 'Tea' });
    const joined = await call(base, 'GET', `${V3}/joined_rooms`, { token: bob.token });
    expect(joined.json.joined_rooms).toContain(room.room_id);
  });

  it('paginates /messages backwards and forwards with opaque tokens', async () => {
    const room = await createRoom(alice);
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await send(alice, room.room_id, `p${i}`, `m${i}`)).json.event_id);
    const initial = (await call(base, 'GET', roomPath(room.room_id, 'state'), { token: alice.token })).json;
    expect(initial.length).toBeGreaterThanOrEqual(4);

    // Backwards from the newest end, 3 at a time, until `end` is gone.
    const back: string[] = [];
    let from: string | undefined;
    let firstStart: string | undefined;
    for (let guard = 0; guard < 20; guard++) {
      const r = await messages(alice, room.room_id, `dir=b&limit=3${from ? `&from=${from}` : ''}`);
      expect(r.status).toBe(200);
      firstStart ??= r.json.start;
      back.push(...r.json.chunk.map((e: { event_id: string }) => e.event_id));
      if (r.json.end === undefined) break;
      from = r.json.end;
    }
    expect(back.slice(0, 7)).toEqual([...ids].reverse());
    // 5 initial state events (create, member, power levels, join rules, history visibility) + 7.
    expect(back).toHaveLength(12);
    expect(new Set(back).size).toBe(12);

    // Forwards from the oldest end gives the same events oldest first.
    const fwd: string[] = [];
    from = undefined;
    for (let guard = 0; guard < 20; guard++) {
      const r = await messages(alice, room.room_id, `dir=f&limit=5${from ? `&from=${from}` : ''}`);
      fwd.push(...r.json.chunk.map((e: { event_id: string }) => e.event_id));
      if (r.json.end === undefined) break;
      from = r.json.end;
    }
    expect(fwd).toEqual([...back].reverse());
    // A huge limit is clamped (to messagesMaxLimit), not refused.
    const all = await messages(alice, room.room_id, 'dir=f&limit=99999999999');
    expect(all.json.chunk.map((e: { event_id: string }) => e.event_id)).toEqual(fwd);

    // The `start` of the first backwards page resumes forwards with only newer events.
    const later = (await send(alice, room.room_id, 'p-late', 'late')).json.event_id;
    const resumed = await messages(alice, room.room_id, `dir=f&from=${firstStart}`);
    expect(resumed.json.chunk.map((e: { event_id: string }) => e.event_id)).toEqual([later]);
  });

  it('send is idempotent per (device, txnId)', async () => {
    const room = await createRoom(alice);
    const a = await send(alice, room.room_id, 'same', 'once');
    const b = await send(alice, room.room_id, 'same', 'once');
    expect(b.json.event_id).toBe(a.json.event_id);
    // Concurrent retries of one txn are one event too.
    const burst = await Promise.all([1, 2, 3].map(() => send(alice, room.room_id, 'burst', 'x')));
    expect(new Set(burst.map((r) => r.json.event_id)).size).toBe(1);
    // Another device of the same user with the same txnId is another event.
    const login = await call(base, 'POST', `${V3}/login`, {
      body: {
        type: 'm.login.password',
        identifier: { type: 'm.id.user', user: 'alice' },
        password: 'pw-alice',
      },
    });
    const other = await call(base, 'PUT', roomPath(room.room_id, 'send/m.room.message/same'), {
      token: login.json.access_token,
      body: { msgtype: 'm.text', body: 'once' },
    });
    expect(other.json.event_id).not.toBe(a.json.event_id);
    const page = await messages(alice, room.room_id, 'limit=10');
    const msgs = page.json.chunk.filter((e: { type: string }) => e.type === 'm.room.message');
    expect(msgs).toHaveLength(3);
  });

  it('stores a DAG of signed events with valid ids, prev_events, auth_events and depth', async () => {
    const room = await createRoom(alice, { name: 'dag', invite: [bob.userId] });
    await call(base, 'POST', roomPath(room.room_id, 'join'), { token: bob.token });
    await send(bob, room.room_id, 'd1', 'x');
    const page = await messages(alice, room.room_id, 'dir=f&limit=50');
    const events = await Promise.all(
      page.json.chunk.map(async (e: { event_id: string }) => (await server.storage.getEvent(e.event_id))!),
    );
    expect(events.map((e) => e.event.type)).toEqual([
      'm.room.create',
      'm.room.member',
      'm.room.power_levels',
      'm.room.join_rules',
      'm.room.history_visibility',
      'm.room.name',
      'm.room.member',
      'm.room.member',
      'm.room.message',
    ]);
    events.forEach((stored, i) => {
      const ev = stored.event as PDU;
      expect(computeEventId(ev)).toBe(stored.eventId);
      expect(
        verifyEventSignature(ev, 'test.local', server.signingKey.keyId, server.signingKey.publicKey),
      ).toBe(true);
      expect(ev.depth).toBe(i + 1);
      expect(ev.prev_events).toEqual(i === 0 ? [] : [events[i - 1]!.eventId]);
      if (i > 0) expect(ev.auth_events).toContain(events[0]!.eventId);
    });
    const extremities = await server.storage.getForwardExtremities(room.room_id, 20);
    expect(extremities).toEqual([{ eventId: events.at(-1)!.eventId, depth: events.length }]);
  });

  it('sets and reads state; power levels are enforced', async () => {
    const room = await createRoom(alice, { preset: 'public_chat' });
    await call(base, 'POST', roomPath(room.room_id, 'join'), { token: bob.token });
    const put = await call(base, 'PUT', roomPath(room.room_id, 'state/m.room.topic/'), {
      token: alice.token,
      body: { topic: 'cakes' },
    });
    expect(put.status).toBe(200);
    const noSlash = await call(base, 'PUT', roomPath(room.room_id, 'state/m.room.name'), {
      token: alice.token,
      body: { name: 'Cakes' },
    });
    expect(noSlash.status).toBe(200);
    expect(
      (await call(base, 'GET', roomPath(room.room_id, 'state/m.room.topic'), { token: bob.token })).json,
    ).toEqual({ topic: 'cakes' });
    // Bob (power 0) may not change state that needs 50 or 100.
    const denied = await call(base, 'PUT', roomPath(room.room_id, 'state/m.room.topic/'), {
      token: bob.token,
      body: { topic: 'mine now' },
    });
    expect(denied.status).toBe(403);
    expect(denied.json.errcode).toBe('M_FORBIDDEN');
    const pl = await call(base, 'PUT', roomPath(room.room_id, 'state/m.room.power_levels/'), {
      token: bob.token,
      body: { users: { [bob.userId]: 100 } },
    });
    expect(pl.status).toBe(403);
    // A state key that names another user is refused (rule 8).
    const other = await call(
      base,
      'PUT',
      roomPath(room.room_id, `state/m.custom/${encodeURIComponent(alice.userId)}`),
      {
        token: bob.token,
        body: {},
      },
    );
    expect(other.status).toBe(403);
  });

  it('enforces join rules, membership and leave', async () => {
    const priv = await createRoom(alice);
    const joinPriv = await call(base, 'POST', `${V3}/join/${encodeURIComponent(priv.room_id)}`, {
      token: eve.token,
    });
    expect(joinPriv.status).toBe(403);
    expect(joinPriv.json.errcode).toBe('M_FORBIDDEN');
    // A non-member can neither invite nor read.
    const inv = await call(base, 'POST', roomPath(priv.room_id, 'invite'), {
      token: eve.token,
      body: { user_id: bob.userId },
    });
    expect(inv.status).toBe(403);
    expect((await messages(eve, priv.room_id, 'limit=5')).status).toBe(403);
    expect((await call(base, 'GET', roomPath(priv.room_id, 'state'), { token: eve.token })).status).toBe(403);

    const pub = await createRoom(alice, { preset: 'public_chat' });
    expect((await call(base, 'POST', roomPath(pub.room_id, 'join'), { token: eve.token })).status).toBe(200);
    expect((await send(eve, pub.room_id, 'e1', 'hi')).status).toBe(200);
    expect((await call(base, 'POST', roomPath(pub.room_id, 'leave'), { token: eve.token })).status).toBe(200);
    expect((await send(eve, pub.room_id, 'e2', 'still here?')).status).toBe(403);
    expect((await messages(eve, pub.room_id, 'limit=5')).status).toBe(403);
    // Leaving twice is refused by the rules (not a member any more).
    expect((await call(base, 'POST', roomPath(pub.room_id, 'leave'), { token: eve.token })).status).toBe(403);
    // Joining again is allowed in a public room; joining while joined adds no event.
    expect((await call(base, 'POST', roomPath(pub.room_id, 'join'), { token: eve.token })).status).toBe(200);
    const before = (await messages(alice, pub.room_id, 'limit=1')).json.chunk[0].event_id;
    expect((await call(base, 'POST', roomPath(pub.room_id, 'join'), { token: eve.token })).status).toBe(200);
    expect((await messages(alice, pub.room_id, 'limit=1')).json.chunk[0].event_id).toBe(before);
    // Inviting someone already joined is refused.
    const again = await call(base, 'POST', roomPath(pub.room_id, 'invite'), {
      token: alice.token,
      body: { user_id: eve.userId },
    });
    expect(again.status).toBe(403);
  });

  it('an invited user may reject the invite by leaving', async () => {
    const room = await createRoom(alice, { invite: [eve.userId] });
    expect((await call(base, 'POST', roomPath(room.room_id, 'leave'), { token: eve.token })).status).toBe(
      200,
    );
    expect((await call(base, 'POST', roomPath(room.room_id, 'join'), { token: eve.token })).status).toBe(403);
  });

  it('trusted_private_chat gives invitees power 100', async () => {
    const room = await createRoom(alice, { preset: 'trusted_private_chat', invite: [bob.userId] });
    await call(base, 'POST', roomPath(room.room_id, 'join'), { token: bob.token });
    const pl = await call(base, 'GET', roomPath(room.room_id, 'state/m.room.power_levels/'), {
      token: bob.token,
    });
    expect(pl.json.users).toEqual({ [alice.userId]: 100, [bob.userId]: 100 });
    const named = await call(base, 'PUT', roomPath(room.room_id, 'state/m.room.name/'), {
      token: bob.token,
      body: { name: 'ours' },
    });
    expect(named.status).toBe(200);
  });
});
