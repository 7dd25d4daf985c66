import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { isParleyError } from '../errors.js';
import {
  type FakePdu,
  fakeChain,
  fakeVerifier,
  honestPeer,
  SeededRandom,
  SimRoomStore,
  scriptedSetup,
} from '../testing/index.js';
import { resolveFetchOptions } from './options.js';
import { chooseOrigin } from './origin.js';

const ROOM = '!room:a';

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return isParleyError(e) ? e.code : 'not a ParleyError';
  }
  return undefined;
}

describe('bounds', () => {
  it('keeps requests under the global and per-destination caps', () => {
    const history = fakeChain(ROOM, '@a:a', 60);
    const full = new SimRoomStore<FakePdu>();
    for (const e of history) full.store(e.eventId, e.pdu);
    const peers = Object.fromEntries(['a', 'b', 'c'].map((n) => [n, honestPeer(n, full, 100)]));
    const { scheduler, net, clock, store } = scriptedSetup({
      self: 'us',
      roomId: ROOM,
      servers: ['us', 'a', 'b', 'c'],
      peers,
      verifier: fakeVerifier,
      options: { maxInFlight: 5, maxInFlightPerDestination: 2 },
    });
    for (const e of history) scheduler.requestEvent(clock.now(), { roomId: ROOM, eventId: e.eventId });
    const answered = new Set<number>();
    const respond = scheduler.handleResponse.bind(scheduler);
    scheduler.handleResponse = (now, id, r) => {
      answered.add(id);
      return respond(now, id, r);
    };
    let maxInFlight = 0;
    let maxPerDest = 0;
    const drain = net.drain.bind(net);
    net.drain = () => {
      drain();
      const live = net.sent.filter((q) => !answered.has(q.id) && !net.cancelled.includes(q.id));
      maxInFlight = Math.max(maxInFlight, live.length);
      for (const d of ['a', 'b', 'c']) {
        maxPerDest = Math.max(maxPerDest, live.filter((q) => q.destination === d).length);
      }
    };
    net.run();
    expect(maxInFlight).toBe(5);
    expect(maxPerDest).toBe(2);
    expect(net.outputsOf('event_done').every((d) => d.ok)).toBe(true);
    expect(store.events.size).toBe(60);
    expect(net.sent).toHaveLength(60);
  });

  it('answers a full fetch queue with fetch_queue_full', () => {
    const ids = fakeChain(ROOM, '@a:a', 4).map((e) => e.eventId);
    const { scheduler, clock } = scriptedSetup<FakePdu>({
      self: 'us',
      roomId: ROOM,
      servers: ['us', 'a'],
      peers: {},
      verifier: fakeVerifier,
      options: { maxQueued: 3 },
    });
    for (const id of ids.slice(0, 3)) scheduler.requestEvent(clock.now(), { roomId: ROOM, eventId: id });
    expect(codeOf(() => scheduler.requestEvent(clock.now(), { roomId: ROOM, eventId: ids[3]! }))).toBe(
      'fetch_queue_full',
    );
    // A request for an id already in flight joins it and needs no room.
    expect(
      codeOf(() => scheduler.requestEvent(clock.now(), { roomId: ROOM, eventId: ids[0]! })),
    ).toBeUndefined();
  });

  it('answers a full evaluation queue with fetch_queue_full', () => {
    const chain = fakeChain(ROOM, '@a:a', 5);
    const { scheduler, clock } = scriptedSetup<FakePdu>({
      self: 'us',
      roomId: ROOM,
      servers: ['us', 'a'],
      peers: {},
      verifier: fakeVerifier,
      options: { maxPendingEvents: 2 },
    });
    // Each waits for its missing prev event, so they stay held.
    scheduler.handlePdu(clock.now(), chain[2]!.pdu, { origin: 'a' });
    scheduler.handlePdu(clock.now(), chain[4]!.pdu, { origin: 'a' });
    expect(scheduler.stats.pendingEvents).toBe(2);
    expect(codeOf(() => scheduler.handlePdu(clock.now(), chain[1]!.pdu, { origin: 'a' }))).toBe(
      'fetch_queue_full',
    );
  });

  it('answers bad input with a kind, never a throw', () => {
    const { scheduler, clock } = scriptedSetup<FakePdu>({
      self: 'us',
      roomId: ROOM,
      servers: ['us'],
      peers: {},
      verifier: fakeVerifier,
    });
    expect(scheduler.handlePdu(clock.now(), null, { origin: 'a' })).toEqual({ ok: false, kind: 'malformed' });
    expect(scheduler.handlePdu(clock.now(), { room_id: ROOM }, { origin: 'a' })).toEqual({
      ok: false,
      kind: 'malformed',
    });
    const e = fakeChain(ROOM, '@a:a', 1)[0]!;
    expect(scheduler.handlePdu(clock.now(), e.pdu, { origin: 'a', roomId: '!other:a' })).toEqual({
      ok: false,
      kind: 'wrong_room',
    });
    expect(scheduler.handleResponse(clock.now(), 12345, { ok: true, body: {} })).toBe(false);
    expect(codeOf(() => scheduler.handleTimeout(Number.NaN))).toBe('invalid_argument');
  });

  it('treats a verifier that throws as a malformed event, not a crash', () => {
    const e = fakeChain(ROOM, '@a:a', 1)[0]!;
    const { scheduler, clock } = scriptedSetup<FakePdu>({
      self: 'us',
      roomId: ROOM,
      servers: ['us'],
      peers: {},
      verifier: {
        verify() {
          throw new Error('verifier bug');
        },
      },
    });
    expect(scheduler.handlePdu(clock.now(), e.pdu, { origin: 'a' })).toEqual({
      ok: false,
      kind: 'malformed',
    });
  });

  it('drops its abort listener once a ticket is answered', () => {
    const chain = fakeChain(ROOM, '@a:a', 2);
    const full = new SimRoomStore<FakePdu>();
    for (const e of chain) full.store(e.eventId, e.pdu);
    const { scheduler, net, clock } = scriptedSetup({
      self: 'us',
      roomId: ROOM,
      servers: ['us', 'a'],
      peers: { a: honestPeer('a', full, 10) },
      verifier: fakeVerifier,
    });
    const ac = new AbortController();
    for (const e of chain)
      scheduler.requestEvent(clock.now(), { roomId: ROOM, eventId: e.eventId, signal: ac.signal });
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(2);
    net.run();
    expect(net.outputsOf('event_done')).toHaveLength(2);
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
  });

  it('rejects options outside their bounds', () => {
    expect(codeOf(() => resolveFetchOptions({ getMissingEventsLimit: 21 }))).toBe('invalid_option');
    expect(codeOf(() => resolveFetchOptions({ backfillLimit: 0 }))).toBe('invalid_option');
    expect(codeOf(() => resolveFetchOptions({ maxInFlight: 2, maxInFlightPerDestination: 3 }))).toBe(
      'invalid_option',
    );
    expect(codeOf(() => resolveFetchOptions({ waitWindowMs: -1 }))).toBe('invalid_option');
    expect(codeOf(() => resolveFetchOptions({ hedgeDelayMs: -5 }))).toBe('invalid_option');
    expect(resolveFetchOptions({ hedgeDelayMs: 100 }).hedgeDelayMs).toBe(100);
    expect(resolveFetchOptions().waitWindowMs).toBe(500);
  });
});

describe('evaluation', () => {
  it('rejects an event that fails authorization and still evaluates the events citing it', () => {
    const chain = fakeChain(ROOM, '@a:a', 3);
    const full = new SimRoomStore<FakePdu>();
    for (const e of chain) full.store(e.eventId, e.pdu);
    const { scheduler, net, clock, store } = scriptedSetup({
      self: 'us',
      roomId: ROOM,
      servers: ['us', 'a'],
      peers: { a: honestPeer('a', full, 10) },
      verifier: fakeVerifier,
    });
    store.store(chain[0]!.eventId, chain[0]!.pdu);
    store.authorizeHook = (pdu) => (pdu.depth === 2 ? { ok: false, reason: 'not allowed' } : { ok: true });
    scheduler.handlePdu(clock.now(), chain[2]!.pdu, { origin: 'a' });
    net.run();
    expect(net.outputsOf('rejected').map((o) => [o.eventId, o.reason])).toEqual([
      [chain[1]!.eventId, 'not allowed'],
    ]);
    expect(net.outputsOf('evaluated').map((o) => o.eventId)).toEqual([chain[2]!.eventId]);
  });

  it('rejects, rather than crashes on, an authorize hook that throws', () => {
    const e = fakeChain(ROOM, '@a:a', 1)[0]!;
    const { scheduler, net, clock, store } = scriptedSetup<FakePdu>({
      self: 'us',
      roomId: ROOM,
      servers: ['us'],
      peers: {},
      verifier: fakeVerifier,
    });
    store.authorizeHook = () => {
      throw new Error('boom');
    };
    scheduler.handlePdu(clock.now(), e.pdu, { origin: 'a' });
    net.run();
    expect(net.outputsOf('rejected')[0]?.reason).toMatch(/boom/);
  });
});

describe('chooseOrigin', () => {
  const ctx = (over: Partial<Parameters<typeof chooseOrigin>[3]> = {}) => ({
    self: 'us',
    tried: new Set<string>(),
    avoided: () => false,
    hasCapacity: () => true,
    ...over,
  });
  const rnd = new SeededRandom(9);

  it('prefers the hint, never ourselves, then a random server of the room', () => {
    expect(chooseOrigin(['h'], ['x', 'y'], rnd, ctx())).toEqual({ kind: 'chosen', server: 'h' });
    expect(chooseOrigin(['us'], ['us'], rnd, ctx())).toEqual({ kind: 'none', later: false });
    const picks = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const c = chooseOrigin([], ['us', 'x', 'y', 'z'], rnd, ctx());
      if (c.kind === 'chosen') picks.add(c.server);
    }
    expect(picks).toEqual(new Set(['x', 'y', 'z']));
  });

  it('asks a server that needed hedging lately only when no brisk one is free', () => {
    const slow = (s: string) => s === 'h' || s === 'x';
    expect(chooseOrigin(['h'], ['x', 'y'], rnd, ctx({ slow }))).toEqual({ kind: 'chosen', server: 'y' });
    expect(chooseOrigin(['h', 'k'], ['x'], rnd, ctx({ slow }))).toEqual({ kind: 'chosen', server: 'k' });
    expect(chooseOrigin(['h'], ['x'], rnd, ctx({ slow }))).toEqual({ kind: 'chosen', server: 'h' });
  });

  it('skips tried and avoided servers and reports busy or later', () => {
    expect(chooseOrigin(['h'], ['x'], rnd, ctx({ tried: new Set(['h']) }))).toEqual({
      kind: 'chosen',
      server: 'x',
    });
    expect(chooseOrigin(['h'], [], rnd, ctx({ avoided: () => true }))).toEqual({ kind: 'none', later: true });
    expect(chooseOrigin(['h'], ['x'], rnd, ctx({ hasCapacity: () => false }))).toEqual({ kind: 'busy' });
    expect(chooseOrigin(['h'], ['x'], rnd, ctx({ hasCapacity: (s) => s === 'x' }))).toEqual({
      kind: 'chosen',
      server: 'x',
    });
  });
});
