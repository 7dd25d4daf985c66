import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { signingKeyFromSeed } from '@parley/core';
import { FakeClock } from '@parley/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { KeyRing } from './key-ring.js';
import { makeServerKeyDocument } from './server-key-document.js';

const ours = signingKeyFromSeed(new Uint8Array(32).fill(1), 'me');

/** A key server on loopback whose answer the test controls. */
async function keyServer(seed: number, validForMs: (now: number) => number) {
  const key = signingKeyFromSeed(new Uint8Array(32).fill(seed), 'v1');
  let name = '';
  let hits = 0;
  let answer: 'ok' | 'error' | 'wrong-name' = 'ok';
  const http: Server = createServer((_req, res) => {
    hits++;
    if (answer === 'error') {
      res.writeHead(500).end();
      return;
    }
    const doc = makeServerKeyDocument(
      answer === 'wrong-name' ? 'evil.example' : name,
      key,
      validForMs(Date.now()),
    );
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(doc));
  });
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  name = `127.0.0.1:${(http.address() as AddressInfo).port}`;
  return {
    name,
    key,
    hits: () => hits,
    answer: (a: typeof answer) => {
      answer = a;
    },
    close: async () => {
      http.closeAllConnections();
      http.close();
      await once(http, 'close');
    },
  };
}

describe('KeyRing', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  function ring(clock: FakeClock, over: Partial<ConstructorParameters<typeof KeyRing>[0]> = {}) {
    return new KeyRing({
      serverName: 'me.example',
      key: ours,
      clock,
      maxServers: 10,
      retryMs: 1000,
      maxAgeMs: 60_000,
      timeoutMs: 2000,
      maxResponseBytes: 65_536,
      ...over,
    });
  }

  it('fetches a key once for concurrent callers, caches it, and refetches after it expires', async () => {
    const clock = new FakeClock(Date.now());
    const s = await keyServer(5, () => clock.now() + 10_000);
    cleanups.push(s.close);
    const r = ring(clock);
    expect(r.lookup(s.name, s.key.keyId)).toBeUndefined();
    const results = await Promise.all([1, 2, 3].map(() => r.ensure(s.name, s.key.keyId)));
    expect(results).toEqual([true, true, true]);
    expect(s.hits()).toBe(1);
    expect(r.lookup(s.name, s.key.keyId)).toEqual(s.key.publicKey);
    expect(r.lookup(s.name, 'ed25519:other')).toBeUndefined();
    // A key id it does not publish costs no new fetch within retryMs, then one.
    expect(await r.ensure(s.name, 'ed25519:other')).toBe(false);
    expect(s.hits()).toBe(1);
    clock.advance(1001);
    expect(await r.ensure(s.name, 'ed25519:other')).toBe(false);
    expect(s.hits()).toBe(2);
    clock.advance(10_001);
    expect(r.lookup(s.name, s.key.keyId)).toBeUndefined();
    // The server's own key is always known, never fetched.
    expect(r.lookup('me.example', ours.keyId)).toEqual(ours.publicKey);
  });

  it('caps the time a key is kept with maxAgeMs', async () => {
    const clock = new FakeClock(Date.now());
    const s = await keyServer(6, () => Date.now() + 3_600_000);
    cleanups.push(s.close);
    const r = ring(clock, { maxAgeMs: 5000 });
    expect(await r.ensure(s.name)).toBe(true);
    clock.advance(5001);
    expect(r.lookup(s.name, s.key.keyId)).toBeUndefined();
  });

  it('refuses a document naming another server, and does not refetch within retryMs', async () => {
    const clock = new FakeClock(Date.now());
    const s = await keyServer(7, () => Date.now() + 3_600_000);
    cleanups.push(s.close);
    s.answer('wrong-name');
    const r = ring(clock);
    expect(await r.ensure(s.name, s.key.keyId)).toBe(false);
    expect(await r.ensure(s.name, s.key.keyId)).toBe(false);
    expect(s.hits()).toBe(1);
    s.answer('ok');
    clock.advance(1001);
    expect(await r.ensure(s.name, s.key.keyId)).toBe(true);
    expect(s.hits()).toBe(2);
  });

  it('refuses an expired document and an error answer', async () => {
    const clock = new FakeClock(Date.now());
    const expired = await keyServer(8, () => 1000);
    const broken = await keyServer(9, () => Date.now() + 60_000);
    cleanups.push(expired.close, broken.close);
    broken.answer('error');
    const r = ring(clock);
    expect(await r.ensure(expired.name)).toBe(false);
    expect(await r.ensure(broken.name)).toBe(false);
    expect(await r.ensure('not a server name')).toBe(false);
  });

  it('keeps at most maxServers key sets (least recently used dropped)', async () => {
    const clock = new FakeClock(Date.now());
    const servers = await Promise.all([11, 12, 13].map((n) => keyServer(n, () => Date.now() + 60_000)));
    for (const s of servers) cleanups.push(s.close);
    const [s1, s2, s3] = servers as [(typeof servers)[0], (typeof servers)[0], (typeof servers)[0]];
    const r = ring(clock, { maxServers: 2 });
    await r.ensure(s1.name);
    await r.ensure(s2.name);
    expect(r.lookup(s1.name, s1.key.keyId)).toBeDefined(); // s1 is now the most recent
    await r.ensure(s3.name);
    expect(r.lookup(s2.name, s2.key.keyId)).toBeUndefined();
    expect(r.lookup(s1.name, s1.key.keyId)).toBeDefined();
    expect(r.lookup(s3.name, s3.key.keyId)).toBeDefined();
  });
});
