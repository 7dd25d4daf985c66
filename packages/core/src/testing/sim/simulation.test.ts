import { describe, expect, it } from 'vitest';
import type { PDU } from '../../events/index.js';
import type { FetchScheduler } from '../../fetch/index.js';
import { fakeCodec } from './codec.js';
import { realCodec } from './real-codec.js';
import { converged, simulateRoom } from './simulation.js';

describe('simulator', () => {
  it('converges three servers after a partition, with real signed events and v11 auth rules', () => {
    const room = simulateRoom<PDU>({ seed: 42, servers: ['a', 'b', 'c'], codec: realCodec });
    const { net, servers } = room;
    const { a, b, c } = servers as Record<'a' | 'b' | 'c', (typeof servers)[string]>;
    a!.send(room.roomId, 'before the split');
    net.run();
    expect(converged(room)).toBe(true);

    net.partition([['a', 'b'], ['c']]);
    for (let i = 0; i < 5; i++) {
      a!.send(room.roomId, `a${i}`);
      c!.send(room.roomId, `c${i}`);
      net.run(100);
      b!.send(room.roomId, `b${i}`);
      net.run(100);
    }
    net.run();
    expect(converged(room)).toBe(false);
    expect(c!.store.timelineIds(room.roomId)).toHaveLength(room.genesis.length + 1 + 5);
    expect(net.stats.dropped).toBeGreaterThan(0);

    net.heal();
    a!.send(room.roomId, 'after a');
    c!.send(room.roomId, 'after c');
    net.run();

    expect(converged(room)).toBe(true);
    const total = room.genesis.length + 1 + 15 + 2;
    for (const s of [a, b, c]) {
      expect(s!.store.timelineIds(room.roomId)).toHaveLength(total);
      expect(s!.store.rejected.size).toBe(0);
      // Every server stored each event after the events it cites.
      const pos = new Map(s!.store.order.map((id, i) => [id, i]));
      for (const [id, pdu] of s!.store.events) {
        for (const p of pdu.prev_events) expect(pos.get(p) as number).toBeLessThan(pos.get(id) as number);
      }
    }
    // The partition outlasted the senders' retries, so the gaps were filled by fetching.
    expect(c!.store.events.size).toBe(total);
    for (const s of [a, b, c])
      expect((s!.fetcher as FetchScheduler<PDU>).metrics.succeeded).toBeGreaterThan(0);
  });

  it('catches a crashed server up after it restarts', () => {
    const room = simulateRoom({ seed: 7, servers: ['a', 'b', 'c'], codec: () => fakeCodec });
    const { net, servers } = room;
    servers.c!.crash();
    for (let i = 0; i < 30; i++) {
      servers.a!.send(room.roomId, `a${i}`);
      servers.b!.send(room.roomId, `b${i}`);
      net.run(50);
    }
    net.run();
    expect(servers.c!.store.timelineIds(room.roomId)).toHaveLength(room.genesis.length);
    servers.c!.restart();
    servers.a!.send(room.roomId, 'wake up');
    net.run();
    expect(converged(room)).toBe(true);
    expect(servers.c!.store.timelineIds(room.roomId)).toHaveLength(room.genesis.length + 61);
  });

  it('replays the same run from the same seed, and a different one from another', () => {
    const trace = (seed: number) => {
      const room = simulateRoom({
        seed,
        servers: ['a', 'b', 'c'],
        codec: () => fakeCodec,
        trace: true,
        jitterMs: 20,
      });
      room.net.partition([['a'], ['b', 'c']]);
      for (let i = 0; i < 5; i++) {
        room.servers.a!.send(room.roomId, `a${i}`);
        room.servers.b!.send(room.roomId, `b${i}`);
        room.net.run(30);
      }
      room.net.heal();
      room.servers.a!.send(room.roomId, 'heal');
      room.servers.c!.send(room.roomId, 'heal');
      room.net.run();
      expect(converged(room)).toBe(true);
      return room.net.trace;
    };
    const first = trace(1);
    expect(first.length).toBeGreaterThan(10);
    expect(trace(1)).toEqual(first);
    expect(trace(2)).not.toEqual(first);
  });
});
