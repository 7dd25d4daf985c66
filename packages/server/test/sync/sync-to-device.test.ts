import { afterEach, describe, expect, it } from 'vitest';
import type { ParleyServer } from '../../src/index.js';
import { register, startTestServer, type TestUser, tempDir } from '../helpers.js';
import { loginDevice, sendToDevice, sync, syncCall } from './sync-helpers.js';

const stops: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s();
});

async function server(options: Parameters<typeof startTestServer>[0] = {}) {
  const t = await startTestServer(options);
  stops.push(t.stop);
  return t.server;
}

const rows = (s: ParleyServer, who?: TestUser) =>
  s.storage.countToDeviceMessages(
    who === undefined ? undefined : { userId: who.userId, deviceId: who.deviceId },
  );

const bodies = (res: { to_device?: { events: { content: { n: number } }[] } }) =>
  (res.to_device?.events ?? []).map((e) => e.content.n);

/** Polls `check` until it holds, within a generous bound (no timing is asserted). */
async function eventually(check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('to-device delivery over HTTP', () => {
  it('deletes a message only after both sessions of the device advanced past it', async () => {
    const s = await server();
    const alice = await register(s.url, 'alice', 'PHONE');
    const bob = await register(s.url, 'bob');
    const a = await sync(s.url, alice, undefined, { to_device: {} });
    const b = await sync(s.url, alice, undefined, { to_device: {} });
    const sent = await sendToDevice(s.url, bob, 'm1', { [alice.userId]: { PHONE: { n: 1 } } });
    expect(sent.status, sent.text).toBe(200);
    expect(await rows(s, alice)).toBe(1);

    const a1 = await sync(s.url, alice, a.next);
    expect(a1.to_device.events).toEqual([{ type: 'm.test', sender: bob.userId, content: { n: 1 } }]);
    const b1 = await sync(s.url, alice, b.next);
    expect(bodies(b1)).toEqual([1]);
    // Both were sent it, neither has proved receipt yet.
    expect(await rows(s, alice)).toBe(1);
    await sync(s.url, alice, a1.next);
    expect(await rows(s, alice)).toBe(1);
    const b2 = await sync(s.url, alice, b1.next);
    expect(b2.to_device).toBeUndefined();
    expect(await rows(s, alice)).toBe(0);
  });

  it('stops counting a session once it expires', async () => {
    const s = await server({ syncSessionIdleMs: 300 });
    const alice = await register(s.url, 'alice', 'PHONE');
    const bob = await register(s.url, 'bob');
    const live = await sync(s.url, alice, undefined, { to_device: {} });
    const stale = await sync(s.url, alice, undefined, { to_device: {} });
    await sendToDevice(s.url, bob, 'm1', { [alice.userId]: { PHONE: { n: 1 } } });
    const l1 = await sync(s.url, alice, live.next);
    expect(bodies(l1)).toEqual([1]);
    expect(bodies(await sync(s.url, alice, stale.next))).toEqual([1]);
    // `live` proves receipt; `stale` does not, and holds the message back...
    const l2 = await sync(s.url, alice, l1.next);
    expect(await rows(s, alice)).toBe(1);
    // ...until it expires, while `live` waits in a long-poll (a waiting session is not idle).
    const waiting = syncCall(s.url, alice, l2.next, {}, { timeout: 1_500 });
    await eventually(async () => (await rows(s, alice)) === 0);
    expect((await waiting).status).toBe(200);
    const gone = await syncCall(s.url, alice, stale.next);
    expect(gone.status).toBe(400);
    expect(gone.json.errcode).toBe('M_UNKNOWN_SYNC_SESSION');
  });

  it('keeps undeleted messages across a restart and gives them to new sessions', async () => {
    const { dir, cleanup } = tempDir();
    stops.push(cleanup);
    const first = await startTestServer({ dataDir: dir });
    const alice = await register(first.server.url, 'alice', 'PHONE');
    const bob = await register(first.server.url, 'bob');
    const s1 = await sync(first.server.url, alice, undefined, { to_device: {} });
    await sendToDevice(first.server.url, bob, 'm1', { [alice.userId]: { PHONE: { n: 1 } } });
    await sendToDevice(first.server.url, bob, 'm2', { [alice.userId]: { PHONE: { n: 2 } } });
    const got = await sync(first.server.url, alice, s1.next);
    expect(bodies(got)).toEqual([1, 2]);
    await first.server.close();

    const s = await server({ dataDir: dir });
    expect(await rows(s, alice)).toBe(2);
    const old = await syncCall(s.url, alice, got.next);
    expect(old.status).toBe(400);
    expect(old.json).toMatchObject({ errcode: 'M_UNKNOWN_SYNC_SESSION' });
    const fresh = await sync(s.url, alice, undefined, { to_device: {} });
    expect(bodies(fresh)).toEqual([1, 2]);
    // Positions go on after the stored ones: a new message comes after, not among, them.
    await sendToDevice(s.url, bob, 'm3', { [alice.userId]: { PHONE: { n: 3 } } });
    const next = await sync(s.url, alice, fresh.next);
    expect(bodies(next)).toEqual([3]);
    await sync(s.url, alice, next.next);
    expect(await rows(s, alice)).toBe(0);
  });

  it('is idempotent per sending device and txnId', async () => {
    const s = await server();
    const alice = await register(s.url, 'alice', 'PHONE');
    const bob = await register(s.url, 'bob', 'B1');
    const bob2 = await loginDevice(s.url, bob, 'bob', 'B2');
    const to = { [alice.userId]: { PHONE: { n: 1 } } };
    for (let i = 0; i < 3; i++) expect((await sendToDevice(s.url, bob, 'same', to)).status).toBe(200);
    expect(await rows(s, alice)).toBe(1);
    // The same txnId from another device is another send.
    await sendToDevice(s.url, bob2, 'same', to);
    expect(await rows(s, alice)).toBe(2);
    const res = await sync(s.url, alice, undefined, { to_device: {} });
    expect(bodies(res)).toEqual([1, 1]);
  });

  it('"*" reaches every device once; an explicit device id wins; unknown devices are skipped', async () => {
    const s = await server();
    const alice = await register(s.url, 'alice', 'PHONE');
    const laptop = await loginDevice(s.url, alice, 'alice', 'LAPTOP');
    const bob = await register(s.url, 'bob');
    await sendToDevice(s.url, bob, 'all', { [alice.userId]: { '*': { n: 1 } } });
    await sendToDevice(s.url, bob, 'mixed', {
      [alice.userId]: { '*': { n: 2 }, LAPTOP: { n: 3 }, NOPE: { n: 4 } },
    });
    expect(await rows(s)).toBe(4);
    expect(bodies(await sync(s.url, alice, undefined, { to_device: {} }))).toEqual([1, 2]);
    expect(bodies(await sync(s.url, laptop, undefined, { to_device: {} }))).toEqual([1, 3]);
  });

  it('pages a long queue by to_device.limit, oldest first', async () => {
    const s = await server();
    const alice = await register(s.url, 'alice', 'PHONE');
    const bob = await register(s.url, 'bob');
    for (let n = 1; n <= 5; n++)
      await sendToDevice(s.url, bob, `m${n}`, { [alice.userId]: { PHONE: { n } } });
    const r1 = await sync(s.url, alice, undefined, { to_device: { limit: 2 } });
    const r2 = await sync(s.url, alice, r1.next);
    const r3 = await sync(s.url, alice, r2.next);
    expect([bodies(r1), bodies(r2), bodies(r3)]).toEqual([[1, 2], [3, 4], [5]]);
    await sync(s.url, alice, r3.next);
    expect(await rows(s, alice)).toBe(0);
  });

  it('refuses bad, oversized and remote sends with Matrix errors, storing nothing', async () => {
    const s = await server({ toDeviceMaxMessages: 2, toDeviceMaxQueued: 3 });
    const alice = await register(s.url, 'alice', 'PHONE');
    await loginDevice(s.url, alice, 'alice', 'LAPTOP');
    await loginDevice(s.url, alice, 'alice', 'TABLET');
    const bob = await register(s.url, 'bob');
    const bad = await sendToDevice(s.url, bob, 'b1', ['not', 'an', 'object']);
    expect([bad.status, bad.json.errcode]).toEqual([400, 'M_BAD_JSON']);
    const badContent = await sendToDevice(s.url, bob, 'b2', { [alice.userId]: { PHONE: 'text' } });
    expect([badContent.status, badContent.json.errcode]).toEqual([400, 'M_BAD_JSON']);
    const remote = await sendToDevice(s.url, bob, 'b3', { '@carol:elsewhere.org': { X: {} } });
    expect([remote.status, remote.json.errcode]).toEqual([400, 'M_INVALID_PARAM']);
    const tooMany = await sendToDevice(s.url, bob, 'b4', { [alice.userId]: { '*': { n: 0 } } });
    expect([tooMany.status, tooMany.json.errcode]).toEqual([413, 'M_TOO_LARGE']);
    expect(await rows(s)).toBe(0);
    for (let n = 1; n <= 3; n++)
      await sendToDevice(s.url, bob, `q${n}`, { [alice.userId]: { PHONE: { n } } });
    const full = await sendToDevice(s.url, bob, 'q4', {
      [alice.userId]: { PHONE: { n: 4 }, LAPTOP: { n: 4 } },
    });
    expect([full.status, full.json.errcode]).toEqual([429, 'M_LIMIT_EXCEEDED']);
    expect(await rows(s)).toBe(3);
    // The refused txnId was not recorded: once the queue drains, the retry goes through.
    const r = await sync(s.url, alice, undefined, { to_device: {} });
    await sync(s.url, alice, r.next);
    expect((await sendToDevice(s.url, bob, 'q4', { [alice.userId]: { PHONE: { n: 4 } } })).status).toBe(200);
    expect(await rows(s)).toBe(1);
  });
});
