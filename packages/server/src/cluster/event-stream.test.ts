import type { PDU } from '@parley/core';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../storage/storage.js';
import { OrderedEventStream, type StreamReads } from './event-stream.js';

/**
 * A shared stream in memory: `commit` adds an event at the next ordering, `reserve` takes an
 * ordering for no event; reads can be held back to interleave commits with a running pass.
 */
class FakeStream implements StreamReads {
  max = 0;
  readonly events: StoredEvent[] = [];
  reads = 0;
  fail = false;
  #gate: Promise<void> | undefined;
  #open: (() => void) | undefined;

  commit(): number {
    const n = ++this.max;
    this.events.push({ streamOrdering: n, eventId: `$e${n}`, event: { type: 'm.x' } as unknown as PDU });
    return n;
  }

  reserve(): number {
    return ++this.max;
  }

  /** The next read waits until {@link release}. */
  hold(): void {
    this.#gate = new Promise((r) => {
      this.#open = r;
    });
  }

  release(): void {
    this.#gate = undefined;
    this.#open?.();
  }

  async maxOrdering(): Promise<number> {
    this.reads++;
    const m = this.max;
    await this.#gate;
    if (this.fail) throw new Error('database down');
    return m;
  }

  async eventsAfter(after: number, upTo: number, limit: number): Promise<StoredEvent[]> {
    return this.events.filter((e) => e.streamOrdering > after && e.streamOrdering <= upTo).slice(0, limit);
  }
}

const logger = pino({ level: 'silent' });

function stream(fake: FakeStream, start = 0, batch = 3) {
  const s = new OrderedEventStream({ reads: fake, start, logger, batch });
  const seen: number[] = [];
  s.onEvent((e) => seen.push(e.streamOrdering));
  return { s, seen };
}

describe('OrderedEventStream', () => {
  it('hands out every event once, in order, over reserved orderings and batches', async () => {
    const fake = new FakeStream();
    fake.commit();
    const { s, seen } = stream(fake, 1);
    s.start();
    for (let i = 0; i < 10; i++) {
      if (i % 3 === 0) fake.reserve();
      fake.commit();
    }
    s.kick();
    await s.settled();
    await s.reached(fake.max);
    expect(seen).toEqual(fake.events.filter((e) => e.streamOrdering > 1).map((e) => e.streamOrdering));
    expect(s.position).toBe(fake.max);
    s.kick();
    await s.settled();
    expect(seen.length).toBe(10); // nothing twice
  });

  it('runs another pass for a commit made while a pass was reading (a client reads its own write)', async () => {
    const fake = new FakeStream();
    const { s, seen } = stream(fake);
    s.start();
    await s.settled();
    fake.hold();
    fake.commit();
    s.kick(); // a pass starts and reads the maximum (1) before the next commit
    const mine = fake.commit();
    s.kick(); // this instance's own commit, after the running pass read its maximum
    const settled = s.settled();
    fake.release();
    await settled;
    expect(seen).toContain(mine);
  });

  it('includes in settled every commit kicked before it, one at a time', async () => {
    const fake = new FakeStream();
    const { s, seen } = stream(fake);
    s.start();
    await s.settled();
    for (let i = 1; i <= 5; i++) {
      fake.commit();
      s.kick();
      await s.settled();
      expect(seen).toEqual(Array.from({ length: i }, (_, k) => k + 1));
    }
  });

  it('resolves settled at once when nothing was kicked since the last pass', async () => {
    const fake = new FakeStream();
    const { s } = stream(fake);
    s.start();
    await s.settled();
    const reads = fake.reads;
    await s.settled();
    expect(fake.reads).toBe(reads);
  });

  it('delivers nothing before start, and starts from the given ordering', async () => {
    const fake = new FakeStream();
    for (let i = 0; i < 5; i++) fake.commit();
    const { s, seen } = stream(fake, 3);
    s.kick();
    await new Promise((r) => setTimeout(r, 10));
    expect(seen).toEqual([]);
    s.start();
    await s.reached(5);
    expect(seen).toEqual([4, 5]);
  });

  it('does not leave waiters hanging when the database fails; catches up afterwards', async () => {
    const fake = new FakeStream();
    const { s, seen } = stream(fake);
    s.start();
    await s.settled();
    fake.fail = true;
    fake.commit();
    s.kick();
    await s.settled(); // resolves although the pass failed
    expect(seen).toEqual([]);
    fake.fail = false;
    s.kick();
    await s.reached(1);
    expect(seen).toEqual([1]);
  });

  it('resolves pending waiters on close', async () => {
    const fake = new FakeStream();
    const { s } = stream(fake);
    s.start();
    fake.hold();
    fake.commit();
    const waiting = s.reached(1);
    s.close();
    await waiting;
    fake.release();
  });
});
