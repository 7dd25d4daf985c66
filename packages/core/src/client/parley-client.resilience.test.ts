import { describe, expect, it } from 'vitest';
import type { ParleyError } from '../errors.js';
import { MemoryStore } from '../io.js';
import type { ReconnectContext } from './reconnect-policy.js';
import { ClientTestWorld } from './testing/harness.js';

/** Lets every pending promise callback and microtask run before the test goes on. */
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

class World extends ClientTestWorld {
  constructor() {
    super(settle);
  }
}

describe('ParleyClient outbox across offline time and a reload', () => {
  it('keeps messages composed offline, shows the cached room at once after a reload, and delivers each once with its original txnId', async () => {
    const w = new World();
    const store = new MemoryStore();
    const alice = w.client(store);
    await alice.register({ username: 'alice', password: 'pw' });
    const { roomId } = await alice.createRoom({ name: 'Lobby' });
    await alice.openRoom(roomId);
    await alice.sendText(roomId, 'before');
    await w.until(() => alice.pending.length === 0 && alice.connection === 'online');
    await w.run(1000);

    // The network goes away; two messages are composed; the first reached the server but its
    // answer was lost, which is the case where a naive retry would duplicate it.
    w.server.loseSendAnswers = 1;
    const one = await alice.sendText(roomId, 'one');
    await settle();
    w.server.online = false;
    w.server.realtime.frozen = true;
    const two = await alice.sendText(roomId, 'two');
    // The dead socket is noticed by keepalive (20 s of silence, then 10 s without an answer).
    await w.run(45_000);
    expect(alice.pending.map((p) => p.txnId)).toEqual([one.txnId, two.txnId]);
    expect(alice.connection).not.toBe('online');
    await alice.stop();

    // Reload: a new client on the same store, still offline.
    const reloaded = w.client(store);
    const sessions: Array<string | undefined> = [];
    reloaded.on('session', (c) => sessions.push(c?.userId));
    await reloaded.start();
    expect(sessions).toEqual(['@alice:mini']);
    const room = reloaded.room(roomId);
    expect(room?.name).toBe('Lobby');
    expect(room?.timeline.items.map((i) => [i.content.body, i.status])).toEqual([
      ...(room?.timeline.events.map((e) => [e.content.body, 'remote']) ?? []),
      ['one', 'sending'],
      ['two', 'sending'],
    ]);
    expect(room?.timeline.events.some((e) => e.content.body === 'before')).toBe(true);

    w.server.online = true;
    w.server.realtime.frozen = false;
    await w.until(() => reloaded.pending.length === 0);
    await w.until(
      () => reloaded.room(roomId)?.timeline.items.filter((i) => i.status === 'remote').length === 4 + 0,
    );
    expect(await w.server.messageBodies(roomId)).toEqual(['before', 'one', 'two']);
    const sends = w.server.log.filter((l) => l.method === 'PUT' && l.path.includes('/send/'));
    const txnsSent = new Set(sends.map((l) => l.path.split('/').at(-1)));
    expect(txnsSent.has(one.txnId as string)).toBe(true);
    expect(txnsSent.has(two.txnId as string)).toBe(true);
    expect(sends.filter((l) => l.path.endsWith(`/${one.txnId}`)).length).toBeGreaterThanOrEqual(2);
    const bodies = reloaded.room(roomId)?.timeline.items.map((i) => i.content.body);
    expect(bodies?.filter((b) => b === 'one')).toHaveLength(1);
    await reloaded.stop();
  });
});

describe('ParleyClient reconnects', () => {
  it('comes back by itself after a server restart (new sync session, new realtime socket)', async () => {
    const w = new World();
    const alice = w.client();
    const bob = w.client();
    await alice.register({ username: 'alice', password: 'pw' });
    await bob.register({ username: 'bob', password: 'pw' });
    const { roomId } = await alice.createRoom({ name: 'R' });
    await bob.joinRoom(roomId);
    await alice.openRoom(roomId);
    await w.until(() => alice.connection === 'online' && bob.connection === 'online');
    const warnings: string[] = [];
    alice.on('warning', (e) => warnings.push(e.code));
    const socketsBefore = w.server.realtime.opened.length;

    w.server.restart();
    await w.until(() => alice.connection !== 'online');
    await w.until(() => alice.connection === 'online' && bob.connection === 'online');
    expect(w.server.realtime.opened.length).toBe(socketsBefore + 2);
    await bob.sendText(roomId, 'after restart');
    await w.until(
      () => alice.room(roomId)?.timeline.items.some((i) => i.content.body === 'after restart') === true,
    );
    expect(warnings).toContain('1012');
    await alice.stop();
    await bob.stop();
  });

  it('detects a dead realtime connection by keepalive and reconnects', async () => {
    const w = new World();
    const alice = w.client();
    await alice.register({ username: 'alice', password: 'pw' });
    await w.until(() => alice.connection === 'online');
    const opened = w.server.realtime.opened.length;
    const warnings: string[] = [];
    alice.on('warning', (e) => warnings.push(e.code));
    w.server.realtime.frozen = true;
    // keepalive after 20 s of silence, declared dead 10 s later
    await w.until(() => alice.connection !== 'online', 40_000);
    expect(warnings).toContain('1001');
    w.server.realtime.frozen = false;
    await w.until(() => alice.connection === 'online', 60_000);
    expect(w.server.realtime.opened.length).toBeGreaterThan(opened);
    await alice.stop();
  });

  it('flap guard: a connection dropped right after opening does not reset the backoff', async () => {
    const w = new World();
    const seen: ReconnectContext[] = [];
    const alice = w.client(new MemoryStore(), {
      reconnectPolicy: {
        nextDelay: (c) => {
          seen.push(c);
          return 1000 * 2 ** Math.min(c.attempt, 5);
        },
      },
      stableAfterMs: 10_000,
    });
    await alice.register({ username: 'alice', password: 'pw' });
    await w.until(() => alice.connection === 'online');
    w.server.realtime.dropOnOpen = true;
    w.server.restart();
    await w.run(30_000);
    const realtimeAttempts = seen.filter((c) => c.lastError?.code === '1011' || c.lastError?.code === '1012');
    expect(realtimeAttempts.length).toBeGreaterThanOrEqual(3);
    const attempts = realtimeAttempts.map((c) => c.attempt);
    expect(attempts.slice(0, 4)).toEqual([0, 1, 2, 3]);
    // Let a connection stay up past stableAfterMs, then drop it: the backoff starts over.
    w.server.realtime.dropOnOpen = false;
    await w.until(() => alice.connection === 'online', 120_000);
    await w.run(11_000);
    seen.length = 0;
    w.server.restart();
    await w.run(100);
    expect(seen.find((c) => c.lastError?.code === '1012')?.attempt).toBe(0);
    await alice.stop();
  });
});

describe('ParleyClient.reconnectNow', () => {
  it('cuts a long backoff short when the platform says the network is back', async () => {
    const w = new World();
    const alice = w.client(new MemoryStore(), { reconnectPolicy: { nextDelay: () => 600_000 } });
    await alice.register({ username: 'alice', password: 'pw' });
    await w.until(() => alice.connection === 'online');
    w.server.online = false;
    w.server.restart();
    await w.until(() => alice.connection === 'connecting');
    await w.run(5_000);
    w.server.online = true;
    await w.run(5_000);
    expect(alice.connection).toBe('connecting');
    alice.reconnectNow();
    await w.until(() => alice.connection === 'online', 2_000);
    await alice.stop();
  });
});

describe('ParleyClient session end', () => {
  it('stops on M_UNKNOWN_TOKEN, keeps the outbox, and sends it once after logging in again on the same device', async () => {
    const w = new World();
    const store = new MemoryStore();
    const alice = w.client(store);
    const creds = await alice.register({ username: 'alice', password: 'pw' });
    const { roomId } = await alice.createRoom({ name: 'R' });
    await w.until(() => alice.connection === 'online');
    const ended: ParleyError[] = [];
    alice.on('sessionEnded', (e) => ended.push(e));
    w.server.revokeTokens(creds.userId);
    const msg = await alice.sendText(roomId, 'kept');
    await w.until(() => ended.length > 0);
    expect(ended[0]?.code).toBe('M_UNKNOWN_TOKEN');
    expect(alice.connection).toBe('offline');
    expect(alice.credentials).toBeUndefined();
    expect(alice.pending.map((p) => p.txnId)).toEqual([msg.txnId]);

    const again = await alice.login({ user: 'alice', password: 'pw' });
    expect(again.deviceId).toBe(creds.deviceId);
    await w.until(() => alice.pending.length === 0);
    expect(await w.server.messageBodies(roomId)).toEqual(['kept']);
    await alice.stop();
  });
});
