import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../io.js';
import { ClientTestWorld } from './testing/harness.js';

/** Lets every pending promise callback and microtask run before the test goes on. */
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

class World extends ClientTestWorld {
  constructor() {
    super(settle);
  }
}

describe('ParleyClient: account, rooms and messages against the in-memory server', () => {
  it('registers, syncs its room list, and replaces a local echo with the server event', async () => {
    const w = new World();
    const alice = w.client();
    const echoes: string[] = [];
    alice.on('echo', (_room, _txn, status) => echoes.push(status));
    const creds = await alice.register({ username: 'alice', password: 'pw' });
    expect(creds.userId).toBe('@alice:mini');
    const { roomId } = await alice.createRoom({ name: 'Lobby' });
    await alice.openRoom(roomId);
    await w.until(() => alice.connection === 'online');
    expect(alice.rooms.map((r) => r.name)).toContain('Lobby');

    const echo = await alice.sendText(roomId, 'hello');
    expect(echo.status).toBe('sending');
    expect(alice.room(roomId)?.timeline.items.at(-1)?.txnId).toBe(echo.txnId);
    const eventId = await alice.whenSent(echo.txnId as string);
    await w.until(() => alice.room(roomId)?.timeline.items.at(-1)?.status === 'remote');
    const last = alice.room(roomId)?.timeline.items.at(-1);
    expect(last?.eventId).toBe(eventId);
    expect(last?.txnId).toBe(echo.txnId);
    expect(last?.content.body).toBe('hello');
    expect(alice.room(roomId)?.timeline.items.filter((i) => i.content.body === 'hello')).toHaveLength(1);
    expect(echoes[0]).toBe('sending');
    expect(echoes).toContain('replaced');
    await alice.stop();
  });

  it('delivers room messages, members and typing between two users', async () => {
    const w = new World();
    const alice = w.client();
    const bob = w.client();
    await alice.register({ username: 'alice', password: 'pw' });
    await bob.register({ username: 'bob', password: 'pw' });
    const { roomId } = await alice.createRoom({ name: 'Chat' });
    await bob.joinRoom(roomId);
    await alice.openRoom(roomId);
    await bob.openRoom(roomId);
    const typing: string[][] = [];
    alice.on('typing', (_r, ids) => typing.push([...ids]));
    await bob.setTyping(roomId, true);
    await w.until(() => typing.some((t) => t.includes('@bob:mini')));
    await bob.sendText(roomId, 'hi alice');
    await w.until(
      () => alice.room(roomId)?.timeline.items.some((i) => i.content.body === 'hi alice') === true,
    );
    expect([...(alice.room(roomId)?.members.keys() ?? [])].sort()).toEqual(['@alice:mini', '@bob:mini']);
    await alice.stop();
    await bob.stop();
  });

  it('delivers a to-device message to every device of the user', async () => {
    const w = new World();
    const a1 = w.client();
    const a2 = w.client();
    const bob = w.client();
    await a1.register({ username: 'alice', password: 'pw' });
    await a2.login({ user: 'alice', password: 'pw' });
    await bob.register({ username: 'bob', password: 'pw' });
    const got: Array<[string, unknown]> = [];
    a1.on('toDevice', (m) => got.push(['a1', m.content]));
    a2.on('toDevice', (m) => got.push(['a2', m.content]));
    await bob.sendToDevice('m.ping', { '@alice:mini': { '*': { n: 1 } } });
    await w.until(() => got.length >= 2);
    expect(got.sort()).toEqual([
      ['a1', { n: 1 }],
      ['a2', { n: 1 }],
    ]);
    for (const c of [a1, a2, bob]) await c.stop();
  });

  it('pages the room list and a room history on request', async () => {
    const w = new World();
    const alice = w.client(new MemoryStore(), { sync: { roomListLimit: 2, timelineLimit: 5 } });
    await alice.register({ username: 'alice', password: 'pw' });
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await alice.createRoom({ name: `room ${i}` })).roomId);
    const lister = w.client(new MemoryStore(), { sync: { roomListLimit: 2, timelineLimit: 5 } });
    await lister.login({ user: 'alice', password: 'pw' });
    await w.until(() => lister.rooms.length === 2);
    expect(await lister.loadMoreRooms()).toBe(true);
    await w.until(() => lister.rooms.length === 4);
    expect(await lister.loadMoreRooms()).toBe(true);
    await w.until(() => lister.rooms.length === 5);
    expect(await lister.loadMoreRooms()).toBe(false);

    const roomId = ids[0] as string;
    for (let i = 0; i < 30; i++) await alice.sendText(roomId, `m${i}`);
    await w.until(() => alice.pending.length === 0);
    await lister.openRoom(roomId);
    await w.until(() => (lister.room(roomId)?.timeline.events.length ?? 0) === 5);
    const older = await lister.loadOlder(roomId, { limit: 20 });
    expect(older.map((i) => i.content.body).slice(-3)).toEqual(['m22', 'm23', 'm24']);
    while (!(lister.room(roomId)?.timeline.atStart ?? true)) await lister.loadOlder(roomId, { limit: 20 });
    const bodies = lister
      .room(roomId)
      ?.timeline.events.filter((e) => e.type === 'm.room.message')
      .map((e) => e.content.body);
    expect(bodies).toEqual(Array.from({ length: 30 }, (_, i) => `m${i}`));
    await alice.stop();
    await lister.stop();
  });

  it('maps a wrong password to M_FORBIDDEN and refuses to send while logged out', async () => {
    const w = new World();
    const alice = w.client();
    await alice.register({ username: 'alice', password: 'pw' });
    await alice.logout();
    await expect(alice.login({ user: 'alice', password: 'nope' })).rejects.toMatchObject({
      code: 'M_FORBIDDEN',
      httpStatus: 403,
    });
    await expect(alice.sendText('!r:mini', 'x')).rejects.toMatchObject({ code: 'M_MISSING_TOKEN' });
    expect(alice.connection).toBe('offline');
  });

  it('honours an aborted signal before doing anything', async () => {
    const w = new World();
    const alice = w.client(new MemoryStore());
    const ac = new AbortController();
    ac.abort();
    await expect(alice.start({ signal: ac.signal })).rejects.toMatchObject({ code: 'aborted' });
    await expect(
      alice.register({ username: 'a', password: 'b' }, { signal: ac.signal }),
    ).rejects.toMatchObject({
      code: 'aborted',
    });
    expect(w.server.log).toEqual([]);
  });
});
