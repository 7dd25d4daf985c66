// `unsigned.transaction_id`: a device reading back an event it sent with a txn id sees that txn id
// (in `/messages` and in the sync `room` timeline); the sender's other devices and other users
// do not. Over HTTP against a server on 127.0.0.1.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, register, roomPath, startTestServer, type TestUser } from './helpers.js';
import { createRoom, join, loginDevice, sync } from './sync/sync-helpers.js';

let t: Awaited<ReturnType<typeof startTestServer>>;
let base: string;
let alice: TestUser;
let aliceLaptop: TestUser;
let bob: TestUser;
let roomId: string;
let sentId: string;
let stateId: string;

beforeAll(async () => {
  t = await startTestServer();
  base = t.server.url;
  alice = await register(base, 'alice');
  aliceLaptop = await loginDevice(base, alice, 'alice', 'LAPTOP');
  bob = await register(base, 'bob');
  roomId = await createRoom(base, alice, { preset: 'public_chat' });
  await join(base, bob, roomId);
  const sent = await call(base, 'PUT', roomPath(roomId, 'send/m.room.message/tx-1'), {
    token: alice.token,
    body: { msgtype: 'm.text', body: 'hello' },
  });
  expect(sent.status, sent.text).toBe(200);
  sentId = sent.json.event_id;
  // A state event has no txn id: it gets no `unsigned`.
  const state = await call(base, 'PUT', roomPath(roomId, 'state/m.room.topic/'), {
    token: alice.token,
    body: { topic: 'tea' },
  });
  expect(state.status, state.text).toBe(200);
  stateId = state.json.event_id;
  // Bob's message, sent with the same txn id, is his own business.
  const bobs = await call(base, 'PUT', roomPath(roomId, 'send/m.room.message/tx-1'), {
    token: bob.token,
    body: { msgtype: 'm.text', body: 'hi' },
  });
  expect(bobs.status, bobs.text).toBe(200);
});
afterAll(() => t.stop());

// biome-ignore lint/suspicious/noExplicitAny: test convenience for reading JSON answers
type Ev = any;

async function messagesOf(who: TestUser): Promise<Ev[]> {
  const r = await call(base, 'GET', roomPath(roomId, 'messages?dir=b&limit=50'), { token: who.token });
  expect(r.status, r.text).toBe(200);
  return r.json.chunk;
}

async function timelineOf(who: TestUser): Promise<Ev[]> {
  const r = await sync(base, who, undefined, { room: { room_id: roomId, timeline_limit: 50 } });
  return r.room.events;
}

const byId = (events: Ev[], id: string): Ev => {
  const e = events.find((x) => x.event_id === id);
  expect(e, `event ${id}`).toBeDefined();
  return e;
};

describe('unsigned.transaction_id', () => {
  it('is in /messages for the sending device only', async () => {
    const mine = await messagesOf(alice);
    expect(byId(mine, sentId).unsigned).toEqual({ transaction_id: 'tx-1' });
    expect(byId(mine, stateId).unsigned).toBeUndefined();
    // Bob's event with the same txn id is not alice's.
    const bobsEvent = mine.find((e) => e.sender === bob.userId && e.type === 'm.room.message');
    expect(bobsEvent.unsigned).toBeUndefined();
    expect(mine.filter((e) => e.unsigned !== undefined)).toHaveLength(1);

    expect((await messagesOf(aliceLaptop)).filter((e) => e.unsigned !== undefined)).toEqual([]);
    const bobs = await messagesOf(bob);
    expect(byId(bobs, sentId).unsigned).toBeUndefined();
    expect(bobs.filter((e) => e.unsigned !== undefined)).toEqual([
      expect.objectContaining({ sender: bob.userId, unsigned: { transaction_id: 'tx-1' } }),
    ]);
  });

  it('is in the sync room timeline for the sending device only', async () => {
    const mine = await timelineOf(alice);
    expect(byId(mine, sentId).unsigned).toEqual({ transaction_id: 'tx-1' });
    expect(byId(mine, stateId).unsigned).toBeUndefined();
    expect(mine.filter((e) => e.unsigned !== undefined)).toHaveLength(1);
    expect((await timelineOf(aliceLaptop)).filter((e) => e.unsigned !== undefined)).toEqual([]);
    expect(byId(await timelineOf(bob), sentId).unsigned).toBeUndefined();
  });
});
