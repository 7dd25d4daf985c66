import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PRESENCE_IDLE_FLAG } from './opcodes.js';
import {
  applySetPres,
  type ConnectionPresence,
  initialPresence,
  isInvisible,
  mergePresence,
} from './presence.js';

const IDLE = PRESENCE_IDLE_FLAG;

describe('presence merge rule', () => {
  it('takes the highest value over the connections, 0 with none', () => {
    expect(mergePresence([])).toBe(0);
    expect(mergePresence([initialPresence(2), initialPresence(4), initialPresence(IDLE | 3)])).toBe(4);
  });

  it('is 0 when any connection is user-set to 0, but not when the idle timer set 0', () => {
    expect(mergePresence([initialPresence(4), initialPresence(0)])).toBe(0);
    expect(mergePresence([initialPresence(4), initialPresence(IDLE | 0)])).toBe(4);
  });

  it('lets an idle-set value only lower a connection, and a user-set value replace it', () => {
    const c = initialPresence(3);
    expect(applySetPres(c, IDLE | 5)).toBe(false);
    expect(c).toEqual({ value: 3, idle: false });
    expect(applySetPres(c, IDLE | 2)).toBe(true);
    expect(c).toEqual({ value: 2, idle: true });
    expect(applySetPres(c, 5)).toBe(true);
    expect(c).toEqual({ value: 5, idle: false });
    expect(applySetPres(c, 5)).toBe(false);
  });

  it('keeps a user-set 0 (invisible) through idle updates', () => {
    const c = initialPresence(0);
    expect(isInvisible(c)).toBe(true);
    expect(applySetPres(c, IDLE | 0)).toBe(false);
    expect(isInvisible(c)).toBe(true);
  });
});

describe('presence merge properties', () => {
  const userByte = fc.integer({ min: 0, max: 127 });
  const idleByte = fc.integer({ min: 0, max: 127 }).map((v) => v | IDLE);

  it('the merged value never depends on the order of idle-timer updates', () => {
    fc.assert(
      fc.property(
        fc.array(userByte, { minLength: 1, maxLength: 5 }),
        fc.array(fc.tuple(fc.nat(), idleByte), { maxLength: 30 }),
        fc.infiniteStream(fc.nat()),
        (initial, updates, picks) => {
          const run = (order: [number, number][]) => {
            const conns: ConnectionPresence[] = initial.map((b) => initialPresence(b));
            for (const [i, byte] of order) applySetPres(conns[i % conns.length]!, byte);
            return { merged: mergePresence(conns), conns };
          };
          // A random permutation of the updates, drawn from the stream.
          const shuffled = [...updates];
          const it = picks[Symbol.iterator]();
          for (let i = shuffled.length - 1; i > 0; i--) {
            const j = (it.next().value as number) % (i + 1);
            [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
          }
          expect(run(shuffled)).toEqual(run(updates));
        },
      ),
    );
  });

  it('after user-set values and idle updates, each connection holds min(user-set, idle values)', () => {
    fc.assert(
      fc.property(userByte, fc.array(idleByte, { maxLength: 10 }), (user, idles) => {
        const c = initialPresence(user);
        for (const b of idles) applySetPres(c, b);
        const lowest = Math.min(user, ...idles.map((b) => b & 0x7f));
        expect(c.value).toBe(lowest);
        expect(c.idle).toBe(lowest < user);
      }),
    );
  });

  it('the merge is 0 when any connection is invisible, else the highest connection value', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 6 }), (bytes) => {
        const conns = bytes.map((b) => initialPresence(b));
        const merged = mergePresence(conns);
        if (conns.some(isInvisible)) expect(merged).toBe(0);
        else expect(merged).toBe(Math.max(...conns.map((c) => c.value)));
      }),
    );
  });
});
