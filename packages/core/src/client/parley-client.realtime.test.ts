import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../io.js';
import type { RealtimeMessage } from './client-events.js';
import type { ParleyClient } from './parley-client.js';
import { ClientTestWorld } from './testing/harness.js';

/** Lets every pending promise callback and microtask run before the test goes on. */
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

class World extends ClientTestWorld {
  constructor() {
    super(settle);
  }
}

async function threeInARoom() {
  const w = new World();
  const alice1 = w.client();
  const alice2 = w.client();
  const bob = w.client();
  await alice1.register({ username: 'alice', password: 'pw' });
  await alice2.login({ user: 'alice', password: 'pw' });
  await bob.register({ username: 'bob', password: 'pw' });
  const { roomId } = await alice1.createRoom({ name: 'Call room' });
  await bob.joinRoom(roomId);
  for (const c of [alice1, alice2, bob]) await c.openRoom(roomId);
  await w.until(() =>
    [alice1, alice2, bob].every((c) => c.connection === 'online' && c.room(roomId)?.roomHandle !== undefined),
  );
  await w.until(() => [alice1, alice2, bob].every((c) => (c.room(roomId)?.members.size ?? 0) === 2));
  return { w, alice1, alice2, bob, roomId };
}

function inbox(c: ParleyClient): RealtimeMessage[] {
  const got: RealtimeMessage[] = [];
  c.on('rtmsg', (m) => got.push(m));
  return got;
}

const text = (m: RealtimeMessage | undefined) => (m ? new TextDecoder().decode(m.data) : undefined);

describe('ParleyClient realtime: RTMSG addressing', () => {
  it('reaches the room, one user, or one connection, and never echoes to the sender connection', async () => {
    const { w, alice1, alice2, bob, roomId } = await threeInARoom();
    const [a1, a2, b] = [inbox(alice1), inbox(alice2), inbox(bob)];
    const send = (from: ParleyClient, body: string, to: { userId?: string; clientId?: number } = {}) =>
      from.sendRealtime({ roomId, msgtype: 7, data: new TextEncoder().encode(body), ...to });

    send(bob, 'to room');
    await w.run(100);
    expect([a1, a2, b].map((x) => x.map(text))).toEqual([['to room'], ['to room'], []]);
    expect(a1[0]).toMatchObject({
      roomId,
      senderUserId: '@bob:mini',
      senderClientId: bob.clientId,
      msgtype: 7,
    });

    send(alice1, 'to bob', { userId: '@bob:mini' });
    await w.run(100);
    expect(b.map(text)).toEqual(['to bob']);

    send(bob, 'to alice2 only', { userId: '@alice:mini', clientId: alice2.clientId });
    await w.run(100);
    expect(a2.map(text)).toEqual(['to room', 'to alice2 only']);
    expect(a1.map(text)).toEqual(['to room']);

    // Alice's broadcast reaches her other device but not the sending connection.
    send(alice1, 'from alice1');
    await w.run(100);
    expect(a2.map(text).at(-1)).toBe('from alice1');
    expect(a1.map(text)).not.toContain('from alice1');
    for (const c of [alice1, alice2, bob]) await c.stop();
  });

  it('reports a refused command and refuses to send while disconnected', async () => {
    const { w, alice1, alice2, bob, roomId } = await threeInARoom();
    const rejects: number[] = [];
    bob.on('reject', (r) => rejects.push(r.code));
    bob.sendRealtime({
      roomId,
      userId: '@alice:mini',
      clientId: 0xfffffff0,
      msgtype: 1,
      data: new Uint8Array(1),
    });
    await w.run(100);
    expect(rejects).toEqual([3]);
    await bob.stop();
    expect(() => bob.sendRealtime({ roomId, msgtype: 1, data: new Uint8Array(1) })).toThrow(/not connected/);
    expect(() =>
      alice1.sendRealtime({ roomId: '!unknown:mini', msgtype: 1, data: new Uint8Array(1) }),
    ).toThrow(/No realtime handle/);
    await alice1.stop();
    await alice2.stop();
  });
});

describe('ParleyClient realtime: presence and calls', () => {
  it('sees room peers, merges own presence over devices, and lowers it only by the idle timer of every device', async () => {
    const w = new World();
    const opts = { realtime: { presence: 3, idlePresence: 1, idleAfterMs: 60_000 } };
    const alice1 = w.client(new MemoryStore(), opts);
    const alice2 = w.client(new MemoryStore(), opts);
    const bob = w.client(new MemoryStore(), opts);
    await alice1.register({ username: 'alice', password: 'pw' });
    await alice2.login({ user: 'alice', password: 'pw' });
    await bob.register({ username: 'bob', password: 'pw' });
    const { roomId } = await alice1.createRoom({ name: 'R' });
    await bob.joinRoom(roomId);
    await bob.openRoom(roomId);
    await w.until(() => bob.presenceOf('@alice:mini') === 3 && alice1.ownPresence === 3);
    expect(alice1.presenceOf('@alice:mini')).toBe(3);

    // alice2 goes idle-prone; alice1 stays active: the merged value stays 3.
    for (let i = 0; i < 8; i++) {
      alice1.activity();
      await w.run(10_000);
    }
    expect(alice1.ownPresence).toBe(3);
    expect(bob.presenceOf('@alice:mini')).toBe(3);
    // Both idle: it drops to the idle value, and activity brings it back.
    await w.run(70_000);
    expect(bob.presenceOf('@alice:mini')).toBe(1);
    expect(alice2.ownPresence).toBe(1);
    alice2.activity();
    await w.until(() => bob.presenceOf('@alice:mini') === 3);
    // Invisible on one device hides the user.
    alice1.setPresence(0);
    await w.until(() => bob.presenceOf('@alice:mini') === 0);
    expect(alice2.ownPresence).toBe(0);
    for (const c of [alice1, alice2, bob]) await c.stop();
  });

  it('sees contacts only when both added each other', async () => {
    const w = new World();
    const alice = w.client();
    const carol = w.client();
    await alice.register({ username: 'alice', password: 'pw' });
    await carol.register({ username: 'carol', password: 'pw' });
    await w.until(() => alice.connection === 'online' && carol.connection === 'online');
    await alice.addContact('@carol:mini');
    await w.run(500);
    expect(alice.presenceOf('@carol:mini')).toBe(0);
    await carol.addContact('@alice:mini');
    await w.until(() => alice.presenceOf('@carol:mini') === 2 && carol.presenceOf('@alice:mini') === 2);
    expect(alice.contacts.get('@carol:mini')).toBe(w.server.handleOf('@carol:mini'));
    // Another device of Alice learns the contact list from the server.
    const alice2 = w.client();
    await alice2.login({ user: 'alice', password: 'pw' });
    await w.until(() => alice2.contacts.has('@carol:mini'));
    await w.until(() => alice2.presenceOf('@carol:mini') === 2);
    await alice2.stop();
    const seen: Array<[string | undefined, number]> = [];
    alice.on('presence', (u, _h, p) => seen.push([u, p]));
    await carol.stop();
    await w.until(() => alice.presenceOf('@carol:mini') === 0);
    expect(seen).toEqual([['@carol:mini', 0]]);
    await alice.stop();
  });

  it('raises the in-call flag at two users, keeps it by heartbeats, and drops it when one leaves', async () => {
    const { w, alice1, alice2, bob, roomId } = await threeInARoom();
    const flags: boolean[] = [];
    alice2.on('inCall', (_room, flag) => flags.push(flag));
    alice1.joinCall(roomId);
    await w.run(1000);
    expect(alice2.room(roomId)?.inCall).toBe(false);
    bob.joinCall(roomId);
    await w.until(() => alice2.room(roomId)?.inCall === true);
    await w.run(60_000);
    expect(alice2.room(roomId)?.inCall).toBe(true);
    bob.leaveCall(roomId);
    await w.until(() => alice2.room(roomId)?.inCall === false);
    expect(flags).toEqual([true, false]);
    for (const c of [alice1, alice2, bob]) await c.stop();
  });

  it('after a reconnect, users who went offline meanwhile are shown offline', async () => {
    const w = new World();
    const alice = w.client();
    const bob = w.client();
    await alice.register({ username: 'alice', password: 'pw' });
    await bob.register({ username: 'bob', password: 'pw' });
    const { roomId } = await alice.createRoom({ name: 'R' });
    await bob.joinRoom(roomId);
    await alice.openRoom(roomId);
    await w.until(() => alice.presenceOf('@bob:mini') === 2);
    // Alice's network dies; Bob leaves while she cannot hear it; then she reconnects.
    w.server.realtime.frozen = true;
    await bob.stop();
    await w.run(31_000);
    w.server.realtime.frozen = false;
    await w.until(() => alice.connection === 'online', 60_000);
    await w.run(1000);
    expect(alice.presenceOf('@bob:mini')).toBe(0);
    await alice.stop();
  });
});
