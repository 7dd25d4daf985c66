import { describe, expect, it } from 'vitest';
import { isParleyError } from '../errors.js';
import {
  type FakePdu,
  fakeChain,
  fakeVerifier,
  honestPeer,
  SimRoomStore,
  scriptedSetup,
} from '../testing/index.js';

const ROOM = '!room:a';

function world(delayMs = 50) {
  const history = fakeChain(ROOM, '@alice:a', 3);
  const a = new SimRoomStore<FakePdu>();
  for (const e of history) a.store(e.eventId, e.pdu);
  const rig = scriptedSetup({
    self: 'us',
    roomId: ROOM,
    servers: ['us', 'a'],
    peers: { a: honestPeer('a', a, delayMs) },
    verifier: fakeVerifier,
  });
  // Outliers need their auth events; these have none, so each stands alone.
  return { ...rig, history };
}

describe('single flight', () => {
  it('serves ten concurrent requests for one event with one network attempt', () => {
    const { scheduler, net, clock, store, history } = world();
    const target = history[1]!;
    const tickets = Array.from({ length: 10 }, () =>
      scheduler.requestEvent(clock.now(), { roomId: ROOM, eventId: target.eventId, hint: 'a' }),
    );
    net.run();
    expect(net.sent).toHaveLength(1);
    expect(scheduler.metrics.deduplicated).toBe(9);
    expect(scheduler.metrics.started).toBe(1);
    const done = net.outputsOf('event_done');
    expect(done.map((d) => d.ticket).sort((x, y) => x - y)).toEqual(tickets);
    expect(done.every((d) => d.ok && d.eventId === target.eventId)).toBe(true);
    expect(store.events.get(target.eventId)).toEqual(target.pdu);
    expect(net.outputsOf('evaluated')).toHaveLength(1);
  });

  it('answers at once for an event already stored, without a request', () => {
    const { scheduler, net, clock, store, history } = world();
    store.store(history[0]!.eventId, history[0]!.pdu);
    const t = scheduler.requestEvent(clock.now(), { roomId: ROOM, eventId: history[0]!.eventId });
    net.run();
    expect(net.sent).toHaveLength(0);
    expect(net.outputsOf('event_done')).toEqual([
      { type: 'event_done', ticket: t, eventId: history[0]!.eventId, ok: true },
    ]);
  });

  it('cancels the fetch when every waiter is gone, and ignores the late answer', () => {
    const { scheduler, net, clock, store, history } = world(1_000);
    const id = history[2]!.eventId;
    const t1 = scheduler.requestEvent(clock.now(), { roomId: ROOM, eventId: id });
    const t2 = scheduler.requestEvent(clock.now(), { roomId: ROOM, eventId: id });
    net.drain();
    expect(net.sent).toHaveLength(1);
    expect(scheduler.cancel(t1)).toBe(true);
    net.drain();
    expect(net.cancelled).toEqual([]); // one waiter is left
    expect(scheduler.cancel(t2)).toBe(true);
    expect(scheduler.cancel(t2)).toBe(false);
    net.drain();
    expect(net.cancelled).toEqual([net.sent[0]!.id]);
    expect(scheduler.metrics.cancelled).toBe(1);
    expect(
      scheduler.handleResponse(clock.now() + 1_000, net.sent[0]!.id, { ok: true, body: { pdus: [] } }),
    ).toBe(false);
    net.run();
    expect(net.outputsOf('event_done')).toEqual([]);
    expect(store.events.has(id)).toBe(false);
  });

  it('cancels through an AbortSignal', () => {
    const { scheduler, net, clock, history } = world(1_000);
    const ac = new AbortController();
    scheduler.requestEvent(clock.now(), { roomId: ROOM, eventId: history[1]!.eventId, signal: ac.signal });
    net.drain();
    ac.abort();
    net.drain();
    expect(net.cancelled).toEqual([net.sent[0]!.id]);
    let err: unknown;
    try {
      scheduler.requestEvent(clock.now(), { roomId: ROOM, eventId: history[1]!.eventId, signal: ac.signal });
    } catch (e) {
      err = e;
    }
    expect(isParleyError(err) && err.code).toBe('aborted');
  });

  it('cancels the fetch of an event that arrives by other means', () => {
    const { scheduler, net, clock, store, history } = world(1_000);
    const target = history[0]!;
    const t = scheduler.requestEvent(clock.now(), { roomId: ROOM, eventId: target.eventId });
    net.drain();
    expect(net.sent).toHaveLength(1);
    clock.advance(100);
    expect(scheduler.handlePdu(clock.now(), target.pdu, { origin: 'a' })).toMatchObject({
      ok: true,
      duplicate: false,
    });
    net.run();
    expect(net.cancelled).toEqual([net.sent[0]!.id]);
    expect(scheduler.metrics.cancelled).toBe(1);
    expect(net.outputsOf('evaluated').map((o) => o.eventId)).toEqual([target.eventId]);
    expect(net.outputsOf('event_done')).toEqual([
      { type: 'event_done', ticket: t, eventId: target.eventId, ok: true },
    ]);
    expect(store.order).toEqual([target.eventId]);
    expect(scheduler.handlePdu(clock.now(), target.pdu, { origin: 'a' })).toMatchObject({
      ok: true,
      duplicate: true,
    });
  });
});
