import { describe, expect, it } from 'vitest';
import type { ServerCommand } from './commands.js';
import { ZERO_HANDLE } from './handle.js';
import { OP_HELLO, OP_IN_CALL, OP_PRES, OP_SETPRES, PRESENCE_IDLE_FLAG } from './opcodes.js';
import { h, RouterHarness } from './router-harness.js';

const [A, B, C, D] = [h(1), h(2), h(3), h(4)];
const ROOM = h(100);
const ROOM2 = h(200);
const IDLE = PRESENCE_IDLE_FLAG;

const pres = (user: string, presence: number): ServerCommand => ({ op: OP_PRES, user, presence });
const presOf = (cmds: ServerCommand[]) => cmds.filter((c) => c.op === OP_PRES);

describe('RealtimeRouter: login dump', () => {
  it('sends HELLO, IN_CALL for rooms whose flag is 1, PRES of visible non-zero users, own PRES last', () => {
    const t = new RouterHarness();
    t.router.setRoomMembers(ROOM, [A, B, C]);
    t.router.setRoomMembers(ROOM2, [A, D]);
    t.router.setContacts(A, [h(5), h(6)]);
    t.router.setContacts(h(5), [A]); // mutual with A
    t.router.setContacts(h(6), []); // one-sided: A added 6, 6 did not add A
    const b = t.login(B, 4);
    const c = t.login(C, 2);
    t.login(D, 0); // invisible: shown as nothing
    t.login(h(5), 3);
    t.login(h(6), 3);
    t.send(b, { op: OP_IN_CALL, room: ROOM, status: 1 });
    t.send(c, { op: OP_IN_CALL, room: ROOM, status: 1 });
    t.clear();
    const a = t.login(A, 1);
    const got = t.take(a);
    expect(got[0]).toMatchObject({ op: OP_HELLO });
    expect(got[1]).toEqual({ op: OP_IN_CALL, room: ROOM, status: 1 });
    expect(new Set(got.slice(2, -1))).toEqual(new Set([pres(B, 4), pres(C, 2), pres(h(5), 3)]));
    expect(got.at(-1)).toEqual(pres(ZERO_HANDLE, 1));
    expect(got).toHaveLength(6);
    expect(t.messages.get(a)).toBe(1); // the whole login in one binary message
  });

  it('sends own PRES 0 last even when nothing else is visible', () => {
    const t = new RouterHarness();
    const a = t.login(A, 0);
    expect(t.take(a)).toEqual([{ op: OP_HELLO, clientId: 1 }, pres(ZERO_HANDLE, 0)]);
  });
});

describe('RealtimeRouter: presence merge over three devices', () => {
  it('keeps the most chatty value; idle-set values never override a chattier device', () => {
    const t = new RouterHarness();
    t.router.setRoomMembers(ROOM, [A, B]);
    const w = t.login(B); // a watcher
    const [d1, d2, d3] = [t.login(A, 3), t.login(A, 4), t.login(A, 2)];
    expect(t.router.presenceOf(A)).toBe(4);
    t.clear();

    // d2's idle timer says away (2): d1 is still online (3), so A becomes 3.
    t.send(d2, { op: OP_SETPRES, presence: IDLE | 2 });
    expect(presOf(t.take(w))).toEqual([pres(A, 3)]);
    for (const d of [d1, d2, d3]) expect(presOf(t.take(d))).toEqual([pres(ZERO_HANDLE, 3)]);

    // d1 idles to 2 too: A becomes 2. d3 idles to a higher value: it cannot raise, nothing sent.
    t.send(d1, { op: OP_SETPRES, presence: IDLE | 2 });
    t.send(d3, { op: OP_SETPRES, presence: IDLE | 4 });
    expect(presOf(t.take(w))).toEqual([pres(A, 2)]);
    expect(t.router.connection(d3)).toMatchObject({ presence: 2, idle: false });

    // Activity on d2: the user-set value comes back, and wins.
    t.send(d2, { op: OP_SETPRES, presence: 4 });
    expect(presOf(t.take(w))).toEqual([pres(A, 4)]);

    // The user picks 1 (do not disturb) on d2 while d1 is idle at 2: the merge still says 2.
    t.send(d2, { op: OP_SETPRES, presence: 1 });
    expect(presOf(t.take(w))).toEqual([pres(A, 2)]);
    expect(presOf(t.take(d2))).toEqual([pres(ZERO_HANDLE, 2), pres(ZERO_HANDLE, 4), pres(ZERO_HANDLE, 2)]);

    // Devices go away one by one; the last one leaving makes A offline.
    t.disconnect(d1);
    t.disconnect(d3);
    t.disconnect(d2);
    expect(presOf(t.take(w))).toEqual([pres(A, 1), pres(A, 0)]);
  });

  it('sends OP_PRES only on change', () => {
    const t = new RouterHarness();
    t.router.setRoomMembers(ROOM, [A, B]);
    const w = t.login(B);
    const a = t.login(A, 3);
    t.clear();
    t.send(
      a,
      { op: OP_SETPRES, presence: 3 },
      { op: OP_SETPRES, presence: 3 },
      { op: OP_SETPRES, presence: IDLE | 3 },
    );
    t.login(A, IDLE | 2); // a second device, idle and lower: no change
    expect(presOf(t.take(w))).toEqual([]);
    expect(presOf(t.take(a))).toEqual([]);
  });

  it('invisible: any device user-set to 0 makes the user 0 for everyone, own devices included', () => {
    const t = new RouterHarness();
    t.router.setRoomMembers(ROOM, [A, B]);
    const w = t.login(B);
    const a1 = t.login(A, 4);
    const a2 = t.login(A, 3);
    t.clear();
    t.send(a2, { op: OP_SETPRES, presence: 0 });
    expect(presOf(t.take(w))).toEqual([pres(A, 0)]);
    expect(presOf(t.take(a1))).toEqual([pres(ZERO_HANDLE, 0)]);
    // The idle timer of the invisible device cannot make it visible again.
    t.send(a2, { op: OP_SETPRES, presence: IDLE | 0 });
    t.send(a1, { op: OP_SETPRES, presence: 5 });
    const late = t.login(A, 6);
    expect(presOf(t.take(w))).toEqual([]);
    expect(presOf(t.take(late)).at(-1)).toEqual(pres(ZERO_HANDLE, 0));
    // Leaving invisible (user sets a value on that device) shows the merge again.
    t.send(a2, { op: OP_SETPRES, presence: 2 });
    expect(presOf(t.take(w))).toEqual([pres(A, 6)]);
  });

  it('an idle-set 0 is not invisible: the other devices still count', () => {
    const t = new RouterHarness();
    t.router.setRoomMembers(ROOM, [A, B]);
    const w = t.login(B);
    t.login(A, 3);
    const a2 = t.login(A, 4);
    t.clear();
    t.send(a2, { op: OP_SETPRES, presence: IDLE | 0 });
    expect(presOf(t.take(w))).toEqual([pres(A, 3)]);
  });
});

describe('RealtimeRouter: visibility', () => {
  it('mutual contacts see each other; one-sided contacts do not', () => {
    const t = new RouterHarness();
    t.router.setContacts(A, [B, C]);
    t.router.setContacts(B, [A]);
    t.router.setContacts(C, []);
    const b = t.login(B, 2);
    const c = t.login(C, 2);
    t.clear();
    const a = t.login(A, 3);
    expect(new Set(presOf(t.take(a)))).toEqual(new Set([pres(B, 2), pres(ZERO_HANDLE, 3)]));
    expect(presOf(t.take(b))).toEqual([pres(A, 3)]);
    expect(presOf(t.take(c))).toEqual([]);
  });

  it('a contact becoming mutual reveals both ways; removing it hides both ways with PRES 0', () => {
    const t = new RouterHarness();
    t.router.addContact(A, B);
    const a = t.login(A, 3);
    const b = t.login(B, 2);
    t.clear();
    t.router.addContact(B, A);
    t.drain();
    expect(presOf(t.take(a))).toEqual([pres(B, 2)]);
    expect(presOf(t.take(b))).toEqual([pres(A, 3)]);
    t.router.removeContact(A, B);
    t.drain();
    expect(presOf(t.take(a))).toEqual([pres(B, 0)]);
    expect(presOf(t.take(b))).toEqual([pres(A, 0)]);
  });

  it('leaving the last shared room hides both ways; leaving one of two shared rooms does not', () => {
    const t = new RouterHarness();
    t.router.setRoomMembers(ROOM, [A, B, C]);
    t.router.setRoomMembers(ROOM2, [A, B]);
    const a = t.login(A, 3);
    const b = t.login(B, 2);
    const c = t.login(C, 1);
    t.clear();
    t.router.leaveRoom(B, ROOM);
    t.drain();
    expect(presOf(t.take(a))).toEqual([]); // still share ROOM2
    expect(new Set(presOf(t.take(b)))).toEqual(new Set([pres(C, 0)]));
    expect(presOf(t.take(c))).toEqual([pres(B, 0)]);
    t.router.leaveRoom(B, ROOM2);
    t.drain();
    expect(presOf(t.take(a))).toEqual([pres(B, 0)]);
    expect(presOf(t.take(b))).toEqual([pres(A, 0)]);
  });

  it('joining a room reveals the members not already visible, both ways', () => {
    const t = new RouterHarness();
    t.router.setRoomMembers(ROOM, [A, B]);
    t.router.setContacts(C, [A]);
    t.router.setContacts(A, [C]);
    const a = t.login(A, 3);
    const b = t.login(B, 2);
    const c = t.login(C, 4);
    t.clear();
    t.router.joinRoom(C, ROOM);
    t.drain();
    expect(presOf(t.take(c))).toEqual([pres(B, 2)]); // A was already visible as a contact
    expect(presOf(t.take(b))).toEqual([pres(C, 4)]);
    expect(presOf(t.take(a))).toEqual([]);
  });

  it('setRoomMembers replaces the member list with joins and leaves', () => {
    const t = new RouterHarness();
    t.router.setRoomMembers(ROOM, [A, B]);
    const a = t.login(A, 3);
    t.login(B, 2);
    const c = t.login(C, 1);
    t.clear();
    t.router.setRoomMembers(ROOM, [A, C]);
    t.drain();
    expect(new Set(presOf(t.take(a)))).toEqual(new Set([pres(B, 0), pres(C, 1)]));
    expect(presOf(t.take(c))).toEqual([pres(A, 3)]);
  });

  it('rejects malformed or zero handles from the server with invalid_argument', () => {
    const t = new RouterHarness();
    expect(() => t.router.joinRoom('nope', ROOM)).toThrowError(
      expect.objectContaining({ code: 'invalid_argument' }),
    );
    expect(() => t.router.setRoomMembers(ZERO_HANDLE, [A])).toThrowError(
      expect.objectContaining({ code: 'invalid_argument' }),
    );
    expect(() => t.router.connect(1, ZERO_HANDLE, 0)).toThrowError(
      expect.objectContaining({ code: 'invalid_argument' }),
    );
  });
});
