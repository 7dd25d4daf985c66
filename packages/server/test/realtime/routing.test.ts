import { OP_IN_CALL, OP_REJECT, OP_RTMSG, RejectCode, type ServerRtmsg } from '@parley/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestUser } from '../helpers.js';
import { makeRoom, users } from './fixtures.js';
import { barrier, onlineRt, type RtClient, rtmsg, ZERO } from './rt-client.js';

let t: Awaited<ReturnType<typeof startTestServer>>;
let alice: TestUser;
let bob: TestUser;
let carol: TestUser;
let dave: TestUser;
let room: string;
let a1: RtClient;
let a2: RtClient;
let b1: RtClient;
let b2: RtClient;
let c1: RtClient;
let d1: RtClient;
let all: RtClient[];

beforeAll(async () => {
  t = await startTestServer({ realtimeMaxRtmsgBytes: 1000 });
  const base = t.server.url;
  [alice, bob, carol, dave] = (await users(base, 'alice', 'bob', 'carol', 'dave')) as TestUser[] as [
    TestUser,
    TestUser,
    TestUser,
    TestUser,
  ];
  room = (await makeRoom(base, alice, [bob, carol])).handle;
  // dave shares no room with them.
  await makeRoom(base, dave, []);
  [a1, a2, b1, b2, c1, d1] = await Promise.all(
    [alice, alice, bob, bob, carol, dave].map((u) => onlineRt(base, u)),
  );
  all = [a1, a2, b1, b2, c1, d1];
});
afterAll(async () => {
  for (const c of all) c.close();
  await t.stop();
});

let seq = 0;
/** Sends an RTMSG with a unique payload from `from`; returns who got it, after a barrier. */
async function deliver(from: RtClient, user: string, client: number): Promise<RtClient[]> {
  const data = new Uint8Array([seq >> 8, seq++ & 0xff, 0xee]);
  const marks = all.map((c) => c.received.length);
  from.send(rtmsg(room, user, client, data, 42));
  await barrier(from, ...all);
  const got: RtClient[] = [];
  all.forEach((c, i) => {
    const ms = c.ofOp(OP_RTMSG, marks[i]).filter((m) => Buffer.from(m.data).equals(data));
    if (ms.length > 1) throw new Error('delivered twice');
    if (ms.length === 1) {
      got.push(c);
      expect(ms[0]).toEqual<ServerRtmsg>({
        op: OP_RTMSG,
        room,
        senderUser: from.user.handle,
        senderClient: from.clientId,
        msgtype: 42,
        data,
      });
    }
  });
  return got;
}

describe('RTMSG addressing over real sockets', () => {
  it('(0, 0) reaches every connection of every member but the sending one', async () => {
    expect(await deliver(a1, ZERO, 0)).toEqual([a2, b1, b2, c1]);
    expect(await deliver(c1, ZERO, 0)).toEqual([a1, a2, b1, b2]);
  });

  it('(U, 0) reaches every connection of U; to oneself, the other devices', async () => {
    expect(await deliver(a1, bob.handle, 0)).toEqual([b1, b2]);
    expect(await deliver(a1, alice.handle, 0)).toEqual([a2]);
  });

  it('(U, C) reaches the one connection C, even the sender itself', async () => {
    expect(await deliver(a1, bob.handle, b2.clientId)).toEqual([b2]);
    expect(await deliver(c1, alice.handle, a1.clientId)).toEqual([a1]);
    expect(await deliver(a1, alice.handle, a1.clientId)).toEqual([a1]);
  });
});

describe('OP_REJECT codes', () => {
  async function rejectOf(from: RtClient, send: () => void): Promise<unknown[]> {
    const mark = from.received.length;
    send();
    await barrier(from);
    return from.ofOp(OP_REJECT, mark);
  }

  it('NOT_IN_ROOM for RTMSG and IN_CALL from a non-member', async () => {
    const r = await rejectOf(d1, () => {
      d1.send(rtmsg(room, ZERO, 0, new Uint8Array(1)));
      d1.send({ op: OP_IN_CALL, room, status: 1 });
    });
    expect(r).toEqual([
      { op: OP_REJECT, refusedOp: OP_RTMSG, room, code: RejectCode.NOT_IN_ROOM },
      { op: OP_REJECT, refusedOp: OP_IN_CALL, room, code: RejectCode.NOT_IN_ROOM },
    ]);
  });

  it('RECEIVER_NOT_IN_ROOM, UNKNOWN_CLIENT and TOO_LARGE, and nothing is delivered', async () => {
    const marks = all.map((c) => c.received.length);
    const r = await rejectOf(a1, () => {
      a1.send(rtmsg(room, dave.handle, 0, new Uint8Array(1)));
      a1.send(rtmsg(room, dave.handle, d1.clientId, new Uint8Array(1)));
      a1.send(rtmsg(room, bob.handle, 0x7fffffff, new Uint8Array(1)));
      a1.send(rtmsg(room, bob.handle, c1.clientId, new Uint8Array(1)));
      a1.send(rtmsg(room, ZERO, 0, new Uint8Array(1001)));
    });
    expect(r).toEqual([
      { op: OP_REJECT, refusedOp: OP_RTMSG, room, code: RejectCode.RECEIVER_NOT_IN_ROOM },
      { op: OP_REJECT, refusedOp: OP_RTMSG, room, code: RejectCode.RECEIVER_NOT_IN_ROOM },
      { op: OP_REJECT, refusedOp: OP_RTMSG, room, code: RejectCode.UNKNOWN_CLIENT },
      { op: OP_REJECT, refusedOp: OP_RTMSG, room, code: RejectCode.UNKNOWN_CLIENT },
      { op: OP_REJECT, refusedOp: OP_RTMSG, room, code: RejectCode.TOO_LARGE },
    ]);
    await barrier(a1, ...all);
    all.forEach((c, i) => {
      expect(c.ofOp(OP_RTMSG, marks[i])).toEqual([]);
    });
    // 1000 bytes is the configured limit and goes through.
    const mark = b1.received.length;
    a1.send(rtmsg(room, bob.handle, b1.clientId, new Uint8Array(1000)));
    await b1.waitFor((cs) => cs.some((c) => c.op === OP_RTMSG), mark);
    expect(b1.ofOp(OP_RTMSG, mark).map((m) => m.data.length)).toEqual([1000]);
  });

  it('RATE_LIMITED past the token bucket, then 1008 for a connection that keeps flooding', async () => {
    const s = await startTestServer({ realtimeCommandsPerSecond: 1, realtimeCommandBurst: 3 });
    try {
      const [u] = await users(s.server.url, 'flooder');
      const c = await onlineRt(s.server.url, u!);
      const mark = c.received.length;
      c.send({ op: 0 }, { op: 0 }, { op: 0 }, { op: 0 });
      await c.waitFor((cs) => cs.some((x) => x.op === OP_REJECT), mark);
      expect(c.received.slice(mark)).toEqual([
        { op: 0 },
        { op: 0 },
        { op: 0 },
        { op: OP_REJECT, refusedOp: 0, room: ZERO, code: RejectCode.RATE_LIMITED },
      ]);
      c.send(...Array.from({ length: 10 }, () => ({ op: 0 as const })));
      expect(await c.waitClosed()).toEqual({
        code: 1008,
        reason: 'kept sending over the command rate limit',
      });
    } finally {
      await s.stop();
    }
  });
});
