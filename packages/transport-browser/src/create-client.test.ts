import 'fake-indexeddb/auto';
import type { ParleyClient } from '@parley/core';
import { FakeClock, ParleyTestServer } from '@parley/core/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createClient } from './create-client.js';
import { IdbStore } from './idb-store.js';
import { tabSyncKey } from './tab-session.js';
import { watchBrowser } from './watch-browser.js';

// The network is blocked: the clients below talk only to the in-memory server they are handed.
beforeEach(() => {
  vi.stubGlobal('fetch', () => {
    throw new Error('network blocked in tests: unexpected fetch');
  });
  vi.stubGlobal(
    'WebSocket',
    class {
      constructor() {
        throw new Error('network blocked in tests: unexpected WebSocket');
      }
    },
  );
});
const clients: ParleyClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.stop();
  vi.unstubAllGlobals();
});

const until = async (predicate: () => boolean, ms = 5000): Promise<void> => {
  const end = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
};

let db = 0;
function world() {
  const server = new ParleyTestServer(new FakeClock());
  const database = `parley-e2e-${db++}`;
  const make = () => {
    const c = createClient({
      baseUrl: 'https://chat.example',
      database,
      http: server.http,
      webSocket: server.realtime.webSocket,
      sync: { timeoutMs: 1000 },
    });
    clients.push(c);
    return c;
  };
  return { server, database, make };
}

describe('createClient (browser) with IndexedDB', () => {
  it('shows the cached room and its timeline at once after a reload, from IndexedDB', async () => {
    const { make, database } = world();
    const tab = make();
    await tab.register({ username: 'dana', password: 'pw' });
    const { roomId } = await tab.createRoom({ name: 'Cached' });
    await tab.openRoom(roomId);
    const echo = await tab.sendText(roomId, 'stored in idb');
    await tab.whenSent(echo.txnId as string);
    await until(() => tab.room(roomId)?.timeline.items.at(-1)?.status === 'remote');
    await tab.stop();
    expect((await new IdbStore({ name: database }).keys('cache/')).length).toBeGreaterThan(0);

    const reloaded = make();
    expect(await reloaded.start()).toBe(true);
    expect(reloaded.room(roomId)?.name).toBe('Cached');
    expect(reloaded.room(roomId)?.timeline.items.map((i) => i.content.body)).toContain('stored in idb');
  });

  it('sends a message composed offline once, with its original txnId, after the reload that brings the network back', async () => {
    const { make, server } = world();
    const tab = make();
    await tab.register({ username: 'erin', password: 'pw' });
    const { roomId } = await tab.createRoom({ name: 'Offline' });
    await until(() => tab.connection === 'online');
    server.online = false;
    const echo = await tab.sendText(roomId, 'composed offline');
    await new Promise((r) => setTimeout(r, 50));
    expect(tab.pending.map((p) => p.txnId)).toEqual([echo.txnId]);
    await tab.stop();

    server.online = true;
    const reloaded = make();
    await reloaded.start();
    await until(() => reloaded.pending.length === 0);
    expect(await server.messageBodies(roomId)).toEqual(['composed offline']);
    const sends = server.log.filter((l) => l.path.includes('/send/')).map((l) => l.path.split('/').at(-1));
    expect(new Set(sends)).toEqual(new Set([echo.txnId]));
  });
});

describe('watchBrowser', () => {
  it('turns input into activity (throttled) and the online event into an immediate reconnect', () => {
    const client = { activity: vi.fn(), reconnectNow: vi.fn() } as unknown as ParleyClient;
    const stop = watchBrowser(client, { throttleMs: 1000 });
    window.dispatchEvent(new Event('keydown'));
    window.dispatchEvent(new Event('pointerdown'));
    expect(client.activity).toHaveBeenCalledTimes(1);
    window.dispatchEvent(new Event('online'));
    expect(client.reconnectNow).toHaveBeenCalledTimes(1);
    stop();
    window.dispatchEvent(new Event('online'));
    expect(client.reconnectNow).toHaveBeenCalledTimes(1);
  });
});

describe('tab sync sessions', () => {
  /** A Web Locks stand-in: request() holds the lock until released(name). */
  function fakeLocks() {
    const held = new Set<string>();
    return {
      held,
      request: async (name: string, a: unknown, b?: unknown) => {
        const cb = (typeof a === 'function' ? a : b) as () => Promise<unknown>;
        held.add(name);
        return cb();
      },
      query: async () => ({ held: [...held].map((name) => ({ name })) }),
    };
  }

  it('gives each page its own sync session key and removes those of closed pages', async () => {
    const store = new IdbStore({ name: `parley-tabs-${db++}` });
    const locks = fakeLocks();
    const k1 = tabSyncKey(store, locks);
    const k2 = tabSyncKey(store, locks);
    expect(k1).toMatch(/^sync\/tab\/[0-9a-f]{16}$/);
    expect(k2).not.toBe(k1);
    await store.set(k1 as string, { v: 1 });
    await store.set(k2 as string, { v: 1 });
    // The first page closes: its lock is released; the next page to start cleans up after it.
    locks.held.delete(`parley-tab-${(k1 as string).slice('sync/tab/'.length)}`);
    const k3 = tabSyncKey(store, locks);
    await until(() => true);
    await new Promise((r) => setTimeout(r, 20));
    expect(await store.keys('sync/tab/')).toEqual([k2]);
    expect(k3).not.toBe(k2);
  });

  it('falls back to the shared key without the Web Locks API', () => {
    expect(tabSyncKey(new IdbStore({ name: 'unused' }), undefined)).toBeUndefined();
  });

  it('two tabs on one database sync independently: each its own open room, quiet long-polls, to-device in both', async () => {
    const { make, server, database } = world();
    vi.stubGlobal('navigator', { ...globalThis.navigator, locks: fakeLocks() });
    const tab1 = make();
    await tab1.register({ username: 'fay', password: 'pw' });
    const roomA = (await tab1.createRoom({ name: 'A' })).roomId;
    const roomB = (await tab1.createRoom({ name: 'B' })).roomId;
    const tab2 = make();
    expect(await tab2.start()).toBe(true);
    await tab1.openRoom(roomA);
    await tab2.openRoom(roomB);
    await until(() => tab1.connection === 'online' && tab2.connection === 'online');
    await tab1.sendText(roomA, 'in A');
    await tab2.sendText(roomB, 'in B');
    const remote = (c: ParleyClient, roomId: string, body: string) =>
      c.room(roomId)?.timeline.items.some((i) => i.status === 'remote' && i.content.body === body) === true;
    await until(() => remote(tab1, roomA, 'in A') && remote(tab2, roomB, 'in B'));

    const got: string[] = [];
    tab1.on('toDevice', () => got.push('tab1'));
    tab2.on('toDevice', () => got.push('tab2'));
    const sender = createClient({
      baseUrl: 'https://chat.example',
      database: false,
      http: server.http,
      webSocket: server.realtime.webSocket,
    });
    clients.push(sender);
    await sender.register({ username: 'gus', password: 'pw' });
    await sender.sendToDevice('m.hello', { '@fay:mini': { '*': { hi: 1 } } });
    await until(() => got.length === 2);
    expect(got.sort()).toEqual(['tab1', 'tab2']);
    const syncs = server.syncRequests;
    await new Promise((r) => setTimeout(r, 300));
    // Both tabs long-poll quietly: no storm of requests cutting each other short.
    expect(server.syncRequests - syncs).toBeLessThan(5);
    expect(tab1.openRoomId).toBe(roomA);
    expect(tab2.openRoomId).toBe(roomB);
    // Each tab persisted its own session (its own since and sticky parameters).
    expect(await new IdbStore({ name: database }).keys('sync/tab/')).toHaveLength(2);
  });
});
