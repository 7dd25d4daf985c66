import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, roomPath } from '../helpers.js';
import { createPublicRoom, type FedNode, joinVia, messageBodies, send, startFedNode } from './fed-helpers.js';

describe('/messages on a newly joined server backfills older history', () => {
  let a: FedNode;
  let b: FedNode;
  let roomId: string;
  const sent: string[] = [];

  beforeAll(async () => {
    a = await startFedNode('alice');
    b = await startFedNode('bob');
    roomId = await createPublicRoom(a);
    for (let i = 1; i <= 130; i++) {
      sent.push(`old ${i}`);
      await send(a.url, a.user, roomId, `old ${i}`, `o${i}`);
    }
  }, 60_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it('B holds only the state and its join after joining, then pages the whole history in, in order', async () => {
    const j = await joinVia(b, roomId, a.name);
    expect(j.status, j.text).toBe(200);
    // The first page holds nothing older than the join's state: no message is on B yet.
    const first = await call(b.url, 'GET', roomPath(roomId, 'messages?dir=b&limit=5'), {
      token: b.user.token,
    });
    expect(first.status).toBe(200);
    expect(first.json.chunk.some((e: { type: string }) => e.type === 'm.room.member')).toBe(true);

    const bodies = await messageBodies(b.url, b.user, roomId, 50);
    expect(bodies).toEqual(sent);
    // Backfilled history is not news for sync-style readers: B's newest event is still the join.
    const newest = await call(b.url, 'GET', roomPath(roomId, 'messages?dir=b&limit=1'), {
      token: b.user.token,
    });
    expect(newest.json.chunk[0].type).toBe('m.room.member');
    expect(newest.json.chunk[0].state_key).toBe(b.user.userId);
  }, 60_000);

  it('new messages after the join still arrive live on B', async () => {
    await send(a.url, a.user, roomId, 'after join', 'aj');
    const deadline = Date.now() + 15_000;
    let bodies: string[] = [];
    while (Date.now() < deadline) {
      bodies = await messageBodies(b.url, b.user, roomId, 100);
      if (bodies.includes('after join')) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(bodies).toEqual([...sent, 'after join']);
  }, 30_000);
});
