import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareTuples, SortedIndex } from './sorted-index.js';

const byNumber = (a: number, b: number): number => a - b;

describe('SortedIndex', () => {
  it('keeps entries sorted through inserts, replacements and deletes (model check)', () => {
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('set' as const),
        key: fc.integer({ min: 0, max: 2000 }),
        value: fc.nat(),
      }),
      fc.record({ kind: fc.constant('delete' as const), key: fc.integer({ min: 0, max: 2000 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { minLength: 600, maxLength: 2000 }), (ops) => {
        const index = new SortedIndex<number, number>(byNumber);
        const model = new Map<number, number>();
        for (const o of ops) {
          if (o.kind === 'set') {
            // Plain checks: an expect() per operation would make this test slow under load.
            if (index.set(o.key, o.value) !== !model.has(o.key))
              throw new Error(`set ${o.key}: wrong novelty`);
            model.set(o.key, o.value);
          } else {
            if (index.delete(o.key) !== model.delete(o.key)) throw new Error(`delete ${o.key}: wrong answer`);
          }
        }
        const expected = [...model.entries()].sort((a, b) => a[0] - b[0]);
        expect([...index.entries()]).toEqual(expected);
        expect(index.size).toBe(model.size);
        for (const [k, v] of expected.slice(0, 20)) expect(index.get(k)).toBe(v);
      }),
      { numRuns: 30 },
    );
  });

  it('survives growing past many chunks and shrinking back (splits and merges, property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 500, max: 3000 }), fc.integer({ min: 1, max: 2 ** 31 }), (n, seed) => {
        const index = new SortedIndex<number, string>(byNumber);
        const model = new Map<number, string>();
        let s = seed;
        const next = (): number => {
          s = (Math.imul(s, 1103515245) + 12345) >>> 0;
          return s;
        };
        for (let i = 0; i < n; i++) {
          const k = next() % (n * 4);
          index.set(k, `v${k}`);
          model.set(k, `v${k}`);
        }
        const keys = [...model.keys()];
        // Delete all but a few, in a scattered order, checking along the way.
        for (let i = 0; i < keys.length - 5; i++) {
          const k = keys[(i * 7919) % keys.length] as number;
          if (index.delete(k) !== model.delete(k)) throw new Error(`delete ${k}`);
          if (i % 97 === 0) {
            const got = [...index.entries()];
            if (got.length !== model.size || got.some(([gk, gv]) => model.get(gk) !== gv))
              throw new Error('drift');
          }
        }
        expect([...index.entries()]).toEqual([...model.entries()].sort((a, b) => a[0] - b[0]));
        for (const [k, v] of model) expect(index.get(k)).toBe(v);
      }),
      { numRuns: 20 },
    );
  });

  it('seeks to the first key matching a monotone predicate', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 5000 }), { minLength: 300, maxLength: 1500 }),
        fc.integer({ min: -1, max: 5001 }),
        (keys, cursor) => {
          const index = new SortedIndex<number>(byNumber);
          for (const k of keys) index.set(k, undefined);
          const after = [...index.entries((k) => k > cursor)].map(([k]) => k);
          expect(after).toEqual([...keys].sort((a, b) => a - b).filter((k) => k > cursor));
        },
      ),
      { numRuns: 100 },
    );
  });

  it('answers get/has/first on an empty and a one-entry index', () => {
    const index = new SortedIndex<number, string>(byNumber);
    expect(index.first()).toBeUndefined();
    expect(index.has(1)).toBe(false);
    expect(index.delete(1)).toBe(false);
    index.set(1, 'a');
    expect(index.first()).toEqual([1, 'a']);
    expect(index.get(1)).toBe('a');
    expect([...index.entries((k) => k > 1)]).toEqual([]);
  });
});

describe('compareTuples', () => {
  it('orders element by element, numbers before strings, prefixes first', () => {
    expect(compareTuples([1, 'b'], [1, 'a'])).toBeGreaterThan(0);
    expect(compareTuples([2], [10])).toBeLessThan(0);
    expect(compareTuples([1], ['1'])).toBeLessThan(0);
    expect(compareTuples(['a'], ['a', 'b'])).toBeLessThan(0);
    expect(compareTuples(['x', 3], ['x', 3])).toBe(0);
  });
});
