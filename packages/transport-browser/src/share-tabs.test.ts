import 'fake-indexeddb/auto';
import type { ParleyClient } from '@parley/core';
import { FakeClock, ParleyTestServer } from '@parley/core/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createClient } from './create-client.js';
import { shareTabs } from './share-tabs.js';

/** Web Locks stand-in: exclusive locks, waiters served in order, `signal` cancels a wait. */
function fakeLocks() {
  const holders = new Map<string, boolean>();
  const queues = new Map<string, Array<() => void>>();
  const release = (name: string) => {
    holders.set(name, false);
    queues.get(name)?.shift()?.();
  };
  return {
    query: async () => ({ held: [...holders].filter(([, h]) => h).map(([name]) => ({ name })) }),
    request(name: string, a: unknown, b?: unknown): Promise<unknown> {
      const callback = (typeof a === 'function' ? a : b) as () => Promise<unknown>;
      const signal = typeof a === 'function' ? undefined : (a as { signal?: AbortSignal }).signal;
      return new Promise((resolve, reject) => {
        const grant = () => {
          holders.set(name, true);
          callback().then(
            (v) => {
              release(name);
              resolve(v);
            },
            (e) => {
              release(name);
              reject(e);
            },
          );
        };
        if (!holders.get(name)) grant();
        else {
          const q = queues.get(name) ?? [];
          q.push(grant);
          queues.set(name, q);
          signal?.addEventListener('abort', () => {
            queues.set(
              name,
              (queues.get(name) ?? []).filter((g) => g !== grant),
            );
            reject(new DOMException('aborted', 'AbortError'));
          });
        }
      });
    },
  };
}

beforeEach(() => {
  vi.stubGlobal('navigator', { ...globalThis.navigator, locks: fakeLocks() });
  vi.stubGlobal('fetch', () => {
    throw new Error('network blocked in tests: unexpected fetch');
  });
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

let n = 0;
describe('shareTabs over BroadcastChannel and Web Locks', () => {
  it('elects one leader, shares the login and one realtime connection, and hands over when the leader leaves', async () => {
    expect(typeof globalThis.BroadcastChannel).toBe('function');
    const server = new ParleyTestServer(new FakeClock());
    const database = `parley-share-${n++}`;
    const open = () => {
      const c = createClient({
        baseUrl: 'https://chat.example',
        database,
        shareTabs: false,
        http: server.http,
        webSocket: server.realtime.webSocket,
        sync: { timeoutMs: 1000 },
      });
      clients.push(c);
      return { client: c, share: shareTabs(c, { name: database }) };
    };
    const t1 = open();
    const t2 = open();
    await until(() => t1.share?.isLeader === true);
    expect(t2.share?.isLeader).toBe(false);

    await t1.client.register({ username: 'hal', password: 'pw' });
    await until(() => t2.client.userId === '@hal:mini');
    await until(() => t1.client.connection === 'online' && t2.client.connection === 'online');
    expect(server.realtime.connectionCount).toBe(1);
    expect(t2.client.clientId).toBe(t1.client.clientId);
    expect(t2.client.ownPresence).toBe(2);

    t1.share?.stop();
    await t1.client.stop();
    await until(() => t2.share?.isLeader === true && t2.client.connection === 'online');
    expect(server.realtime.connectionCount).toBe(1);
    t2.share?.stop();
  });
});
