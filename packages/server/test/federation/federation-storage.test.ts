/**
 * The federation part of the storage contract, on both backends (`server`: SQLite, `server-pg`:
 * PostgreSQL): where events from other servers go in the stream, the forward and backward
 * extremities, and the depth rule for the current state.
 */
import type { PDU } from '@parley/core';
import { afterEach, describe, expect, it } from 'vitest';
import type { NewEvent, Storage } from '../../src/storage/storage.js';
import { tempDir } from '../helpers.js';
import { openTestStorage } from '../test-database.js';

const open: { storage: Storage; cleanup: () => Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) {
    await o.storage.close();
    await o.cleanup();
  }
});

async function storage(): Promise<Storage> {
  const t = tempDir('parley-fed-storage-');
  const s = await openTestStorage(t.dir);
  open.push({ storage: s, cleanup: t.cleanup });
  return s;
}

let n = 0;
const ROOM = '!r:a.example';

function ev(
  type: string,
  prev: readonly string[],
  depth: number,
  extra: { stateKey?: string; content?: Record<string, string>; sender?: string; id?: string } = {},
): NewEvent {
  const event = {
    type,
    room_id: ROOM,
    sender: extra.sender ?? '@a:a.example',
    depth,
    origin_server_ts: 1_700_000_000_000 + n,
    prev_events: [...prev],
    auth_events: [],
    content: extra.content ?? {},
    hashes: { sha256: 'h' },
    signatures: {},
    ...(extra.stateKey === undefined ? {} : { state_key: extra.stateKey }),
  } as PDU;
  return { eventId: extra.id ?? `$fed${++n}`, event };
}

async function withRoom(): Promise<{ s: Storage; create: NewEvent }> {
  const s = await storage();
  const create = ev('m.room.create', [], 1, { stateKey: '' });
  await s.createRoom(
    { roomId: ROOM, roomVersion: '11', creator: '@a:a.example', createdTs: 1 },
    () => `${++n}`.padStart(16, '0'),
    [create],
  );
  return { s, create };
}

const ids = (events: { eventId: string }[]) => events.map((e) => e.eventId);

describe('federation storage', () => {
  it('live events extend the DAG: forks make several forward extremities, a merge one', async () => {
    const { s, create } = await withRoom();
    const x = ev('m.room.message', [create.eventId], 2);
    const y = ev('m.room.message', [create.eventId], 2);
    expect(await s.storeFederatedEvent(ROOM, x, 'live')).toBeDefined();
    expect(await s.storeFederatedEvent(ROOM, y, 'live')).toBeDefined();
    expect(new Set(ids(await s.getForwardExtremities(ROOM, 20)))).toEqual(new Set([x.eventId, y.eventId]));
    const m = ev('m.room.message', [x.eventId, y.eventId], 3);
    await s.storeFederatedEvent(ROOM, m, 'live');
    expect(ids(await s.getForwardExtremities(ROOM, 20))).toEqual([m.eventId]);
    // Storing it again changes nothing.
    expect(await s.storeFederatedEvent(ROOM, m, 'live')).toBeUndefined();
    const st = await s.getEventStatus([m.eventId, '$nope']);
    expect([...st.stored]).toEqual([m.eventId]);
  });

  it('a gap filled late does not become a forward extremity; backward extremities list what is missing', async () => {
    const { s, create } = await withRoom();
    const gap = ev('m.room.message', [create.eventId], 2, { id: '$gap' });
    const tip = ev('m.room.message', ['$gap', '$lost'], 3);
    await s.storeFederatedEvent(ROOM, tip, 'live');
    expect(new Set(await s.getBackwardExtremities(ROOM, 20))).toEqual(new Set(['$gap', '$lost']));
    await s.storeFederatedEvent(ROOM, gap, 'live');
    expect(ids(await s.getForwardExtremities(ROOM, 20))).toEqual([tip.eventId]);
    await s.storeRejectedEvent(ROOM, '$lost', '{}', 'auth rule 5', 1);
    expect(await s.getBackwardExtremities(ROOM, 20)).toEqual([]);
    const st = await s.getEventStatus(['$lost', '$gap']);
    expect([...st.rejected]).toEqual(['$lost']);
    expect(ids(await s.getEvents(['$lost', '$gap']))).toEqual(['$gap']);
  });

  it('historical events sort below live ones by depth, whatever order they arrive in', async () => {
    const { s, create } = await withRoom();
    const live = ev('m.room.message', ['$h3'], 10);
    await s.storeFederatedEvent(ROOM, live, 'live');
    const before = new Set(ids(await s.getForwardExtremities(ROOM, 20)));
    expect(before).toEqual(new Set([live.eventId, create.eventId]));
    const h1 = ev('m.room.message', [create.eventId], 2, { id: '$h1' });
    const h2 = ev('m.room.message', ['$h1'], 3, { id: '$h2' });
    const h3 = ev('m.room.message', ['$h2'], 4, { id: '$h3' });
    for (const h of [h2, h3, h1]) {
      const stored = await s.storeFederatedEvent(ROOM, h, 'historical');
      expect(stored?.streamOrdering).toBeLessThan(0);
    }
    // Historical events never move the forward extremities.
    expect(new Set(ids(await s.getForwardExtremities(ROOM, 20)))).toEqual(before);
    const page = await s.getRoomEvents({ roomId: ROOM, dir: 'b', from: Number.MAX_SAFE_INTEGER, limit: 10 });
    expect(ids(page)).toEqual([live.eventId, create.eventId, '$h3', '$h2', '$h1']);
  });

  it('the current state follows the largest (depth, event id), in any arrival order', async () => {
    const { s, create } = await withRoom();
    const t5 = ev('m.room.topic', [create.eventId], 5, {
      stateKey: '',
      content: { topic: 'five' },
      id: '$t5',
    });
    const t3 = ev('m.room.topic', [create.eventId], 3, {
      stateKey: '',
      content: { topic: 'three' },
      id: '$t3',
    });
    const t5b = ev('m.room.topic', [create.eventId], 5, {
      stateKey: '',
      content: { topic: 'five b' },
      id: '$t5b',
    });
    await s.storeFederatedEvent(ROOM, t5, 'live');
    await s.storeFederatedEvent(ROOM, t3, 'historical');
    const topic = async () =>
      (await s.getStateEntries(ROOM, [{ type: 'm.room.topic', stateKey: '' }]))[0]?.event.content.topic;
    expect(await topic()).toBe('five');
    await s.storeFederatedEvent(ROOM, t5b, 'live');
    expect(await topic()).toBe('five b'); // same depth: the larger event id wins
    // State before a depth: the same rule over the events below it.
    const before = await s.getStateBeforeDepth(ROOM, 5);
    expect(new Set(ids(before))).toEqual(new Set([create.eventId, '$t3']));
  });

  it('room servers are the servers of joined members, in the room longest first', async () => {
    const { s, create } = await withRoom();
    const join = (user: string, depth: number, membership = 'join') =>
      ev('m.room.member', [create.eventId], depth, { stateKey: user, sender: user, content: { membership } });
    await s.storeFederatedEvent(ROOM, join('@a:a.example', 2), 'state');
    await s.storeFederatedEvent(ROOM, join('@b:b.example', 4), 'state');
    await s.storeFederatedEvent(ROOM, join('@b2:b.example', 3), 'state');
    await s.storeFederatedEvent(ROOM, join('@c:c.example', 5, 'leave'), 'state');
    const servers = (await s.getRoomServers(ROOM)).sort((x, y) => x.joinedAt - y.joinedAt);
    expect(servers).toEqual([
      { name: 'a.example', joinedAt: 2 },
      { name: 'b.example', joinedAt: 3 },
    ]);
    // State events from a join do not move the forward extremities.
    expect(ids(await s.getForwardExtremities(ROOM, 20))).toEqual([create.eventId]);
  });
});
