import { describe, expect, it } from 'vitest';
import type { ServerCommand } from './commands.js';
import { OP_IN_CALL } from './opcodes.js';
import { h, RouterHarness } from './router-harness.js';

const [A, B, C] = [h(1), h(2), h(3)];
const ROOM = h(100);

const flag = (status: 0 | 1, room = ROOM): ServerCommand => ({ op: OP_IN_CALL, room, status });
const flags = (cmds: ServerCommand[]) => cmds.filter((c) => c.op === OP_IN_CALL);
const beat = (status: 0 | 1 = 1) => ({ op: OP_IN_CALL, room: ROOM, status }) as const;

function setup(options = {}) {
  const t = new RouterHarness(options);
  t.router.setRoomMembers(ROOM, [A, B, C]);
  const a1 = t.login(A);
  const a2 = t.login(A);
  const b = t.login(B);
  const c = t.login(C);
  t.clear();
  return { t, a1, a2, b, c, all: [a1, a2, b, c] };
}

describe('RealtimeRouter: in-call flag', () => {
  it('is raised when a second user joins the call, and sent to every connection of every member', () => {
    const { t, a1, b, all } = setup();
    t.send(a1, beat());
    for (const conn of all) expect(flags(t.take(conn))).toEqual([]);
    expect(t.router.inCallUsers(ROOM)).toEqual([A]);
    t.send(b, beat());
    for (const conn of all) expect(flags(t.take(conn))).toEqual([flag(1)]);
    expect(t.router.inCallFlag(ROOM)).toBe(true);
  });

  it('two devices of one user are one user: no flag', () => {
    const { t, a1, a2, b } = setup();
    t.send(a1, beat());
    t.send(a2, beat());
    expect(flags(t.take(b))).toEqual([]);
    expect(t.router.inCallFlag(ROOM)).toBe(false);
  });

  it('drops when a heartbeat stops for the timeout (default 10 s), kept alive by heartbeats', () => {
    const { t, a1, b, c } = setup();
    t.send(a1, beat());
    t.send(b, beat());
    t.clear();
    // A keeps beating every 3 s; B beats once more at 3 s then stops.
    for (let s = 1; s <= 5; s++) {
      t.advance(3000);
      t.send(a1, beat());
      if (s === 1) t.send(b, beat());
      const expectDrop = s === 5; // B's last beat at 3 s, due at 13 s; we are at 15 s
      expect(flags(t.take(c))).toEqual(expectDrop ? [flag(0)] : []);
    }
    expect(t.router.inCallUsers(ROOM)).toEqual([A]);
  });

  it('drops exactly at the configured timeout', () => {
    const { t, a1, b, c } = setup({ inCallTimeoutMs: 4000 });
    t.send(a1, beat());
    t.send(b, beat());
    t.advance(3999);
    expect(flags(t.take(c))).toEqual([flag(1)]);
    t.advance(1);
    expect(flags(t.take(c))).toEqual([flag(0)]);
  });

  it('drops when a user sends 0 or disconnects', () => {
    const { t, a1, a2, b, c } = setup();
    t.send(a1, beat());
    t.send(b, beat());
    t.send(b, beat(0));
    expect(flags(t.take(c))).toEqual([flag(1), flag(0)]);
    t.send(b, beat());
    t.send(a2, beat()); // A in the call on two devices
    t.disconnect(a1);
    expect(flags(t.take(c))).toEqual([flag(1)]); // A is still in it through a2
    t.disconnect(a2);
    expect(flags(t.take(c))).toEqual([flag(0)]);
  });

  it('a kicked user stops counting and hearing at once, and is told the flag is 0 for it', () => {
    const { t, a1, b, c } = setup();
    t.send(a1, beat());
    t.send(b, beat());
    t.clear();
    t.router.leaveRoom(B, ROOM);
    t.drain();
    expect(flags(t.take(c))).toEqual([flag(0)]);
    expect(flags(t.take(b))).toEqual([flag(0)]);
    t.send(c, beat());
    expect(flags(t.take(a1))).toEqual([flag(0), flag(1)]);
    expect(flags(t.take(b))).toEqual([]);
  });

  it('tells a user who joins a room with a call on, and a user who logs in', () => {
    const { t, a1, b } = setup();
    t.send(a1, beat());
    t.send(b, beat());
    const d = t.login(h(4));
    t.clear();
    t.router.joinRoom(h(4), ROOM);
    t.drain();
    expect(flags(t.take(d))).toEqual([flag(1)]);
    const d2 = t.login(h(4));
    expect(flags(t.take(d2))).toEqual([flag(1)]);
  });
});
