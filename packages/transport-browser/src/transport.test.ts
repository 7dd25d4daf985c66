import 'fake-indexeddb/auto';
import { ClientApi, type WebSocketLike } from '@parley/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { browserHttp } from './http.js';
import { IdbStore } from './idb-store.js';
import { browserRandom, browserTimers } from './platform.js';
import { browserWebSocketFactory } from './websocket.js';

// The network is blocked: any fetch or WebSocket a test did not plan for throws.
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
afterEach(() => {
  vi.unstubAllGlobals();
});

let dbCounter = 0;
const freshStore = () => new IdbStore({ name: `parley-test-${dbCounter++}` });

describe('IdbStore', () => {
  it('implements the Store contract over fake-indexeddb', async () => {
    const s = freshStore();
    expect(await s.get('nope')).toBeUndefined();
    await s.set('outbox/000000000002', { b: 2 });
    await s.set('outbox/000000000001', { a: 1 });
    await s.set('outboxed', 'not under the prefix');
    await s.set('cache/index', ['!r:hs']);
    expect(await s.keys('outbox/')).toEqual(['outbox/000000000001', 'outbox/000000000002']);
    expect(await s.get('outbox/000000000001')).toEqual({ a: 1 });
    await s.delete('outbox/000000000001');
    expect(await s.keys('outbox')).toEqual(['outbox/000000000002', 'outboxed']);
    expect(await s.keys('')).toHaveLength(3);
  });

  it('returns copies: mutating a value after set does not change what is stored', async () => {
    const s = freshStore();
    const v = { list: [1] };
    await s.set('k', v);
    v.list.push(2);
    expect(await s.get('k')).toEqual({ list: [1] });
  });

  it('keeps data across a reopen (a page reload)', async () => {
    const name = `parley-reload-${dbCounter++}`;
    const a = new IdbStore({ name });
    await a.set('session', { token: 't' });
    await a.close();
    expect(await new IdbStore({ name }).get('session')).toEqual({ token: 't' });
  });

  it('stays consistent under many concurrent writes', async () => {
    const s = freshStore();
    await Promise.all(Array.from({ length: 100 }, (_, i) => s.set(`k/${String(i).padStart(3, '0')}`, i)));
    const keys = await s.keys('k/');
    expect(keys).toHaveLength(100);
    expect(await s.get('k/099')).toBe(99);
  });
});

describe('browserHttp', () => {
  it('calls the page fetch and maps answers through ClientApi', async () => {
    const calls: Array<[string, RequestInit]> = [];
    vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
      calls.push([url, init]);
      if (url.endsWith('/leave')) {
        return new Response(JSON.stringify({ errcode: 'M_NOT_FOUND', error: 'no room' }), { status: 404 });
      }
      return new Response(JSON.stringify({ ticket: 'T', expires_in: 30 }), {
        status: 200,
        headers: { 'Content-Type': 'application/json' },
      });
    });
    const api = new ClientApi({
      http: browserHttp(),
      baseUrl: 'https://chat.example',
      timers: browserTimers,
      random: browserRandom,
      accessToken: () => 'tok',
    });
    expect(await api.realtimeTicket()).toEqual({ ticket: 'T', expiresIn: 30 });
    expect(calls[0]?.[0]).toBe('https://chat.example/_parley/v1/realtime/ticket');
    expect((calls[0]?.[1].headers as Record<string, string> | undefined)?.authorization).toBe('Bearer tok');
    await expect(api.leave('!r:hs')).rejects.toMatchObject({ code: 'M_NOT_FOUND', httpStatus: 404 });
  });

  it('maps a failed fetch to network', async () => {
    vi.stubGlobal('fetch', async () => {
      throw new TypeError('Failed to fetch');
    });
    const api = new ClientApi({
      http: browserHttp(),
      baseUrl: 'https://chat.example',
      timers: browserTimers,
      random: browserRandom,
      accessToken: () => 'tok',
    });
    await expect(api.leave('!r:hs')).rejects.toMatchObject({ code: 'network' });
  });
});

describe('browserWebSocketFactory', () => {
  it('opens the page WebSocket with binaryType arraybuffer', () => {
    const opened: string[] = [];
    class FakeWs {
      binaryType = 'blob';
      readyState = 0;
      bufferedAmount = 0;
      onopen = null;
      onmessage = null;
      onclose = null;
      onerror = null;
      constructor(url: string) {
        opened.push(url);
      }
      send() {}
      close() {}
    }
    vi.stubGlobal('WebSocket', FakeWs);
    const ws: WebSocketLike = browserWebSocketFactory()('wss://chat.example/_parley/v1/realtime?ticket=x');
    expect(opened).toEqual(['wss://chat.example/_parley/v1/realtime?ticket=x']);
    expect(ws.binaryType).toBe('arraybuffer');
  });

  it('the network guard refuses an unplanned WebSocket', () => {
    expect(() => browserWebSocketFactory()('wss://elsewhere.example/')).toThrow(/network blocked/);
  });
});
