import { describe, expect, it } from 'vitest';
import {
  downPeer,
  type FakePdu,
  fakeChain,
  fakeVerifier,
  honestPeer,
  type PeerScript,
  redactFake,
  SimRoomStore,
  scriptedSetup,
} from '../testing/index.js';
import type { FetchOptions } from './options.js';

const ROOM = '!room:a';

function rig(
  peers: Record<string, (s: SimRoomStore<FakePdu>) => PeerScript>,
  options: Partial<FetchOptions> = {},
) {
  const history = fakeChain(ROOM, '@alice:origin', 2);
  const full = new SimRoomStore<FakePdu>();
  for (const e of history) full.store(e.eventId, e.pdu);
  const scripts = Object.fromEntries(Object.entries(peers).map(([n, f]) => [n, f(full)]));
  const r = scriptedSetup({
    self: 'us',
    roomId: ROOM,
    servers: ['us', ...Object.keys(peers)],
    peers: scripts,
    verifier: fakeVerifier,
    options,
  });
  return { ...r, target: history[0]! };
}

const forging: (s: SimRoomStore<FakePdu>) => PeerScript = (s) => (req) => {
  const real = req.kind === 'event' ? s.events.get(req.params.eventId) : undefined;
  if (real === undefined) return { response: { ok: false, status: 404 }, delayMs: 10 };
  return { response: { ok: true, body: { pdus: [{ ...real, content: { body: 'altered' } }] } }, delayMs: 10 };
};

describe('origin race', () => {
  it('hedges a slow attempt: the first valid answer wins and the other is cancelled', () => {
    const { scheduler, net, clock, store, target } = rig(
      { slow: (s) => honestPeer('slow', s, 1_000), fast: (s) => honestPeer('fast', s, 10) },
      { hedgeDelayMs: 100 },
    );
    scheduler.requestEvent(clock.now(), { roomId: ROOM, eventId: target.eventId, hint: 'slow' });
    const took = net.run();
    expect(net.sent.map((r) => r.destination)).toEqual(['slow', 'fast']);
    expect(net.cancelled).toEqual([net.sent[0]!.id]);
    expect(took).toBe(110);
    expect(scheduler.metrics.hedged).toBe(1);
    expect(scheduler.metrics.attemptsCancelled).toBe(1);
    expect(store.events.get(target.eventId)).toEqual(target.pdu);
  });

  it('holds a hedge that finds no capacity until some frees, instead of dropping it', () => {
    const history = fakeChain(ROOM, '@alice:origin', 2);
    const full = new SimRoomStore<FakePdu>();
    for (const e of history) full.store(e.eventId, e.pdu);
    const { scheduler, net, clock } = scriptedSetup({
      self: 'us',
      roomId: ROOM,
      servers: ['us', 'slow', 'fast'],
      peers: { slow: honestPeer('slow', full, 1_000), fast: honestPeer('fast', full, 200) },
      verifier: fakeVerifier,
      options: { hedgeDelayMs: 100, maxInFlightPerDestination: 1 },
    });
    scheduler.requestEvent(clock.now(), { roomId: ROOM, eventId: history[1]!.eventId, hint: 'fast' });
    scheduler.requestEvent(clock.now(), { roomId: ROOM, eventId: history[0]!.eventId, hint: 'slow' });
    const took = net.run();
    // At 100 `fast` is busy; its slot frees at 200 and the hedge goes there, answering at 400.
    expect(took).toBe(400);
    expect(net.sent.map((r) => r.destination)).toEqual(['fast', 'slow', 'fast']);
    expect(scheduler.metrics.hedged).toBe(1);
    expect(net.outputsOf('event_done').every((d) => d.ok)).toBe(true);
  });

  it('never lets a poisoned answer win a hedged race', () => {
    const { scheduler, net, clock, store, target } = rig(
      { slow: (s) => honestPeer('slow', s, 300), liar: forging },
      { hedgeDelayMs: 100 },
    );
    scheduler.requestEvent(clock.now(), { roomId: ROOM, eventId: target.eventId, hint: 'slow' });
    const took = net.run();
    expect(net.sent.map((r) => r.destination)).toEqual(['slow', 'liar']);
    expect(took).toBe(300); // the liar answered at 110, and lost
    expect(store.events.get(target.eventId)).toEqual(target.pdu);
    expect(scheduler.metrics.failed.forged).toBe(1);
    expect(scheduler.liars(clock.now())).toEqual(['liar']);
  });

  it('times an attempt out after attemptTimeoutMs and tries the next origin', () => {
    const { scheduler, net, clock, store, target } = rig({
      dead: () => downPeer,
      ok: (s) => honestPeer('ok', s, 10),
    });
    scheduler.requestEvent(clock.now(), { roomId: ROOM, eventId: target.eventId, hint: 'dead' });
    const took = net.run();
    expect(took).toBe(5_010);
    expect(net.sent.map((r) => r.destination)).toEqual(['dead', 'ok']);
    expect(net.cancelled).toEqual([net.sent[0]!.id]);
    expect(scheduler.metrics.failed.timeout).toBe(1);
    expect(scheduler.destinationBackoff('dead', 5_000).failures).toBe(1);
    expect(store.events.has(target.eventId)).toBe(true);
  });

  it('never asks ourselves, and fails with no_origin when nobody else is in the room', () => {
    const { scheduler, net, clock, target } = rig({});
    const t = scheduler.requestEvent(clock.now(), { roomId: ROOM, eventId: target.eventId, hint: 'us' });
    net.run();
    expect(net.sent).toHaveLength(0);
    expect(net.outputsOf('event_done')).toEqual([
      { type: 'event_done', ticket: t, eventId: target.eventId, ok: false, reason: 'no_origin' },
    ]);
  });

  it('gives up after maxOriginsPerFetch origins', () => {
    const nf: (s: SimRoomStore<FakePdu>) => PeerScript = () => () => ({
      response: { ok: false, status: 404 },
    });
    const { scheduler, net, clock, target } = rig({ a: nf, b: nf, c: nf, d: nf }, { maxOriginsPerFetch: 2 });
    scheduler.requestEvent(clock.now(), { roomId: ROOM, eventId: target.eventId });
    net.run();
    expect(net.sent).toHaveLength(2);
    expect(new Set(net.sent.map((r) => r.destination)).size).toBe(2);
    expect(net.outputsOf('event_done')[0]).toMatchObject({ ok: false, reason: 'exhausted' });
  });

  it('keeps looking for an intact copy when a non-origin server serves a redacted one', () => {
    const redacting: (s: SimRoomStore<FakePdu>) => PeerScript = (s) => (req) => {
      const real = req.kind === 'event' ? s.events.get(req.params.eventId) : undefined;
      return { response: { ok: true, body: { pdus: [redactFake(real as FakePdu)] } }, delayMs: 5 };
    };
    const { scheduler, net, clock, store, target } = rig({
      other: redacting,
      origin: (s) => honestPeer('origin', s, 50),
    });
    scheduler.requestEvent(clock.now(), { roomId: ROOM, eventId: target.eventId, hint: 'other' });
    net.run();
    expect(net.sent.map((r) => r.destination)).toEqual(['other', 'origin']);
    expect(store.events.get(target.eventId)).toEqual(target.pdu);
    expect(scheduler.metrics.failed.hash_mismatch).toBe(1);
    expect(scheduler.liars(clock.now())).toEqual([]); // redacting is not lying
  });

  it('falls back to the redacted copy when nobody has an intact one', () => {
    const redacting: (s: SimRoomStore<FakePdu>) => PeerScript = (s) => (req) => {
      const real = req.kind === 'event' ? s.events.get(req.params.eventId) : undefined;
      return { response: { ok: true, body: { pdus: [redactFake(real as FakePdu)] } }, delayMs: 5 };
    };
    const { scheduler, net, clock, store, target } = rig({ other: redacting, third: (s) => redacting(s) });
    scheduler.requestEvent(clock.now(), { roomId: ROOM, eventId: target.eventId });
    net.run();
    expect(net.sent).toHaveLength(2);
    expect(store.events.get(target.eventId)?.content).toEqual({});
    expect(net.outputsOf('evaluated')[0]?.redacted).toBe(true);
  });
});
