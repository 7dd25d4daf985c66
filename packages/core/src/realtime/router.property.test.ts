import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ZERO_HANDLE } from './handle.js';
import { OP_PRES, OP_SETPRES } from './opcodes.js';
import { h, RouterHarness } from './router-harness.js';

// A model of what every connection should believe about every user's presence, checked against the
// OP_PRES deltas the router actually sends, after every step of a random scenario.

type Action =
  | { kind: 'login'; user: number; byte: number }
  | { kind: 'disconnect'; pick: number }
  | { kind: 'setpres'; pick: number; byte: number }
  | { kind: 'join' | 'leave'; user: number; room: number }
  | { kind: 'contact' | 'uncontact'; user: number; other: number }
  // Tells the router but not the model: only to show that the checker catches a difference.
  | { kind: 'unmodeled-join'; user: number; room: number };

const USERS = [1, 2, 3, 4];
const ROOMS = [100, 101];
const user = fc.constantFrom(...USERS);
const room = fc.constantFrom(...ROOMS);
// Small values make collisions (no-change updates, invisible 0) frequent.
const byte = fc.oneof(
  fc.integer({ min: 0, max: 4 }),
  fc.integer({ min: 0, max: 4 }).map((v) => v | 0x80),
);

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ kind: fc.constant('login' as const), user, byte }),
  fc.record({ kind: fc.constant('disconnect' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('setpres' as const), pick: fc.nat(), byte }),
  fc.record({ kind: fc.constantFrom('join' as const, 'leave' as const), user, room }),
  fc.record({ kind: fc.constantFrom('contact' as const, 'uncontact' as const), user, other: user }),
);

interface ModelConn {
  user: number;
  value: number;
  idle: boolean;
}

class Model {
  conns = new Map<number, ModelConn>();
  rooms = new Map<number, Set<number>>(ROOMS.map((r) => [r, new Set()]));
  contacts = new Map<number, Set<number>>(USERS.map((u) => [u, new Set()]));

  invisible(u: number): boolean {
    return [...this.conns.values()].some((c) => c.user === u && c.value === 0 && !c.idle);
  }

  merged(u: number): number {
    if (this.invisible(u)) return 0;
    return Math.max(0, ...[...this.conns.values()].filter((c) => c.user === u).map((c) => c.value));
  }

  visible(a: number, b: number): boolean {
    if (a === b) return false;
    const mutual = this.contacts.get(a)!.has(b) && this.contacts.get(b)!.has(a);
    return mutual || [...this.rooms.values()].some((m) => m.has(a) && m.has(b));
  }

  setpres(c: ModelConn, b: number): void {
    const v = b & 0x7f;
    if (b & 0x80) {
      if (v < c.value) Object.assign(c, { value: v, idle: true });
    } else Object.assign(c, { value: v, idle: false });
  }
}

function run(actions: Action[]): void {
  const t = new RouterHarness();
  const m = new Model();
  // What each connection believes: user handle -> presence ('own' for user 0).
  const views = new Map<number, Map<string, number>>();
  const conns = () => [...m.conns.keys()];

  for (const a of actions) {
    switch (a.kind) {
      case 'login': {
        const id = t.login(h(a.user), a.byte);
        m.conns.set(id, { user: a.user, value: a.byte & 0x7f, idle: (a.byte & 0x80) !== 0 });
        views.set(id, new Map());
        break;
      }
      case 'disconnect': {
        const ids = conns();
        if (ids.length === 0) continue;
        const id = ids[a.pick % ids.length]!;
        m.conns.delete(id);
        views.delete(id);
        t.disconnect(id);
        t.take(id);
        break;
      }
      case 'setpres': {
        const ids = conns();
        if (ids.length === 0) continue;
        const id = ids[a.pick % ids.length]!;
        m.setpres(m.conns.get(id)!, a.byte);
        t.send(id, { op: OP_SETPRES, presence: a.byte });
        break;
      }
      case 'join':
        m.rooms.get(a.room)!.add(a.user);
        t.router.joinRoom(h(a.user), h(a.room));
        break;
      case 'unmodeled-join':
        t.router.joinRoom(h(a.user), h(a.room));
        break;
      case 'leave':
        m.rooms.get(a.room)!.delete(a.user);
        t.router.leaveRoom(h(a.user), h(a.room));
        break;
      case 'contact':
        if (a.user !== a.other) m.contacts.get(a.user)!.add(a.other);
        t.router.addContact(h(a.user), h(a.other));
        break;
      case 'uncontact':
        m.contacts.get(a.user)!.delete(a.other);
        t.router.removeContact(h(a.user), h(a.other));
        break;
    }
    t.drain();
    for (const [id, c] of m.conns) {
      const view = views.get(id)!;
      const own = h(c.user);
      for (const cmd of t.take(id)) {
        if (cmd.op !== OP_PRES) continue;
        const key = cmd.user === ZERO_HANDLE ? 'own' : cmd.user;
        // An invisible user is never shown as non-zero to another user's connection.
        if (cmd.user !== ZERO_HANDLE && cmd.presence !== 0) {
          expect(m.invisible(Number.parseInt(cmd.user, 16))).toBe(false);
        }
        // Nobody is told about themselves by handle: own presence comes as user 0.
        expect(cmd.user).not.toBe(own);
        // OP_PRES only on change (the login dump's own PRES is the one exception: it may be 0).
        if (view.has(key) || key !== 'own') expect(cmd.presence).not.toBe(view.get(key) ?? 0);
        view.set(key, cmd.presence);
      }
      expect(view.get('own')).toBe(m.merged(c.user));
      for (const u of USERS) {
        if (u === c.user) continue;
        const expected = m.visible(c.user, u) ? m.merged(u) : 0;
        expect(view.get(h(u)) ?? 0).toBe(expected);
      }
    }
  }
}

describe('RealtimeRouter presence against a model', () => {
  it('every connection always knows exactly the merged presence of the users it may see, and only that', () => {
    fc.assert(fc.property(fc.array(action, { maxLength: 60 }), run), { numRuns: 300 });
  });

  it('a hand-picked scenario passes the model too (guards the checker itself)', () => {
    run([
      { kind: 'join', user: 1, room: 100 },
      { kind: 'join', user: 2, room: 100 },
      { kind: 'login', user: 1, byte: 3 },
      { kind: 'login', user: 2, byte: 0 },
      { kind: 'setpres', pick: 1, byte: 4 },
      { kind: 'leave', user: 2, room: 100 },
    ]);
    // A change the model does not know of is caught: the checker is not vacuous.
    expect(() =>
      run([
        { kind: 'join', user: 1, room: 100 },
        { kind: 'login', user: 1, byte: 3 },
        { kind: 'login', user: 2, byte: 3 },
        { kind: 'unmodeled-join', user: 2, room: 100 },
      ]),
    ).toThrow();
  });
});
