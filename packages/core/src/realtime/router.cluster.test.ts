import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ServerCommand } from './commands.js';
import { OP_IN_CALL, OP_PRES, OP_REJECT, OP_RTMSG, OP_SETPRES, RejectCode } from './opcodes.js';
import type { RealtimeClusterEvent } from './router-cluster.js';
import { h, RouterHarness } from './router-harness.js';

const ZERO = '0000000000000000';
const RANGE = 2 ** 22;

/**
 * Two routers in cluster mode joined by an in-memory bus: what one reports through
 * `pollCluster()` is applied to the other after every step, as the server's Redis fan-out does.
 */
class ClusterPair {
  readonly a: RouterHarness;
  readonly b: RouterHarness;
  /** Every event each side published, for checks on what crosses the bus. */
  readonly published: { from: 'a' | 'b'; event: RealtimeClusterEvent }[] = [];

  constructor(options: { inCallTimeoutMs?: number } = {}) {
    const common = { cluster: true, maxConnections: 1000, ...options };
    this.a = new RouterHarness({ ...common, clientIdMin: RANGE, clientIdMax: 2 * RANGE - 1 });
    this.b = new RouterHarness({ ...common, clientIdMin: 2 * RANGE, clientIdMax: 3 * RANGE - 1 });
  }

  side(name: 'a' | 'b'): RouterHarness {
    return name === 'a' ? this.a : this.b;
  }

  /** Moves cluster events across until both sides are quiet. */
  pump(): void {
    for (let moved = true; moved; ) {
      moved = false;
      for (const [from, to, origin, target] of [
        [this.a, this.b, 'a', 'b'],
        [this.b, this.a, 'b', 'a'],
      ] as const) {
        for (let e = from.router.pollCluster(); e !== undefined; e = from.router.pollCluster()) {
          moved = true;
          this.published.push({ from: origin, event: e });
          apply(to, target, origin, e);
        }
        to.drain();
      }
    }
  }

  login(side: 'a' | 'b', user: number, presence = 3): number {
    const id = this.side(side).login(h(user), presence);
    this.pump();
    return id;
  }

  send(side: 'a' | 'b', conn: number, ...cmds: Parameters<RouterHarness['send']>[1][]): void {
    this.side(side).send(conn, ...cmds);
    this.pump();
  }

  disconnect(side: 'a' | 'b', conn: number): void {
    this.side(side).disconnect(conn);
    this.pump();
  }

  /** Both instances learn of a membership change (in the server, from the shared database). */
  join(user: number, room: number): void {
    for (const s of [this.a, this.b]) {
      s.router.joinRoom(h(user), h(room));
      s.drain();
    }
    this.pump();
  }

  leave(user: number, room: number): void {
    for (const s of [this.a, this.b]) {
      s.router.leaveRoom(h(user), h(room));
      s.drain();
    }
    this.pump();
  }

  advance(ms: number): void {
    this.a.advance(ms);
    this.b.advance(ms);
    this.pump();
  }

  /** Instance `side` vanished: the other drops its connections (lease expiry). */
  crash(side: 'a' | 'b'): void {
    const other = side === 'a' ? this.b : this.a;
    other.router.cluster.removeOrigin(side, other.now);
    other.drain();
  }
}

function apply(to: RouterHarness, toName: string, origin: string, e: RealtimeClusterEvent): void {
  const c = to.router.cluster;
  switch (e.type) {
    case 'conn':
      c.upsert({ origin, clientId: e.clientId, user: e.user, presence: e.presence, idle: e.idle }, to.now);
      return;
    case 'gone':
      c.remove(e.clientId, to.now);
      return;
    case 'in_call':
      c.inCall(e.clientId, e.room, e.status, to.now);
      return;
    case 'rtmsg':
      if (e.origins.includes(toName)) c.deliver(e);
      return;
  }
}

const pres = (cs: ServerCommand[]) =>
  cs
    .filter((c) => c.op === OP_PRES)
    .map((c) => [(c as { user: string }).user, (c as { presence: number }).presence]);
const rtmsgs = (cs: ServerCommand[]) => cs.filter((c) => c.op === OP_RTMSG);

describe('RealtimeRouter in cluster mode', () => {
  it('hands out client ids from its own range and wraps around within it', () => {
    const p = new ClusterPair();
    p.join(1, 100);
    const a = p.login('a', 1);
    const b = p.login('b', 1);
    expect(p.a.router.connection(a)?.clientId).toBe(RANGE);
    expect(p.b.router.connection(b)?.clientId).toBe(2 * RANGE);
    const top = new RouterHarness({
      clientIdMin: 8,
      clientIdMax: 1007,
      firstClientId: 1006,
      maxConnections: 10,
    });
    const ids = [1, 2, 3].map(() => top.router.connection(top.login(h(1)))?.clientId);
    expect(ids).toEqual([1006, 1007, 8]);
  });

  it('refuses a client id range that the connection limit could fill', () => {
    expect(() => new RouterHarness({ clientIdMin: 10, clientIdMax: 20, maxConnections: 11 })).toThrowError(
      /larger than maxConnections/,
    );
    expect(() => new RouterHarness({ clientIdMin: 10, clientIdMax: 2000, firstClientId: 5 })).toThrowError(
      /within clientIdMin/,
    );
  });

  it('delivers RTMSG (0, 0) to every member connection on both instances but the sender', () => {
    const p = new ClusterPair();
    for (const u of [1, 2, 3]) p.join(u, 100);
    const a1 = p.login('a', 1);
    const b1 = p.login('b', 1); // the sender's other device, on the other instance
    const b2 = p.login('b', 2);
    const a3 = p.login('a', 3);
    for (const c of [a1, a3]) p.a.take(c);
    for (const c of [b1, b2]) p.b.take(c);
    p.send('a', a1, {
      op: OP_RTMSG,
      room: h(100),
      receiverUser: ZERO,
      receiverClient: 0,
      msgtype: 9,
      data: Uint8Array.of(1, 2),
    });
    const senderId = p.a.router.connection(a1)!.clientId;
    for (const [side, conn] of [
      ['b', b1],
      ['b', b2],
      ['a', a3],
    ] as const) {
      const got = rtmsgs(p.side(side).take(conn));
      expect(got).toEqual([
        {
          op: OP_RTMSG,
          room: h(100),
          senderUser: h(1),
          senderClient: senderId,
          msgtype: 9,
          data: Uint8Array.of(1, 2),
        },
      ]);
    }
    expect(rtmsgs(p.a.take(a1))).toEqual([]);
    const forwarded = p.published.filter((x) => x.event.type === 'rtmsg');
    expect(forwarded.map((x) => (x.event as { origins: string[] }).origins)).toEqual([['b']]);
  });

  it('delivers (U, 0) and (U, C) across instances and refuses an unknown client', () => {
    const p = new ClusterPair();
    for (const u of [1, 2]) p.join(u, 100);
    const a1 = p.login('a', 1);
    const a2 = p.login('a', 2);
    const b2 = p.login('b', 2);
    const b2b = p.login('b', 2);
    for (const c of [a1, a2]) p.a.take(c);
    for (const c of [b2, b2b]) p.b.take(c);
    const msg = (user: string, client: number) =>
      ({
        op: OP_RTMSG,
        room: h(100),
        receiverUser: user,
        receiverClient: client,
        msgtype: 1,
        data: Uint8Array.of(7),
      }) as const;
    p.send('a', a1, msg(h(2), 0));
    expect(rtmsgs(p.a.take(a2))).toHaveLength(1);
    expect(rtmsgs(p.b.take(b2))).toHaveLength(1);
    expect(rtmsgs(p.b.take(b2b))).toHaveLength(1);
    const target = p.b.router.connection(b2b)!.clientId;
    p.send('a', a1, msg(h(2), target));
    expect(rtmsgs(p.b.take(b2b))).toHaveLength(1);
    expect(rtmsgs(p.b.take(b2))).toEqual([]);
    expect(rtmsgs(p.a.take(a2))).toEqual([]);
    // A client id nobody holds, and one held by another user.
    p.send('a', a1, msg(h(2), 3 * RANGE - 5));
    p.send('a', a1, msg(h(1), target));
    const rejects = p.a.take(a1).filter((c) => c.op === OP_REJECT);
    expect(rejects.map((c) => (c as { code: number }).code)).toEqual([
      RejectCode.UNKNOWN_CLIENT,
      RejectCode.UNKNOWN_CLIENT,
    ]);
  });

  it('forwards nothing while no receiver has a connection on another instance', () => {
    const p = new ClusterPair();
    for (const u of [1, 2]) p.join(u, 100);
    const a1 = p.login('a', 1);
    p.login('a', 2);
    p.published.length = 0;
    p.send('a', a1, {
      op: OP_RTMSG,
      room: h(100),
      receiverUser: ZERO,
      receiverClient: 0,
      msgtype: 1,
      data: Uint8Array.of(1),
    });
    expect(p.published).toEqual([]);
  });

  it('merges presence over the connections of every instance', () => {
    const p = new ClusterPair();
    for (const u of [1, 2]) p.join(u, 100);
    const watcher = p.login('b', 2);
    const a1 = p.login('a', 1, 3);
    expect(pres(p.b.take(watcher))).toContainEqual([h(1), 3]);
    const b1 = p.login('b', 1, 4);
    expect(pres(p.b.take(watcher))).toEqual([[h(1), 4]]);
    expect(pres(p.a.take(a1)).at(-1)).toEqual([ZERO, 4]); // its own merged presence
    // An idle-set lower value on the chattier device: the other device (3) now wins.
    p.send('b', b1, { op: OP_SETPRES, presence: 0x80 | 2 });
    expect(pres(p.b.take(watcher))).toEqual([[h(1), 3]]);
    // Invisible on one instance hides the user everywhere.
    p.send('a', a1, { op: OP_SETPRES, presence: 0 });
    expect(pres(p.b.take(watcher))).toEqual([[h(1), 0]]);
    expect(p.a.router.presenceOf(h(1))).toBe(0);
    p.disconnect('a', a1);
    expect(pres(p.b.take(watcher))).toEqual([[h(1), 2]]);
    // A login dump on one instance includes the users present only on the other.
    const late = p.login('a', 2);
    expect(pres(p.a.take(late))).toEqual([
      [h(1), 2],
      [ZERO, 3],
    ]);
  });

  it("takes a vanished instance's connections out of presence and calls", () => {
    const p = new ClusterPair({ inCallTimeoutMs: 10_000 });
    for (const u of [1, 2]) p.join(u, 100);
    const a1 = p.login('a', 1);
    const b2 = p.login('b', 2);
    p.send('a', a1, { op: OP_IN_CALL, room: h(100), status: 1 });
    p.send('b', b2, { op: OP_IN_CALL, room: h(100), status: 1 });
    expect(p.b.take(b2).filter((c) => c.op === OP_IN_CALL)).toEqual([
      { op: OP_IN_CALL, room: h(100), status: 1 },
    ]);
    p.crash('a');
    expect(p.b.take(b2).filter((c) => c.op === OP_IN_CALL || c.op === OP_PRES)).toEqual([
      { op: OP_IN_CALL, room: h(100), status: 0 },
      { op: OP_PRES, user: h(1), presence: 0 },
    ]);
    expect(p.b.router.cluster.remoteCount).toBe(0);
  });

  it('raises the in-call flag for two users on two instances and drops it when heartbeats stop', () => {
    const p = new ClusterPair({ inCallTimeoutMs: 1000 });
    for (const u of [1, 2, 3]) p.join(u, 100);
    const a1 = p.login('a', 1);
    const b2 = p.login('b', 2);
    const a3 = p.login('a', 3);
    p.send('a', a1, { op: OP_IN_CALL, room: h(100), status: 1 });
    expect(p.b.router.inCallFlag(h(100))).toBe(false);
    p.send('b', b2, { op: OP_IN_CALL, room: h(100), status: 1 });
    for (const s of [p.a, p.b]) expect(s.router.inCallFlag(h(100))).toBe(true);
    expect(p.a.take(a3).filter((c) => c.op === OP_IN_CALL)).toEqual([
      { op: OP_IN_CALL, room: h(100), status: 1 },
    ]);
    p.advance(600);
    p.send('a', a1, { op: OP_IN_CALL, room: h(100), status: 1 });
    p.advance(600); // b2's heartbeats stopped 1200 ms ago
    for (const s of [p.a, p.b]) expect(s.router.inCallFlag(h(100))).toBe(false);
    expect(p.a.take(a3).filter((c) => c.op === OP_IN_CALL)).toEqual([
      { op: OP_IN_CALL, room: h(100), status: 0 },
    ]);
    // A user who leaves the room leaves its call on every instance, remote connections included.
    p.send('b', b2, { op: OP_IN_CALL, room: h(100), status: 1 });
    expect(p.a.router.inCallUsers(h(100)).sort()).toEqual([h(1), h(2)]);
    p.leave(2, 100);
    expect(p.a.router.inCallUsers(h(100))).toEqual([h(1)]);
  });

  it('does not deliver a forwarded RTMSG from a sender this instance knows was kicked', () => {
    const p = new ClusterPair();
    for (const u of [1, 2]) p.join(u, 100);
    const a1 = p.login('a', 1);
    const b2 = p.login('b', 2);
    p.b.take(b2);
    // Only instance b has applied the kick when the message crosses.
    p.b.router.leaveRoom(h(1), h(100));
    p.b.drain();
    p.b.take(b2);
    p.send('a', a1, {
      op: OP_RTMSG,
      room: h(100),
      receiverUser: ZERO,
      receiverClient: 0,
      msgtype: 1,
      data: Uint8Array.of(1),
    });
    expect(rtmsgs(p.b.take(b2))).toEqual([]);
  });

  it('behaves like one server: every connection sees the same presence as on a single router', () => {
    const users = [1, 2, 3, 4];
    const op = fc.oneof(
      fc.record({
        k: fc.constant('login' as const),
        side: fc.constantFrom('a', 'b'),
        user: fc.constantFrom(...users),
        p: fc.integer({ min: 0, max: 255 }),
      }),
      fc.record({ k: fc.constant('setpres' as const), i: fc.nat(), p: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ k: fc.constant('close' as const), i: fc.nat() }),
      fc.record({
        k: fc.constant('join' as const),
        user: fc.constantFrom(...users),
        room: fc.constantFrom(100, 101),
      }),
      fc.record({
        k: fc.constant('leave' as const),
        user: fc.constantFrom(...users),
        room: fc.constantFrom(100, 101),
      }),
    );
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 40 }), (ops) => {
        const pair = new ClusterPair();
        const single = new RouterHarness({ maxConnections: 1000 });
        // Each open connection: its side and id in the pair, and its id on the single router.
        const conns: { side: 'a' | 'b'; id: number; single: number; user: number }[] = [];
        for (const o of ops) {
          if (o.k === 'login') {
            const id = pair.login(o.side, o.user, o.p);
            conns.push({ side: o.side, id, single: single.login(h(o.user), o.p), user: o.user });
          } else if (o.k === 'setpres' || o.k === 'close') {
            if (conns.length === 0) continue;
            const c = conns[o.i % conns.length]!;
            if (o.k === 'setpres') {
              pair.send(c.side, c.id, { op: OP_SETPRES, presence: o.p });
              single.send(c.single, { op: OP_SETPRES, presence: o.p });
            } else {
              conns.splice(conns.indexOf(c), 1);
              pair.disconnect(c.side, c.id);
              single.disconnect(c.single);
            }
          } else if (o.k === 'join') {
            pair.join(o.user, o.room);
            single.router.joinRoom(h(o.user), h(o.room));
            single.drain();
          } else {
            pair.leave(o.user, o.room);
            single.router.leaveRoom(h(o.user), h(o.room));
            single.drain();
          }
          for (const c of conns) {
            expect(view(pair.side(c.side).received.get(c.id))).toEqual(view(single.received.get(c.single)));
          }
          for (const u of users) expect(pair.a.router.presenceOf(h(u))).toBe(single.router.presenceOf(h(u)));
          for (const u of users) expect(pair.b.router.presenceOf(h(u))).toBe(single.router.presenceOf(h(u)));
        }
      }),
      { numRuns: 150 },
    );
  });
});

/** What a connection believes: the last presence it was told for each user. */
function view(cs: ServerCommand[] | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of cs ?? []) if (c.op === OP_PRES) out[c.user] = c.presence;
  for (const [k, v] of Object.entries(out)) if (v === 0) delete out[k];
  return out;
}
