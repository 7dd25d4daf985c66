import { describe, expect, it } from 'vitest';
import { SyncEngine } from './engine.js';
import { syncFixture } from './fixture.js';

const A = '@alice:hs';
const msg = (n: number) => ({ type: 'm.test', sender: '@bob:hs', content: { n } });
const ns = (events: readonly Record<string, unknown>[] | undefined) =>
  (events ?? []).map((e) => (e.content as { n: number }).n);

describe('to_device stream and deletion', () => {
  it('delivers oldest first within the limit, then the rest', async () => {
    const f = syncFixture();
    for (let i = 0; i < 5; i++) f.source.sendToDevice(A, 'D', msg(i));
    f.source.sendToDevice(A, 'OTHER', msg(99));
    let r = await f.sync(A, 'D', undefined, { to_device: { limit: 3 } });
    expect(ns(r.to_device?.events)).toEqual([0, 1, 2]);
    expect(r.to_device?.events[0]).toEqual({ type: 'm.test', sender: '@bob:hs', content: { n: 0 } });
    r = await f.sync(A, 'D', r.next);
    expect(ns(r.to_device?.events)).toEqual([3, 4]);
    r = await f.sync(A, 'D', r.next);
    expect(r.to_device).toBeUndefined();
  });

  it('deletes a message only after both sessions of the device were sent it and advanced past it', async () => {
    const f = syncFixture();
    let s1 = await f.sync(A, 'D', undefined, { to_device: {} });
    let s2 = await f.sync(A, 'D', undefined, { to_device: {} });
    f.source.sendToDevice(A, 'D', msg(1));
    s1 = await f.sync(A, 'D', s1.next);
    expect(ns(s1.to_device?.events)).toEqual([1]);
    s1 = await f.sync(A, 'D', s1.next); // session 1 acknowledged
    expect(f.source.storedToDevice(A, 'D')).toHaveLength(1);
    s2 = await f.sync(A, 'D', s2.next);
    expect(ns(s2.to_device?.events)).toEqual([1]);
    expect(f.source.storedToDevice(A, 'D')).toHaveLength(1); // sent, not yet acknowledged
    await f.sync(A, 'D', s2.next);
    expect(f.source.storedToDevice(A, 'D')).toHaveLength(0);
  });

  it('does not count a retransmit of the request that carried the message as an acknowledgement', async () => {
    const f = syncFixture();
    const s = await f.sync(A, 'D', undefined, { to_device: {} });
    f.source.sendToDevice(A, 'D', msg(1));
    const lost = await f.sync(A, 'D', s.next);
    const again = await f.sync(A, 'D', s.next);
    expect(again).toEqual(lost);
    expect(f.source.storedToDevice(A, 'D')).toHaveLength(1);
    await f.sync(A, 'D', again.next);
    expect(f.source.storedToDevice(A, 'D')).toHaveLength(0);
  });

  it('counts a session that never subscribed, until it expires; an expired session stops blocking', async () => {
    const f = syncFixture({ limits: { sessionIdleMs: 60_000 } });
    let s1 = await f.sync(A, 'D', undefined, { to_device: {} });
    await f.sync(A, 'D', undefined, {}); // session 2: idle, no to_device
    f.source.sendToDevice(A, 'D', msg(1));
    s1 = await f.sync(A, 'D', s1.next);
    s1 = await f.sync(A, 'D', s1.next);
    expect(f.source.storedToDevice(A, 'D')).toHaveLength(1);
    f.clock.advance(40_000);
    s1 = await f.sync(A, 'D', s1.next); // keeps session 1 alive
    f.clock.advance(30_000);
    await f.engine.handleTimeout(f.clock.now()); // session 2 expires
    expect(f.engine.sessionCount).toBe(1);
    expect(f.source.storedToDevice(A, 'D')).toHaveLength(0);
  });

  it('after an engine restart old tokens are unknown and a new session gets every undeleted message', async () => {
    const f = syncFixture();
    let s = await f.sync(A, 'D', undefined, { to_device: {} });
    f.source.sendToDevice(A, 'D', msg(1));
    s = await f.sync(A, 'D', s.next);
    s = await f.sync(A, 'D', s.next); // 1 deleted
    f.source.sendToDevice(A, 'D', msg(2));
    f.source.sendToDevice(A, 'D', msg(3));
    s = await f.sync(A, 'D', s.next); // 2 and 3 sent, not acknowledged
    const restarted = new SyncEngine({ source: f.source, random: f.random });
    const old = restarted.handleRequest(f.clock.now(), { userId: A, deviceId: 'D', since: s.next, body: {} });
    await expect(old).rejects.toMatchObject({ code: 'M_UNKNOWN_SYNC_SESSION', httpStatus: 400 });
    const fresh = await restarted.sync(f.clock.now(), { userId: A, deviceId: 'D', body: { to_device: {} } });
    expect(ns(fresh.to_device?.events)).toEqual([2, 3]);
    await restarted.sync(f.clock.now(), { userId: A, deviceId: 'D', since: fresh.next, body: {} });
    expect(f.source.storedToDevice(A, 'D')).toHaveLength(0);
  });

  it('reports a failed deletion and retries it at the next acknowledgement', async () => {
    const f = syncFixture();
    let s = await f.sync(A, 'D', undefined, { to_device: {} });
    f.source.sendToDevice(A, 'D', msg(1));
    s = await f.sync(A, 'D', s.next);
    const real = f.source.deleteToDevice.bind(f.source);
    f.source.deleteToDevice = async () => {
      throw new Error('disk full');
    };
    s = await f.sync(A, 'D', s.next);
    expect(f.errors).toHaveLength(1);
    expect(f.source.storedToDevice(A, 'D')).toHaveLength(1);
    f.source.deleteToDevice = real;
    f.source.sendToDevice(A, 'D', msg(2));
    s = await f.sync(A, 'D', s.next);
    await f.sync(A, 'D', s.next);
    expect(f.source.storedToDevice(A, 'D')).toHaveLength(0);
  });
});
