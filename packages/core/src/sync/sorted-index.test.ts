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
      fc.property(fc.array(op, { minLength: 600, maxLength: 3000 }), (ops) => {
        const index = new SortedIndex<number, number>(byNumber);
        const model = new Map<number, number>();
        for (const o of ops) {
          if (o.kind === 'set') {
            expect(index.set(o.key, o.value)).toBe(!model.has(o.key));
            model.set(o.key, o.value);
          } else {
            expect(index.delete(o.key)).toBe(model.delete(o.key));
          }
        }
        const expected = [...model.entries()].sort((a, b) => a[0] - b[0]);
        expect([...index.entries()]).toEqual(expected);
        expect(index.size).toBe(model.size);
        for (const [k, v] of expected.slice(0, 20)) expect(index.get(k)).toBe(v);
      }),
      { numRuns: 60 },
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
