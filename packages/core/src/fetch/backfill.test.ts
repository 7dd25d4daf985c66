import { describe, expect, it } from 'vitest';
import {
  type FakePdu,
  fakeEvent,
  fakeVerifier,
  honestPeer,
  SimRoomStore,
  scriptedSetup,
} from '../testing/index.js';
import { rankBackfillServers } from './backfill.js';

const ROOM = '!room:old';

/** root ← a1 ← a2 and root ← b1 ← b2, merged by m (prev a2, b2). */
function forkedDag() {
  const ev = (sender: string, depth: number, prev: string[], body: string) =>
    fakeEvent({ roomId: ROOM, sender, depth, prevEvents: prev, content: { body } });
  const root = ev('@x:old', 1, [], 'root');
  const a1 = ev('@a:old', 2, [root.eventId], 'a1');
  const b1 = ev('@b:new', 2, [root.eventId], 'b1');
  const a2 = ev('@a:old', 3, [a1.eventId], 'a2');
  const b2 = ev('@b:new', 3, [b1.eventId], 'b2');
  const m = ev('@x:old', 4, [a2.eventId, b2.eventId], 'm');
  return { root, a1, b1, a2, b2, m };
}

describe('backfill', () => {
  it('ranks servers in the room longest first, never ourselves', () => {
    expect(
      rankBackfillServers(
        [
          { name: 'c', joinedAt: 30 },
          { name: 'us', joinedAt: 1 },
          { name: 'b' },
          { name: 'a', joinedAt: 10 },
        ],
        'us',
      ),
    ).toEqual(['a', 'c', 'b']);
  });

  it('backfills a forked DAG with both branches, oldest first, from the longest-joined server', () => {
    const dag = forkedDag();
    const full = new SimRoomStore<FakePdu>();
    for (const e of Object.values(dag)) full.store(e.eventId, e.pdu);
    const { scheduler, net, clock, store } = scriptedSetup({
      self: 'us',
      roomId: ROOM,
      servers: [],
      peers: { old: honestPeer('old', full, 20), new: honestPeer('new', full, 20) },
      verifier: fakeVerifier,
    });
    store.setServers(ROOM, [
      { name: 'new', joinedAt: 50 },
      { name: 'old', joinedAt: 1 },
      { name: 'us', joinedAt: 60 },
    ]);
    store.store(dag.m.eventId, dag.m.pdu);
    const ticket = scheduler.backfill(clock.now(), {
      roomId: ROOM,
      from: [dag.a2.eventId, dag.b2.eventId],
      limit: 10,
    });
    net.run();

    expect(net.sent).toHaveLength(1);
    expect(net.sent[0]).toMatchObject({ destination: 'old', kind: 'backfill' });
    const order = store.order.slice(1);
    const pos = (e: { eventId: string }) => order.indexOf(e.eventId);
    for (const e of [dag.root, dag.a1, dag.b1, dag.a2, dag.b2]) expect(pos(e)).toBeGreaterThanOrEqual(0);
    expect(pos(dag.root)).toBeLessThan(pos(dag.a1));
    expect(pos(dag.root)).toBeLessThan(pos(dag.b1));
    expect(pos(dag.a1)).toBeLessThan(pos(dag.a2));
    expect(pos(dag.b1)).toBeLessThan(pos(dag.b2));
    const done = net.outputsOf('backfill_done');
    expect(done).toHaveLength(1);
    expect(done[0]).toMatchObject({ ticket, roomId: ROOM, backwardExtremities: [] });
    expect(done[0]!.eventIds[4]).toBe(dag.root.eventId); // newest first
    expect(new Set(done[0]!.eventIds)).toEqual(
      new Set([dag.a2, dag.b2, dag.a1, dag.b1, dag.root].map((e) => e.eventId)),
    );
  });

  it('reports the new backward extremities when the page ends before the room start', () => {
    const dag = forkedDag();
    const full = new SimRoomStore<FakePdu>();
    for (const e of Object.values(dag)) full.store(e.eventId, e.pdu);
    const { scheduler, net, clock } = scriptedSetup({
      self: 'us',
      roomId: ROOM,
      servers: ['us', 'old'],
      peers: { old: honestPeer('old', full, 20) },
      verifier: fakeVerifier,
    });
    scheduler.backfill(clock.now(), { roomId: ROOM, from: [dag.a2.eventId, dag.b2.eventId], limit: 2 });
    net.run();
    const done = net.outputsOf('backfill_done')[0]!;
    expect(new Set(done.eventIds)).toEqual(new Set([dag.a2.eventId, dag.b2.eventId]));
    expect(done.backwardExtremities).toEqual([dag.a1.eventId, dag.b1.eventId].sort());
  });

  it('rejects a bad request with M_INVALID_PARAM and reports a page nobody has', () => {
    const { scheduler, net, clock } = scriptedSetup<FakePdu>({
      self: 'us',
      roomId: ROOM,
      servers: ['us', 'old'],
      peers: { old: () => ({ response: { ok: false, status: 404 } }) },
      verifier: fakeVerifier,
    });
    expect(() => scheduler.backfill(clock.now(), { roomId: ROOM, from: [] })).toThrow(/1..20/);
    expect(() => scheduler.backfill(clock.now(), { roomId: ROOM, from: ['$x'], limit: 101 })).toThrow(
      /limit/,
    );
    const t = scheduler.backfill(clock.now(), { roomId: ROOM, from: ['$x'] });
    net.run();
    expect(net.outputsOf('backfill_failed')).toEqual([
      { type: 'backfill_failed', ticket: t, roomId: ROOM, reason: 'backfill: exhausted' },
    ]);
  });
});
