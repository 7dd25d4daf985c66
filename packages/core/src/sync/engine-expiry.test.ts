import { describe, expect, it } from 'vitest';
import { syncFixture } from './fixture.js';

const A = '@alice:hs';
const unknown = { code: 'M_UNKNOWN_SYNC_SESSION', httpStatus: 400 };

describe('session expiry and caps', () => {
  it('expires a session after the idle time (default 30 min), not before', async () => {
    const f = syncFixture();
    const r = await f.sync(A, 'D', undefined, {});
    expect(f.engine.limits.sessionIdleMs).toBe(30 * 60_000);
    f.clock.advance(30 * 60_000 - 1);
    const kept = await f.sync(A, 'D', r.next, {});
    f.clock.advance(30 * 60_000);
    expect(f.engine.pollTimeout()).toBe(f.clock.now());
    await f.engine.handleTimeout(f.clock.now());
    expect(f.engine.sessionCount).toBe(0);
    await expect(f.sync(A, 'D', kept.next, {})).rejects.toMatchObject(unknown);
  });

  it('expires an idle session lazily on the next request even without handleTimeout', async () => {
    const f = syncFixture({ limits: { sessionIdleMs: 1_000 } });
    const r = await f.sync(A, 'D', undefined, {});
    f.clock.advance(1_000);
    await expect(f.sync(A, 'D', r.next, {})).rejects.toMatchObject(unknown);
  });

  it('does not expire a session while it waits in a long-poll', async () => {
    const f = syncFixture({ limits: { sessionIdleMs: 1_000, maxTimeoutMs: 5_000 } });
    const r = await f.sync(A, 'D', undefined, { to_device: {} });
    const w = await f.request(A, 'D', r.next, {}, 5_000);
    if (w.kind !== 'wait') throw new Error('expected a wait');
    f.clock.advance(5_000);
    expect(f.engine.pollTimeout()).toBe(f.clock.now());
    await f.engine.handleTimeout(f.clock.now());
    const body = await w.response;
    expect(f.engine.sessionCount).toBe(1);
    await expect(f.sync(A, 'D', body.next, {})).resolves.toHaveProperty('next');
  });

  it('keeps at most 10 sessions per device by default, expiring the least recently used', async () => {
    const f = syncFixture();
    const tokens: string[] = [];
    for (let i = 0; i < 10; i++) {
      tokens.push((await f.sync(A, 'D', undefined, {})).next);
      f.clock.advance(1);
    }
    tokens[0] = (await f.sync(A, 'D', tokens[0], {})).next; // session 0 is now the most recent
    await f.sync(A, 'OTHER', undefined, {});
    expect(f.engine.sessionCount).toBe(11);
    await f.sync(A, 'D', undefined, {});
    expect(f.engine.sessionCount).toBe(11);
    await expect(f.sync(A, 'D', tokens[1], {})).rejects.toMatchObject(unknown);
    await expect(f.sync(A, 'D', tokens[0], {})).resolves.toHaveProperty('next');
    await expect(f.sync(A, 'D', tokens[2], {})).resolves.toHaveProperty('next');
  });

  it('keeps at most sessionsTotal sessions: idle ones go first, then the oldest waiting one gets the error', async () => {
    const f = syncFixture({ limits: { sessionsTotal: 2 } });
    const waiter = await f.sync('@w:hs', 'D', undefined, { to_device: {} });
    const w = await f.request('@w:hs', 'D', waiter.next, {}, 10_000);
    if (w.kind !== 'wait') throw new Error('expected a wait');
    f.clock.advance(1);
    const b = await f.sync('@b:hs', 'D', undefined, {});
    const c = await f.sync('@c:hs', 'D', undefined, { to_device: {} }); // evicts b, the idle one
    expect(f.engine.sessionCount).toBe(2);
    await expect(f.sync('@b:hs', 'D', b.next, {})).rejects.toMatchObject(unknown);
    const wc = await f.request('@c:hs', 'D', c.next, {}, 10_000);
    expect(wc.kind).toBe('wait');
    await f.sync('@d:hs', 'D', undefined, {}); // nothing idle: the oldest waiting session goes
    await expect(w.response).rejects.toMatchObject(unknown);
    expect(f.engine.sessionCount).toBe(2);
    expect(f.engine.waitingCount).toBe(1);
  });
});
