import { OP_IN_CALL, OP_REJECT, OP_RTMSG, RejectCode } from '@parley/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestUser } from '../helpers.js';
import { invite, joinRoom, makeRoom, setMembership, users } from './fixtures.js';
import { barrier, onlineRt, type RtClient, rtmsg, ZERO } from './rt-client.js';

const IN_CALL_TIMEOUT_MS = 300;
let t: Awaited<ReturnType<typeof startTestServer>>;
let base: string;
const open: RtClient[] = [];
beforeAll(async () => {
  t = await startTestServer({ realtimeInCallTimeoutMs: IN_CALL_TIMEOUT_MS });
  base = t.server.url;
});
afterAll(async () => {
  for (const c of open) c.close();
  await t.stop();
});

async function online(user: TestUser): Promise<RtClient> {
  const c = await onlineRt(base, user);
  open.push(c);
  return c;
}

/** The in-call flags `c` got for `room` after `from`. */
const flags = (c: RtClient, room: string, from = 0): number[] =>
  c
    .ofOp(OP_IN_CALL, from)
    .filter((x) => x.room === room)
    .map((x) => x.status);

const beat = (c: RtClient, room: string, status: 0 | 1 = 1) => c.send({ op: OP_IN_CALL, room, status });

describe('the in-call flag', () => {
  it('rises at two users, not at two devices of one; drops when a heartbeat stops', async () => {
    const [alice, bob, carol] = await users(base, 'i_alice', 'i_bob', 'i_carol');
    const { handle: room } = await makeRoom(base, alice!, [bob!, carol!]);
    const [a1, a2, b1, c1] = [
      await online(alice!),
      await online(alice!),
      await online(bob!),
      await online(carol!),
    ];
    const everyone = [a1, a2, b1, c1];
    beat(a1, room);
    beat(a2, room);
    await barrier(a1, a2, ...everyone);
    expect(everyone.map((c) => flags(c, room))).toEqual([[], [], [], []]);
    // Bob joins the call: the flag goes to every connection of every member, carol included.
    beat(b1, room);
    await Promise.all(everyone.map((c) => c.waitFor(() => flags(c, room).length === 1)));
    expect(everyone.map((c) => flags(c, room))).toEqual([[1], [1], [1], [1]]);
    // Bob keeps beating; alice's devices go quiet and time out.
    const marks = everyone.map((c) => c.received.length);
    // Alice's last heartbeats: the server hears them after this instant, so her call ends later
    // than IN_CALL_TIMEOUT_MS from it.
    const started = Date.now();
    beat(a1, room);
    beat(a2, room);
    const heartbeat = setInterval(() => beat(b1, room), 100);
    try {
      await Promise.all(
        everyone.map((c, i) => c.waitFor(() => flags(c, room, marks[i]).length === 1, marks[i], 3000)),
      );
    } finally {
      clearInterval(heartbeat);
    }
    expect(Date.now() - started).toBeGreaterThanOrEqual(IN_CALL_TIMEOUT_MS - 5);
    expect(everyone.map((c, i) => flags(c, room, marks[i]))).toEqual([[0], [0], [0], [0]]);
  });

  it('drops at once when a user sends status 0 or disconnects', async () => {
    const [alice, bob] = await users(base, 'j_alice', 'j_bob');
    const { handle: room } = await makeRoom(base, alice!, [bob!]);
    const [a1, b1, b2] = [await online(alice!), await online(bob!), await online(bob!)];
    beat(a1, room);
    beat(b1, room);
    await a1.waitFor(() => flags(a1, room).length === 1);
    beat(b1, room, 0);
    await a1.waitFor(() => flags(a1, room).length === 2);
    expect(flags(a1, room)).toEqual([1, 0]);
    beat(b2, room);
    await a1.waitFor(() => flags(a1, room).length === 3);
    b2.close();
    await a1.waitFor(() => flags(a1, room).length === 4);
    expect(flags(a1, room)).toEqual([1, 0, 1, 0]);
  });
});

describe('membership changes reach the router at once', () => {
  for (const how of ['leave', 'ban'] as const) {
    it(`a user removed by ${how === 'leave' ? 'a kick' : 'a ban'} stops receiving RTMSG and in-call traffic`, async () => {
      const [alice, bob, carol] = await users(base, `k${how}_alice`, `k${how}_bob`, `k${how}_carol`);
      const { roomId, handle: room } = await makeRoom(base, alice!, [bob!, carol!]);
      const [a1, b1, c1] = [await online(alice!), await online(bob!), await online(carol!)];
      beat(b1, room);
      beat(c1, room);
      await a1.waitFor(() => flags(a1, room).length === 1);
      c1.send(rtmsg(room, ZERO, 0, new Uint8Array([1])));
      await b1.waitFor((cs) => cs.some((c) => c.op === OP_RTMSG));
      const marks = [a1, b1, c1].map((c) => c.received.length);
      await setMembership(base, alice!, bob!, roomId, how);
      // No waiting: the answer to the kick came after the router applied it.
      c1.send(rtmsg(room, ZERO, 0, new Uint8Array([2])));
      c1.send(rtmsg(room, bob!.handle, 0, new Uint8Array([3])));
      beat(c1, room);
      await barrier(c1, a1, b1);
      // Bob heard the call end for him and nothing more of the room.
      expect(b1.ofOp(OP_RTMSG, marks[1])).toEqual([]);
      expect(flags(b1, room, marks[1])).toEqual([0]);
      // The others saw the flag drop (carol alone in the call) and got carol's message.
      expect(flags(a1, room, marks[0])).toEqual([0]);
      expect(a1.ofOp(OP_RTMSG, marks[0]).map((m) => m.data[0])).toEqual([2]);
      expect(c1.ofOp(OP_REJECT, marks[2])).toEqual([
        { op: OP_REJECT, refusedOp: OP_RTMSG, room, code: RejectCode.RECEIVER_NOT_IN_ROOM },
      ]);
      // Bob can no longer send into the room.
      const mark = b1.received.length;
      b1.send(rtmsg(room, ZERO, 0, new Uint8Array([4])));
      beat(b1, room);
      await barrier(b1);
      expect(b1.ofOp(OP_REJECT, mark)).toEqual([
        { op: OP_REJECT, refusedOp: OP_RTMSG, room, code: RejectCode.NOT_IN_ROOM },
        { op: OP_REJECT, refusedOp: OP_IN_CALL, room, code: RejectCode.NOT_IN_ROOM },
      ]);
    });
  }

  it('an invite does not count; the join does; a room created after connecting works', async () => {
    const [alice, dave] = await users(base, 'n_alice', 'n_dave');
    const [a1, d1] = [await online(alice!), await online(dave!)];
    // A new room, made while both are connected (the router learns it from the stored events).
    const { roomId, handle: room } = await makeRoom(base, alice!, []);
    await invite(base, alice!, dave!, roomId);
    a1.send(rtmsg(room, ZERO, 0, new Uint8Array([1])));
    const mark = d1.received.length;
    d1.send(rtmsg(room, ZERO, 0, new Uint8Array([1])));
    await barrier(a1, d1);
    expect(d1.ofOp(OP_RTMSG)).toEqual([]);
    expect(d1.ofOp(OP_REJECT, mark)).toEqual([
      { op: OP_REJECT, refusedOp: OP_RTMSG, room, code: RejectCode.NOT_IN_ROOM },
    ]);
    await joinRoom(base, dave!, roomId);
    a1.send(rtmsg(room, ZERO, 0, new Uint8Array([5])));
    await d1.waitFor((cs) => cs.some((c) => c.op === OP_RTMSG));
    expect(d1.ofOp(OP_RTMSG).map((m) => [m.senderUser, m.data[0]])).toEqual([[alice!.handle, 5]]);
  });
});
