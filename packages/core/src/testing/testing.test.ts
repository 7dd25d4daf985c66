import { describe, expect, it } from 'vitest';
import { FakeClock } from './fake-clock.js';
import { SeededRandom } from './seeded-random.js';

describe('FakeClock', () => {
  it('fires timers in deadline order and only when time reaches them', () => {
    const clock = new FakeClock(0);
    const fired: string[] = [];
    clock.set(() => fired.push('b'), 20);
    clock.set(() => fired.push('a'), 10);
    const c = clock.set(() => fired.push('c'), 15);
    clock.clear(c);
    clock.advance(9);
    expect(fired).toEqual([]);
    clock.advance(11);
    expect(fired).toEqual(['a', 'b']);
    expect(clock.now()).toBe(20);
  });

  it('lets a timer callback see its own deadline as the current time', () => {
    const clock = new FakeClock(100);
    let seen = -1;
    clock.set(() => {
      seen = clock.now();
    }, 50);
    clock.advance(1000);
    expect(seen).toBe(150);
  });
});

describe('SeededRandom', () => {
  it('is reproducible from its seed and differs between seeds', () => {
    expect(new SeededRandom(42).bytes(16)).toEqual(new SeededRandom(42).bytes(16));
    expect(new SeededRandom(42).bytes(16)).not.toEqual(new SeededRandom(43).bytes(16));
  });

  it('spreads values over the whole byte range', () => {
    const r = new SeededRandom(7);
    const seen = new Set(r.bytes(4096));
    expect(seen.size).toBe(256);
  });
});
