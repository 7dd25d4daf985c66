/**
 * Two server instances on one PostgreSQL: each has its own pool and its own RoomService (so
 * its own in-process room locks), as two `parley serve` processes would.
 */
import { generateSigningKey } from '@parley/core';
import { nodeClock, nodeRandom } from '@parley/transport-node';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers.js';
import { databaseUrlFor, queryRows } from '../../../test/test-database.js';
import { RoomService } from '../../rooms/room-service.js';
import { isAppendConflict, PREV_EVENTS_STALE, TXN_EXISTS } from '../append-conflict.js';
import type { Extremity, Storage } from '../storage.js';
import { appendInTransaction } from './pg-events.js';
import { PostgresStorage } from './postgres-storage.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const SERVER = 'multi.test';
const key = generateSigningKey(nodeRandom, 'a_test');

/** A gate a storage call can be held at until the test opens it. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((r) => {
    open = r;
  });
  return { wait, open };
}

interface Instance {
  storage: PostgresStorage;
  rooms: RoomService;
  /** Append conflicts this instance's storage reported, by code. */
  conflicts: string[];
  /** Set to hold the next call of a method (after it ran) until the gate opens. */
  hold: { method?: keyof Storage; gate?: ReturnType<typeof gate>; reached?: () => void };
}

async function instance(url: string): Promise<Instance> {
  const storage = await PostgresStorage.open({ url, poolSize: 4 });
  cleanups.push(() => storage.close());
  const conflicts: string[] = [];
  const hold: Instance['hold'] = {};
  const watched = new Proxy(storage, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        try {
          const result = await value.apply(target, args);
          if (hold.method === prop && hold.gate) {
            const g = hold.gate;
            hold.method = undefined;
            hold.reached?.();
            await g.wait;
          }
          return result;
        } catch (err) {
          for (const code of [PREV_EVENTS_STALE, TXN_EXISTS] as const) {
            if (isAppendConflict(err, code)) conflicts.push(code);
          }
          throw err;
        }
      };
    },
  }) as PostgresStorage;
  const rooms = new RoomService({
    storage: watched,
    serverName: SERVER,
    key,
    clock: nodeClock,
    random: nodeRandom,
  });
  return { storage, rooms, conflicts, hold };
}

async function twoInstances() {
  const t = tempDir('parley-pg-multi-');
  cleanups.push(t.cleanup);
  const url = await databaseUrlFor(t.dir);
  const a = await instance(url);
  const b = await instance(url);
  for (const u of ['alice', 'bob']) {
    await a.storage.createUser(
      { userId: `@${u}:${SERVER}`, localpart: u, passwordHash: 'h', createdTs: 1 },
      () => Buffer.from(nodeRandom.bytes(8)).toString('hex'),
    );
  }
  const room = await a.rooms.createRoom(`@alice:${SERVER}`, { preset: 'public_chat', invite: [] });
  await b.rooms.join(room.roomId, `@bob:${SERVER}`);
  return { dir: t.dir, a, b, roomId: room.roomId };
}

/** Every event of the room in stream order, with its prev_events. */
async function timeline(dir: string, roomId: string) {
  const rows = await queryRows<{ event_id: string; json: string; stream_ordering: number }>(
    dir,
    'SELECT event_id, json, stream_ordering FROM events WHERE room_id = ? ORDER BY stream_ordering',
    roomId,
  );
  return rows.map((r) => ({ eventId: r.event_id, event: JSON.parse(r.json) }));
}

/** Each event cites exactly the one before it: the room's history is a line. */
function expectLinear(events: { eventId: string; event: { prev_events: string[] } }[]): void {
  for (let i = 1; i < events.length; i++)
    expect(events[i]!.event.prev_events).toEqual([events[i - 1]!.eventId]);
}

describe('two instances on one PostgreSQL', () => {
  it('builds on what another instance appended while it waited for the room', async () => {
    const { dir, a, b, roomId } = await twoInstances();
    // Another instance is mid-append: it holds the room's row lock in an open transaction.
    const other = await a.storage.pool.connect();
    const head = (await a.storage.getForwardExtremities(roomId, 1))[0]!;
    const theirs = {
      eventId: '$from-the-other-instance',
      event: {
        ...(await a.storage.getEvent(head.eventId))!.event,
        type: 'm.room.message',
        state_key: undefined,
        content: { body: 'theirs' },
        prev_events: [head.eventId],
        depth: head.depth + 1,
      },
    };
    await other.query('BEGIN');
    await appendInTransaction(other, roomId, theirs);
    let seen: Extremity[] | undefined;
    const ours = b.storage.appendBuiltEvent(roomId, [], 20, (_state, prev) => {
      seen = prev;
      return {
        eventId: '$ours',
        event: {
          ...theirs.event,
          content: { body: 'ours' },
          prev_events: prev.map((p) => p.eventId),
          depth: prev[0]!.depth + 1,
        },
      };
    });
    await new Promise((r) => setTimeout(r, 200));
    // Still waiting for the room: it has not read the extremities yet.
    expect(seen).toBeUndefined();
    await other.query('COMMIT');
    other.release();
    await ours;
    expect(seen).toEqual([{ eventId: theirs.eventId, depth: head.depth + 1 }]);
    const events = await timeline(dir, roomId);
    expect(events.slice(-2).map((e) => e.eventId)).toEqual([theirs.eventId, '$ours']);
    expectLinear(events);
  });

  it('answers a send retried on the other instance with the first event', async () => {
    const { dir, a, b, roomId } = await twoInstances();
    // B finds no event for the txn id, then waits while A stores one under it.
    const g = gate();
    const reached = new Promise<void>((r) => {
      b.hold.reached = r;
    });
    b.hold.method = 'getTxnEventId';
    b.hold.gate = g;
    const same = txn('PHONE', 'retry-1');
    const fromB = b.rooms.send(roomId, `@bob:${SERVER}`, 'm.room.message', { body: 'once' }, same);
    await reached;
    const fromA = await a.rooms.send(roomId, `@bob:${SERVER}`, 'm.room.message', { body: 'once' }, same);
    g.open();
    expect(await fromB).toBe(fromA);
    expect(b.conflicts).toEqual([TXN_EXISTS]);
    const bodies = (await timeline(dir, roomId)).filter((e) => e.event.type === 'm.room.message');
    expect(bodies.map((e) => e.eventId)).toEqual([fromA]);
  });

  it('keeps one line of history under concurrent sends from both instances', async () => {
    const { dir, a, b, roomId } = await twoInstances();
    const sends = [];
    for (let i = 0; i < 15; i++) {
      sends.push(
        a.rooms.send(roomId, `@alice:${SERVER}`, 'm.room.message', { body: `a${i}` }, txn('A', `${i}`)),
      );
      sends.push(
        b.rooms.send(roomId, `@bob:${SERVER}`, 'm.room.message', { body: `b${i}` }, txn('B', `${i}`)),
      );
    }
    const ids = await Promise.all(sends);
    expect(new Set(ids).size).toBe(30);
    const events = await timeline(dir, roomId);
    expect(events.filter((e) => e.event.type === 'm.room.message')).toHaveLength(30);
    expectLinear(events);
    expect(await b.storage.getForwardExtremities(roomId, 20)).toHaveLength(1);
  });

  it('makes stream orderings visible in order: a reader that sees n sees everything up to n', async () => {
    const { dir, a, b } = await twoInstances();
    const rooms: string[] = [];
    for (let i = 0; i < 4; i++) {
      rooms.push(
        (await a.rooms.createRoom(`@alice:${SERVER}`, { preset: 'public_chat', invite: [] })).roomId,
      );
    }
    let done = false;
    const checks: { max: number; visible: number }[] = [];
    const reader = (async () => {
      while (!done) {
        const max = await a.storage.getMaxStreamOrdering();
        const [row] = await queryRows<{ n: number }>(
          dir,
          'SELECT COUNT(*) AS n FROM events WHERE stream_ordering <= ?',
          max,
        );
        checks.push({ max, visible: Number(row!.n) });
      }
    })();
    const writers = [a, b].flatMap((inst, w) =>
      rooms.map(async (roomId, r) => {
        for (let i = 0; i < 5; i++) {
          await inst.rooms.send(
            roomId,
            `@alice:${SERVER}`,
            'm.room.message',
            { body: 'x' },
            txn(`W${w}R${r}`, `${i}`),
          );
        }
      }),
    );
    await Promise.all(writers);
    done = true;
    await reader;
    expect(checks.length).toBeGreaterThan(0);
    // No orderings are reserved here, so the orderings handed out are exactly 1..max.
    for (const c of checks) expect(c.visible).toBe(c.max);
  });
});

function txn(deviceId: string, txnId: string) {
  return { userId: `@x:${SERVER}`, deviceId, txnId };
}
