import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  downPeer,
  type FakePdu,
  fakeEvent,
  fakeVerifier,
  type IdPdu,
  type PeerScript,
  SimRoomStore,
  scriptedSetup,
  serveFederation,
} from '../testing/index.js';

const ROOM = '!prop:a';

/** A random DAG: event i cites 1..3 earlier events; event 0 is the root. */
const dagArb = fc
  .integer({ min: 2, max: 40 })
  .chain((n) =>
    fc.tuple(
      fc.constant(n),
      fc.array(fc.array(fc.nat(), { minLength: 1, maxLength: 3 }), { minLength: n - 1, maxLength: n - 1 }),
    ),
  )
  .map(([n, picks]) => {
    const events: IdPdu<FakePdu>[] = [
      fakeEvent({ roomId: ROOM, sender: '@r:a', depth: 1, content: { i: 0 } }),
    ];
    for (let i = 1; i < n; i++) {
      const prev = [...new Set((picks[i - 1] as number[]).map((p) => p % i))].map(
        (p) => events[p] as IdPdu<FakePdu>,
      );
      const depth = Math.max(...prev.map((p) => p.pdu.depth)) + 1;
      const sender = `@u:${['a', 'b', 'c'][i % 3]}`;
      events.push(
        fakeEvent({ roomId: ROOM, sender, depth, prevEvents: prev.map((p) => p.eventId), content: { i } }),
      );
    }
    return events;
  });

function ancestorsOf(events: IdPdu<FakePdu>[], ids: string[]): Set<string> {
  const byId = new Map(events.map((e) => [e.eventId, e.pdu]));
  const out = new Set<string>();
  const stack = [...ids];
  while (stack.length > 0) {
    const id = stack.pop() as string;
    if (out.has(id)) continue;
    out.add(id);
    stack.push(...(byId.get(id)?.prev_events ?? []));
  }
  return out;
}

describe('scheduler properties', () => {
  it('stores every ancestor of the pushed events intact, each after its prev events, despite liars and a dead peer', () => {
    fc.assert(
      fc.property(
        dagArb,
        fc.array(fc.nat(), { minLength: 1, maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 3, maxLength: 3 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 1_000_000 }),
        (events, pushPicks, delays, hedge, seed) => {
          const full = new SimRoomStore<FakePdu>();
          for (const e of events) full.store(e.eventId, e.pdu);
          const peer =
            (name: string, delay: number): PeerScript =>
            (req) => ({
              response: serveFederation(full, name, req),
              delayMs: delay,
            });
          // `l` answers everything promptly with altered copies.
          const liar: PeerScript = (req) => {
            const r = serveFederation(full, 'l', req);
            if (!r.ok) return { response: r, delayMs: 1 };
            const forge = (x: unknown) => ({ ...(x as FakePdu), content: { forged: true } });
            const b = r.body as Record<string, unknown[]>;
            const body = Object.fromEntries(
              Object.entries(b).map(([k, v]) => [k, Array.isArray(v) && k !== 'pdu_ids' ? v.map(forge) : v]),
            );
            return { response: { ok: true, body }, delayMs: 1 };
          };
          const { store, scheduler, net, clock } = scriptedSetup({
            self: 'us',
            roomId: ROOM,
            servers: ['us', 'a', 'b', 'c', 'd', 'l'],
            peers: {
              a: peer('a', delays[0] as number),
              b: peer('b', delays[1] as number),
              c: peer('c', delays[2] as number),
              d: downPeer,
              l: liar,
            },
            verifier: fakeVerifier,
            options: { hedgeDelayMs: hedge ? 100 : null },
            seed,
          });
          const root = events[0] as IdPdu<FakePdu>;
          store.store(root.eventId, root.pdu);
          const pushed = pushPicks.map((p) => events[p % events.length] as IdPdu<FakePdu>);
          for (const e of pushed) {
            scheduler.handlePdu(clock.now(), e.pdu, {
              origin: ['a', 'b', 'c', 'd', 'l'][e.pdu.depth % 5] as string,
            });
            clock.advance(37);
            net.drain();
          }
          net.run();
          const expected = ancestorsOf(
            events,
            pushed.map((e) => e.eventId),
          );
          const original = new Map(events.map((e) => [e.eventId, e.pdu]));
          for (const id of expected) expect(store.events.get(id)).toEqual(original.get(id));
          const pos = new Map(store.order.map((id, i) => [id, i]));
          for (const [id, pdu] of store.events) {
            for (const p of pdu.prev_events) expect(pos.get(p) as number).toBeLessThan(pos.get(id) as number);
          }
          expect(store.rejected.size).toBe(0);
          expect(scheduler.stats).toEqual({
            inFlight: 0,
            queued: 0,
            fetching: 0,
            pendingEvents: 0,
            walks: 0,
          });
        },
      ),
      { numRuns: 60, seed: 20_240_601 },
    );
  });

  it('always settles with empty queues under a small walk limit and flaky peers', () => {
    fc.assert(
      fc.property(
        dagArb,
        fc.array(fc.nat(), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 5 }),
        (events, picks, limit) => {
          const full = new SimRoomStore<FakePdu>();
          for (const e of events) full.store(e.eventId, e.pdu);
          let n = 0;
          const flaky: PeerScript = (req) =>
            n++ % 3 === 0
              ? { response: { ok: false, status: 503 }, delayMs: 3 }
              : { response: serveFederation(full, 'f', req), delayMs: 7 };
          const { store, scheduler, net, clock } = scriptedSetup({
            self: 'us',
            roomId: ROOM,
            servers: ['us', 'f', 'd'],
            peers: { f: flaky, d: downPeer },
            verifier: fakeVerifier,
            options: { gapWalkLimit: limit, waitWindowMs: 0 },
          });
          const root = events[0] as IdPdu<FakePdu>;
          store.store(root.eventId, root.pdu);
          const pushed = picks.map((p) => events[p % events.length] as IdPdu<FakePdu>);
          for (const e of pushed) scheduler.handlePdu(clock.now(), e.pdu, { origin: 'f' });
          net.run(24 * 3_600_000);
          expect(scheduler.stats).toEqual({
            inFlight: 0,
            queued: 0,
            fetching: 0,
            pendingEvents: 0,
            walks: 0,
          });
          for (const e of pushed) expect(store.has(e.eventId)).toBe(true);
          const pos = new Map(store.order.map((id, i) => [id, i]));
          for (const [id, pdu] of store.events) {
            for (const p of pdu.prev_events)
              if (pos.has(p)) expect(pos.get(p) as number).toBeLessThan(pos.get(id) as number);
          }
        },
      ),
      { numRuns: 60, seed: 777 },
    );
  });
});
