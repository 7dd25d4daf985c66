import { describe, expect, it } from 'vitest';
import {
  downPeer,
  type FakePdu,
  fakeChain,
  fakeVerifier,
  honestPeer,
  type PeerScript,
  SimRoomStore,
  scriptedSetup,
} from '../testing/index.js';
import type { FetchRequest } from './types.js';

const ROOM = '!room:good';

/** Asserts that every stored timeline event came after the prev events it cites. */
function expectTopological(store: SimRoomStore<FakePdu>): void {
  const pos = new Map(store.order.map((id, i) => [id, i]));
  for (const [id, pdu] of store.events) {
    for (const p of pdu.prev_events) {
      if (pos.has(p)) expect(pos.get(p)).toBeLessThan(pos.get(id) as number);
    }
  }
}

/** A peer that answers every request with a lie, rotating through forged, wrong and unsigned events. */
function lyingPeer(honest: SimRoomStore<FakePdu>, decoy: FakePdu): PeerScript {
  let n = 0;
  return (req: FetchRequest) => {
    if (req.kind === 'get_missing_events') {
      const events = [...honest.events.values()].map((p) => ({ ...p, content: { body: 'forged' } }));
      return { response: { ok: true, body: { events } }, delayMs: 5 };
    }
    if (req.kind !== 'event') return { response: { ok: false, status: 404 }, delayMs: 5 };
    const real = honest.events.get(req.params.eventId);
    if (real === undefined) return { response: { ok: false, status: 404 }, delayMs: 5 };
    const lies: FakePdu[] = [
      { ...real, content: { body: 'send me your keys' } },
      decoy,
      { ...real, signatures: { good: { 'fake:1': 'x'.repeat(64) } } },
    ];
    const pdu = lies[n++ % lies.length];
    return { response: { ok: true, body: { pdus: [pdu] } }, delayMs: 5 };
  };
}

describe('gap fill', () => {
  it('fills a 50-event gap from three peers, one down and one lying, in topological order', () => {
    const history = fakeChain(ROOM, '@alice:good', 52);
    const [root, ...rest] = history;
    const tip = rest[rest.length - 1]!;
    const good = new SimRoomStore<FakePdu>();
    for (const e of history) good.store(e.eventId, e.pdu);
    const decoy = fakeChain(ROOM, '@mallory:liar', 1)[0]!.pdu;
    const { store, scheduler, net, clock } = scriptedSetup({
      self: 'us',
      roomId: ROOM,
      servers: ['us', 'dead', 'liar', 'good'],
      peers: { good: honestPeer('good', good, 20), dead: downPeer, liar: lyingPeer(good, decoy) },
      verifier: fakeVerifier,
      // The liar stays eligible (1 ms penalty) so that every kind of lie is tried on us.
      options: { liarPenaltyMs: 1, destinationBackoff: { initialMs: 60_000, maxMs: 600_000, multiplier: 2 } },
    });
    store.store(root!.eventId, root!.pdu);

    // The tip arrives from `dead` (which then went down): 50 events between it and our root.
    expect(scheduler.handlePdu(clock.now(), tip.pdu, { origin: 'dead' })).toEqual({
      ok: true,
      eventId: tip.eventId,
      duplicate: false,
    });
    net.drain();
    expect(net.sent).toHaveLength(0); // the wait window comes first
    net.run();

    const gap = rest.slice(0, -1);
    expect(gap).toHaveLength(50);
    for (const e of rest) expect(store.events.get(e.eventId)).toEqual(e.pdu);
    expect(store.order).toEqual([root!.eventId, ...rest.map((e) => e.eventId)]);
    expectTopological(store);
    // Nothing the liar made up was stored.
    expect([...store.events.values()].some((p) => JSON.stringify(p).includes('forged'))).toBe(false);
    expect([...store.events.values()].some((p) => p.content.body === 'send me your keys')).toBe(false);
    expect(store.events.has(decoy.prev_events[0] ?? 'none')).toBe(false);
    const m = scheduler.metrics;
    expect(m.failed.forged).toBeGreaterThan(0);
    expect(m.failed.wrong_event).toBeGreaterThan(0);
    expect(m.failed.bad_signature).toBeGreaterThan(0);
    expect(m.evaluated).toBe(51);
    // get_missing_events went to the sender first; it never answered, so it is in backoff.
    expect(net.sent[0]).toMatchObject({ destination: 'dead', kind: 'get_missing_events' });
    expect(m.failed.timeout).toBeGreaterThan(0);
    expect(scheduler.destinationBackoff('dead', clock.now()).until).toBeGreaterThan(clock.now());
    expect(net.sentTo('good', 'event').length).toBeGreaterThanOrEqual(50);
    expect(scheduler.stats).toEqual({ inFlight: 0, queued: 0, fetching: 0, pendingEvents: 0, walks: 0 });
  });

  it('marks a liar that forges get_missing_events and fetches the rest per id elsewhere', () => {
    const history = fakeChain(ROOM, '@alice:good', 12);
    const [root, ...rest] = history;
    const good = new SimRoomStore<FakePdu>();
    for (const e of history) good.store(e.eventId, e.pdu);
    const { store, scheduler, net, clock } = scriptedSetup({
      self: 'us',
      roomId: ROOM,
      servers: ['us', 'liar', 'good'],
      peers: { good: honestPeer('good', good, 20), liar: lyingPeer(good, rest[0]!.pdu) },
      verifier: fakeVerifier,
    });
    store.store(root!.eventId, root!.pdu);
    scheduler.handlePdu(clock.now(), rest[rest.length - 1]!.pdu, { origin: 'liar' });
    net.run();
    expect(net.sent[0]).toMatchObject({ destination: 'liar', kind: 'get_missing_events' });
    expect(scheduler.liars(clock.now())).toEqual(['liar']);
    // Once marked, the liar is not asked again.
    expect(net.sentTo('liar')).toHaveLength(1);
    expect(store.timelineIds(ROOM)).toEqual(history.map((e) => e.eventId).sort());
    expectTopological(store);
  });

  it('waits for missing prev events to arrive by other means before fetching', () => {
    const [a, b, c] = fakeChain(ROOM, '@alice:good', 3);
    const { store, scheduler, net, clock } = scriptedSetup({
      self: 'us',
      roomId: ROOM,
      servers: ['us', 'good'],
      peers: { good: downPeer },
      verifier: fakeVerifier,
    });
    store.store(a!.eventId, a!.pdu);
    scheduler.handlePdu(clock.now(), c!.pdu, { origin: 'good' });
    net.drain();
    expect(scheduler.pollTimeout()).toBe(500);
    clock.advance(300);
    scheduler.handlePdu(clock.now(), b!.pdu, { origin: 'good' });
    net.run();
    expect(net.sent).toHaveLength(0);
    expect(store.order).toEqual([a!.eventId, b!.eventId, c!.eventId]);
  });

  it('caps a 1,000-event gap at the walk limit and records the rest as a backward extremity', () => {
    const history = fakeChain(ROOM, '@alice:good', 1002);
    const root = history[0]!;
    const tip = history[1001]!;
    const good = new SimRoomStore<FakePdu>();
    for (const e of history) good.store(e.eventId, e.pdu);
    const { store, scheduler, net, clock } = scriptedSetup({
      self: 'us',
      roomId: ROOM,
      servers: ['us', 'good'],
      peers: { good: honestPeer('good', good, 20) },
      verifier: fakeVerifier,
    });
    store.store(root.eventId, root.pdu);
    scheduler.handlePdu(clock.now(), tip.pdu, { origin: 'good' });
    net.run();

    // 200 fetched (10 rounds of get_missing_events at 20) plus the tip.
    expect(net.sentTo('good', 'get_missing_events')).toHaveLength(10);
    expect(net.sent).toHaveLength(10);
    const fetched = history.slice(801, 1001);
    expect(store.order).toEqual([root, ...fetched, tip].map((e) => e.eventId));
    const boundary = history[800]!.eventId;
    expect(net.outputsOf('backward_extremity')).toEqual([
      { type: 'backward_extremity', roomId: ROOM, eventIds: [boundary] },
    ]);
    const oldest = net.outputsOf('evaluated').find((o) => o.eventId === history[801]!.eventId);
    expect(oldest?.missingPrevs).toEqual([boundary]);
    expect(store.events.has(boundary)).toBe(false);
    expect(scheduler.stats.walks).toBe(0);
  });
});
