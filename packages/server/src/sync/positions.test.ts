import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStorage } from '../storage/sqlite/sqlite-storage.js';
import { SyncPositions } from './positions.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

describe('SyncPositions', () => {
  it('puts events on multiples of 2^minorBits and other changes between them', async () => {
    const p = new SyncPositions({ start: 0, minorBits: 4, reserveOrdering: async () => 99 });
    expect(p.ofOrdering(3)).toBe(48);
    expect(p.orderingAt(48)).toBe(3);
    expect(p.orderingAt(63)).toBe(3);
    const a = await p.serial(() => p.take());
    expect(a).toBe(1);
    p.publish(a);
    p.publish(p.ofOrdering(2));
    expect(p.current).toBe(32);
    expect(await p.serial(() => p.take())).toBe(33);
    // Publishing never moves back.
    p.publish(5);
    expect(p.current).toBe(32);
    expect(SyncPositions.startAt(7, 0, 4)).toBe(112);
    expect(SyncPositions.startAt(7, 200, 4)).toBe(200);
  });

  it('reserves an ordering of its own when the minors after an event run out', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-pos-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const storage = SqliteStorage.open({ path: join(dir, 'p.db') });
    cleanups.push(() => void storage.close());
    const p = new SyncPositions({
      start: 0,
      minorBits: 2,
      reserveOrdering: () => storage.reserveStreamOrdering(),
    });
    const taken: number[] = [];
    for (let i = 0; i < 7; i++) taken.push(await p.serial(() => p.take()));
    // 1..3 under ordering 0; then ordering 1 is reserved (4); 5..7 under it; then ordering 2 (8).
    expect(taken).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(await storage.getMaxStreamOrdering()).toBe(1);
    expect(await p.serial(() => p.take())).toBe(8);
    expect(await storage.getMaxStreamOrdering()).toBe(2);
    // Storage never hands a reserved ordering to an event.
    expect(await storage.reserveStreamOrdering()).toBe(3);
  });

  it('runs serial tasks in order even when one fails', async () => {
    const p = new SyncPositions({ start: 0, reserveOrdering: async () => 1 });
    const order: number[] = [];
    const a = p.serial(async () => {
      await new Promise((r) => setTimeout(r, 20));
      order.push(1);
      throw new Error('boom');
    });
    const b = p.serial(async () => {
      order.push(2);
    });
    await expect(a).rejects.toThrow('boom');
    await b;
    expect(order).toEqual([1, 2]);
  });
});
