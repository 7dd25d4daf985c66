import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sync, syncCall } from '../sync/sync-helpers.js';
import {
  createPublicRoom,
  type FedNode,
  joinVia,
  messageBodies,
  send,
  startFedNode,
  waitFor,
} from './fed-helpers.js';

describe('a room spanning three servers (in-process, loopback)', () => {
  let a: FedNode;
  let b: FedNode;
  let c: FedNode;
  let roomId: string;

  beforeAll(async () => {
    a = await startFedNode('alice');
    b = await startFedNode('bob');
    c = await startFedNode('carol');
    roomId = await createPublicRoom(a);
  }, 30_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop(), c?.stop()]);
  });

  it('users of B and C join a room of A over federation', async () => {
    const jb = await joinVia(b, roomId, a.name);
    expect(jb.status, jb.text).toBe(200);
    expect(jb.json.room_id).toBe(roomId);
    const jc = await joinVia(c, roomId, a.name);
    expect(jc.status, jc.text).toBe(200);
  });

  it('messages from each server reach the other two, in order', async () => {
    const plan: [FedNode, string][] = [
      [a, 'from A 1'],
      [b, 'from B 1'],
      [c, 'from C 1'],
      [a, 'from A 2'],
    ];
    const expected: string[] = [];
    for (const [i, [node, body]] of plan.entries()) {
      await send(node.url, node.user, roomId, body, `t${i}`);
      expected.push(body);
      // Each message is seen everywhere before the next is sent, so the order is causal.
      for (const other of [a, b, c]) {
        await waitFor(
          async () =>
            (await messageBodies(other.url, other.user, roomId)).includes(body) ? true : undefined,
          15_000,
          `${body} on ${other.name}`,
        );
      }
    }
    for (const node of [a, b, c]) {
      expect(await messageBodies(node.url, node.user, roomId)).toEqual(expected);
    }
  }, 60_000);

  it("B's user is told of A's messages by sync (a long-poll woken by federation) and sees the remote members", async () => {
    const r0 = await sync(b.url, b.user, undefined, {
      room: { room_id: roomId },
      room_members: { room_id: roomId, p: { since: '1', limit: 50 } },
    });
    // biome-ignore lint/suspicious/noExplicitAny: JSON answers
    const members = (r0.room_members.events as any[]).map((e) => e.state_key).sort();
    expect(members).toEqual([a.user.userId, b.user.userId, c.user.userId].sort());
    const poll = syncCall(b.url, b.user, r0.next, {}, { timeout: 15_000 });
    await send(a.url, a.user, roomId, 'wake B', 'wake');
    const r1 = await poll;
    expect(r1.status, r1.text).toBe(200);
    // biome-ignore lint/suspicious/noExplicitAny: JSON answers
    const bodies = (r1.json.room.events as any[]).map((e) => e.content?.body);
    expect(bodies).toContain('wake B');
  }, 30_000);

  it('a join that no server can serve is a clear error', async () => {
    const unknown = await joinVia(c, `!nosuchroom:${a.name}`, a.name);
    expect(unknown.status).toBe(404);
    expect(unknown.json.errcode).toBe('M_NOT_FOUND');
    // Nothing listens on port 1: the resident is unreachable.
    const down = await joinVia(c, '!room:127.0.0.1:1', '127.0.0.1:1');
    expect(down.status).toBe(404);
    expect(down.json.error).toMatch(/make_join via 127\.0\.0\.1:1/);
    // A resident that answers with a server error is a gateway error.
    const broken = createServer((_req, res) => res.writeHead(500).end('{}'));
    broken.listen(0, '127.0.0.1');
    await once(broken, 'listening');
    const name = `127.0.0.1:${(broken.address() as AddressInfo).port}`;
    try {
      const r = await joinVia(c, `!room:${name}`, name);
      expect(r.status, r.text).toBe(502);
      expect(r.json.errcode).toBe('M_UNKNOWN');
    } finally {
      broken.close();
    }
  });
});
