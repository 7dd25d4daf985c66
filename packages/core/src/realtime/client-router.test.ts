import { describe, expect, it } from 'vitest';
import { FakeClock } from '../testing/fake-clock.js';
import { RealtimeClient } from './client.js';
import type { RealtimeClientEvent } from './client-events.js';
import type { RealtimeClientOptions } from './client-options.js';
import { RealtimeRouter } from './router.js';
import { h } from './router-harness.js';

// Clients and a router wired in memory, on one virtual clock: the quinn-proto "Pair" model.

const ROOM = h(100);
const [A, B] = [h(1), h(2)];

interface End {
  client: RealtimeClient;
  /** When true the network drops everything to and from this client (a dead link). */
  cut: boolean;
  events: RealtimeClientEvent[];
}

class Net {
  readonly clock = new FakeClock(0);
  readonly router: RealtimeRouter;
  readonly ends = new Map<number, End>();
  #next = 1;

  constructor(options: ConstructorParameters<typeof RealtimeRouter>[0] = {}) {
    this.router = new RealtimeRouter(options);
  }

  open(user: string, options: Partial<RealtimeClientOptions> = {}): End {
    const id = this.#next++;
    const end: End = { client: new RealtimeClient(options), cut: false, events: [] };
    this.ends.set(id, end);
    this.router.connect(id, user, this.clock.now());
    end.client.handleOpen(this.clock.now());
    this.pump();
    return end;
  }

  pump(): void {
    const now = this.clock.now();
    for (let moved = true; moved; ) {
      moved = false;
      for (const [id, end] of this.ends) {
        for (let t = end.client.pollTransmit(); t !== undefined; t = end.client.pollTransmit()) {
          moved = true;
          if ('close' in t) {
            this.router.disconnect(id, now);
            end.client.handleClose(now, t.close.code, t.close.reason);
          } else if (!end.cut) {
            this.router.handleMessage(id, t.bytes, now);
          }
        }
        for (let e = end.client.poll(); e !== undefined; e = end.client.poll()) end.events.push(e);
      }
      for (let out = this.router.poll(); out !== undefined; out = this.router.poll()) {
        moved = true;
        const end = this.ends.get(out.connId);
        if (end === undefined || end.cut) continue;
        if ('close' in out) end.client.handleClose(now, out.close.code, out.close.reason);
        else end.client.handleMessage(out.bytes, now);
      }
    }
  }

  advance(ms: number): void {
    const target = this.clock.now() + ms;
    for (;;) {
      const deadlines = [
        this.router.pollTimeout(),
        ...[...this.ends.values()].map((e) => e.client.pollTimeout()),
      ];
      const next = Math.min(...deadlines.filter((d): d is number => d !== undefined));
      if (!(next <= target)) break;
      this.clock.advance(Math.max(0, next - this.clock.now()));
      const now = this.clock.now();
      this.router.handleTimeout(now);
      for (const end of this.ends.values()) end.client.handleTimeout(now);
      this.pump();
    }
    this.clock.advance(target - this.clock.now());
  }
}

describe('RealtimeClient with RealtimeRouter', () => {
  it('merges idle timers over three devices: idle-set values never override a chattier device', () => {
    const net = new Net();
    net.router.setRoomMembers(ROOM, [A, B]);
    const opts = { idleAfterMs: 60_000, idlePresence: 2, presence: 3 };
    const [d1, d2, d3] = [net.open(A, opts), net.open(A, opts), net.open(A, { ...opts, presence: 4 })];
    const b = net.open(B);
    expect(b.client.presenceOf(A)).toBe(4);
    // Devices 1 and 3 see activity every 30 s; device 2 does not.
    for (let i = 0; i < 4; i++) {
      net.advance(30_000);
      d1.client.activity(net.clock.now());
      d3.client.activity(net.clock.now());
      net.pump();
    }
    expect(d2.client.idle).toBe(true);
    for (const d of [d1, d2, d3]) expect(d.client.ownPresence).toBe(4);
    expect(b.client.presenceOf(A)).toBe(4);
    // Device 3 (the chattiest) goes quiet too while device 1 stays active: A falls to device 1's
    // user-set 3, not to the idle 2 of devices 2 and 3.
    for (let i = 0; i < 2; i++) {
      net.advance(30_000);
      d1.client.activity(net.clock.now());
      net.pump();
    }
    expect(d3.client.idle).toBe(true);
    expect(b.client.presenceOf(A)).toBe(3);
    // Everyone idle: 2. Activity on any device restores its user-set value: 3.
    net.advance(60_000);
    expect(b.client.presenceOf(A)).toBe(2);
    d2.client.activity(net.clock.now());
    net.pump();
    expect(b.client.presenceOf(A)).toBe(3);
    for (const d of [d1, d2, d3]) expect(d.client.ownPresence).toBe(3);
    expect(b.events.filter((e) => e.type === 'presence').map((e) => 'presence' in e && e.presence)).toEqual([
      4, 3, 2, 3,
    ]);
  });

  it('raises the in-call flag at two users and drops it when one heartbeat stops', () => {
    const net = new Net();
    net.router.setRoomMembers(ROOM, [A, B, h(3)]);
    const a = net.open(A, { idleAfterMs: 0 });
    const b = net.open(B, { idleAfterMs: 0 });
    const c = net.open(h(3), { idleAfterMs: 0 });
    a.client.setInCall(ROOM, true, net.clock.now());
    net.pump();
    expect(c.client.inCallFlag(ROOM)).toBe(false);
    b.client.setInCall(ROOM, true, net.clock.now());
    net.pump();
    expect(c.client.inCallFlag(ROOM)).toBe(true);
    net.advance(30_000); // heartbeats keep it up
    expect(c.client.inCallFlag(ROOM)).toBe(true);
    b.cut = true; // B's link dies silently: its heartbeats stop arriving
    net.advance(9_000);
    expect(c.client.inCallFlag(ROOM)).toBe(true); // B's last beat (at 30 s) still counts
    net.advance(1_000);
    expect(c.client.inCallFlag(ROOM)).toBe(false);
    const flagEvents = c.events.filter((e) => e.type === 'in_call');
    expect(flagEvents).toEqual([
      { type: 'in_call', room: ROOM, flag: true },
      { type: 'in_call', room: ROOM, flag: false },
    ]);
    expect(net.router.inCallUsers(ROOM)).toEqual([A]);
    // B's client notices the dead server on its side: a KEEPALIVE goes unanswered.
    net.advance(15_000);
    expect(b.events.map((e) => e.type)).toContain('dead');
  });

  it('routes an RTMSG from one client to another and reports a reject as an event', () => {
    const net = new Net();
    net.router.setRoomMembers(ROOM, [A, B]);
    const a = net.open(A);
    const b = net.open(B);
    a.client.sendRtmsg(
      { room: ROOM, user: B, client: b.client.clientId, msgtype: 5, data: new Uint8Array([9]) },
      0,
    );
    a.client.sendRtmsg({ room: h(999), msgtype: 5, data: new Uint8Array() }, 0);
    net.pump();
    expect(b.events.filter((e) => e.type === 'rtmsg')).toMatchObject([
      { senderUser: A, senderClient: a.client.clientId, msgtype: 5, data: new Uint8Array([9]) },
    ]);
    expect(a.events.filter((e) => e.type === 'reject')).toEqual([
      { type: 'reject', refusedOp: 22, room: h(999), code: 1 },
    ]);
  });

  it('a client whose link is quiet but alive stays connected for hours (keepalives)', () => {
    const net = new Net();
    const a = net.open(A, { idleAfterMs: 0 });
    net.advance(3 * 3600_000);
    expect(a.client.state).toBe('logged_in');
    expect(net.router.connectionCount).toBe(1);
  });
});
