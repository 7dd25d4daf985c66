import 'fake-indexeddb/auto';
import type { ParleyClient } from '@parley/core';
import { FakeClock, ParleyTestServer } from '@parley/core/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createClient } from './create-client.js';
import { IdbStore } from './idb-store.js';
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
