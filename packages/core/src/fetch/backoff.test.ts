import { describe, expect, it } from 'vitest';
import {
  type FakePdu,
  fakeChain,
  fakeVerifier,
  type PeerScript,
  SeededRandom,
  scriptedSetup,
} from '../testing/index.js';
import { BackoffTable } from './backoff.js';
import type { FetchResponse } from './types.js';

const ROOM = '!room:a';

describe('BackoffTable', () => {
  it('draws full-jitter delays under an exponential ceiling with a cap, and a success resets it', () => {
    const t = new BackoffTable({ initialMs: 100, maxMs: 1_000, multiplier: 2 }, new SeededRandom(3), 10);
    const ceilings = [100, 200, 400, 800, 1_000, 1_000, 1_000];
    const delays: number[] = [];
    for (const ceiling of ceilings) {
      const until = t.fail('x', 0);
      expect(until).toBeGreaterThanOrEqual(0);
      expect(until).toBeLessThanOrEqual(ceiling);
      delays.push(until);
    }
    expect(t.failures('x')).toBe(7);
    expect(new Set(delays).size).toBeGreaterThan(3); // jittered, not fixed steps
    t.succeed('x');
    expect(t.failures('x')).toBe(0);
    expect(t.isBackedOff('x', 0)).toBe(false);
  });

  it('honours a Retry-After as the minimum delay and forgets the oldest keys beyond its bound', () => {
    const t = new BackoffTable({ initialMs: 10, maxMs: 10, multiplier: 2 }, new SeededRandom(1), 2);
    expect(t.fail('a', 0, 5_000)).toBe(5_000);
    t.fail('b', 0);
    t.fail('c', 0);
    expect(t.size).toBe(2);
    expect(t.failures('a')).toBe(0);
    expect(t.nextExpiry(0)).toBeLessThanOrEqual(10);
  });
});

function statusPeer(statuses: number[]): PeerScript {
  let i = 0;
  return () => {
    const s = statuses[Math.min(i++, statuses.length - 1)] as number;
    const response: FetchResponse = s === 0 ? { ok: false } : { ok: false, status: s };
    return { response, delayMs: 1 };
  };
}

describe('per-destination backoff', () => {
  it('counts 5xx, 429 and network errors, not 403 or 404; a success resets', () => {
    const ids = fakeChain(ROOM, '@a:x', 6).map((e) => e.eventId);
    const peers: Record<string, PeerScript> = {
      e500: statusPeer([500]),
      e429: statusPeer([429]),
      net: statusPeer([0]),
      e403: statusPeer([403]),
      e404: statusPeer([404]),
    };
    const { scheduler, net, clock } = scriptedSetup<FakePdu>({
      self: 'us',
      roomId: ROOM,
      servers: ['us'],
      peers,
      verifier: fakeVerifier,
    });
    Object.keys(peers).forEach((dest, i) => {
      scheduler.requestEvent(clock.now(), { roomId: ROOM, eventId: ids[i]!, hint: dest });
    });
    net.run();
    const f = (d: string) => scheduler.destinationBackoff(d, clock.now()).failures;
    expect([f('e500'), f('e429'), f('net'), f('e403'), f('e404')]).toEqual([1, 1, 1, 0, 0]);
    expect(scheduler.metrics.failed).toMatchObject({
      http_5xx: 1,
      http_429: 1,
      network: 1,
      http_403: 1,
      http_404: 1,
    });

    // A later success from e500 forgets its failures.
    const history = fakeChain(ROOM, '@a:x', 1);
    net.setPeer('e500', () => ({ response: { ok: true, body: { pdus: [history[0]!.pdu] } }, delayMs: 1 }));
    clock.advance(3_600_000);
    scheduler.requestEvent(clock.now(), { roomId: ROOM, eventId: history[0]!.eventId, hint: 'e500' });
    net.run();
    expect(f('e500')).toBe(0);
  });

  it('does not ask a destination in backoff until its backoff ends', () => {
    const ids = fakeChain(ROOM, '@a:x', 2).map((e) => e.eventId);
    const { scheduler, net, clock } = scriptedSetup<FakePdu>({
      self: 'us',
      roomId: ROOM,
      servers: ['us', 'flaky'],
      peers: { flaky: statusPeer([503]) },
      verifier: fakeVerifier,
    });
    scheduler.requestEvent(clock.now(), { roomId: ROOM, eventId: ids[0]! });
    net.run();
    const until = scheduler.destinationBackoff('flaky', clock.now()).until as number;
    expect(until).toBeGreaterThan(clock.now());
    scheduler.requestEvent(clock.now(), { roomId: ROOM, eventId: ids[1]! });
    net.drain();
    expect(net.sent).toHaveLength(1); // waits in the queue for the backoff to end
    expect(scheduler.pollTimeout()).toBe(until);
    net.run();
    expect(net.sent).toHaveLength(2);
    expect(net.sent[1]!.destination).toBe('flaky');
    expect(clock.now()).toBeGreaterThanOrEqual(until);
  });
});

describe('per-event backoff', () => {
  it('fails fast for an event nobody could give, then tries again once the backoff ends', () => {
    const id = fakeChain(ROOM, '@a:x', 1)[0]!.eventId;
    const { scheduler, net, clock } = scriptedSetup<FakePdu>({
      self: 'us',
      roomId: ROOM,
      servers: ['us', 'a', 'b'],
      peers: { a: statusPeer([404]), b: statusPeer([404]) },
      verifier: fakeVerifier,
    });
    scheduler.requestEvent(clock.now(), { roomId: ROOM, eventId: id });
    net.run();
    expect(net.sent).toHaveLength(2);
    expect(net.outputsOf('event_done')[0]).toMatchObject({ ok: false, reason: 'exhausted' });
    const b = scheduler.eventBackoff(id, clock.now());
    expect(b.failures).toBe(1);
    expect(b.until).toBeGreaterThan(clock.now());

    scheduler.requestEvent(clock.now(), { roomId: ROOM, eventId: id });
    net.run();
    expect(net.sent).toHaveLength(2);
    expect(net.outputsOf('event_done')[1]).toMatchObject({ ok: false, reason: 'backoff' });

    clock.advance((b.until as number) - clock.now());
    scheduler.requestEvent(clock.now(), { roomId: ROOM, eventId: id });
    net.run();
    expect(net.sent).toHaveLength(4);
    expect(scheduler.eventBackoff(id, clock.now()).failures).toBe(2);
  });
});
