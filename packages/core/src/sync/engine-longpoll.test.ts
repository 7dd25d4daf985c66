import { describe, expect, it } from 'vitest';
import { isParleyError } from '../errors.js';
import { syncFixture } from './fixture.js';
import type { SyncResponseBody } from './types.js';

const A = '@alice:hs';
const B = '@bob:hs';

/** The settled value of `p`, or 'pending' when it has not settled once queued promise jobs ran. */
async function peek<T>(p: Promise<T>): Promise<T | 'pending'> {
  let settled: { value: T } | undefined;
  let failed: { error: unknown } | undefined;
  p.then(
    (value) => {
      settled = { value };
    },
    (error: unknown) => {
      failed = { error };
    },
  );
  // The engine and the in-memory source only chain promises, so a bounded number of turns drains them.
  for (let i = 0; i < 200; i++) await Promise.resolve();
  if (failed !== undefined) throw failed.error;
  return settled === undefined ? 'pending' : settled.value;
}

async function waitFor(
  f: ReturnType<typeof syncFixture>,
  since: string,
  body: unknown = {},
  timeout = 20_000,
) {
  const out = await f.request(A, 'D', since, body, timeout);
  if (out.kind !== 'wait') throw new Error('expected the request to wait');
  return out;
}

describe('long-poll', () => {
  it('waits with nothing to say and is woken by a typing change in its room', async () => {
    const f = syncFixture();
    f.source.createRoom('!r:hs', { creator: A });
    f.source.createRoom('!s:hs', { creator: A });
    const r = await f.sync(A, 'D', undefined, { typing: { room_id: '!r:hs' } });
    const w = await waitFor(f, r.next);
    expect(w.deadline).toBe(f.clock.now() + 20_000);
    expect(f.engine.waitingCount).toBe(1);
    // A change elsewhere wakes nothing.
    await f.engine.notify(f.clock.now(), f.source.setTyping('!s:hs', [A]));
    await f.engine.notify(f.clock.now(), f.source.sendMessage('!r:hs', A, 'not a typing change'));
    expect(await peek(w.response)).toBe('pending');
    await f.engine.notify(f.clock.now(), f.source.setTyping('!r:hs', [A]));
    const body = (await peek(w.response)) as SyncResponseBody;
    expect(body.typing?.events[0]?.content).toEqual({ user_ids: [A] });
    expect(f.engine.waitingCount).toBe(0);
  });

  it('is woken by a new event, a to-device message and a room list change', async () => {
    const f = syncFixture();
    f.source.createRoom('!r:hs', { creator: B });
    f.source.join('!r:hs', A);
    let r = await f.sync(A, 'D', undefined, { room: { room_id: '!r:hs' } });
    let w = await waitFor(f, r.next);
    await f.engine.notify(f.clock.now(), f.source.sendMessage('!r:hs', B, 'hi'));
    r = (await peek(w.response)) as SyncResponseBody;
    expect(r.room?.events).toHaveLength(1);
    r = await f.sync(A, 'D', r.next, { to_device: {}, room: null });
    w = await waitFor(f, r.next);
    await f.engine.notify(
      f.clock.now(),
      f.source.sendToDevice(A, 'OTHER', { type: 't', sender: B, content: {} }),
    );
    expect(await peek(w.response)).toBe('pending');
    await f.engine.notify(
      f.clock.now(),
      f.source.sendToDevice(A, 'D', { type: 't', sender: B, content: {} }),
    );
    r = (await peek(w.response)) as SyncResponseBody;
    expect(r.to_device?.events).toHaveLength(1);
    r = await f.sync(A, 'D', r.next, { room_list: { p: {} } });
    w = await waitFor(f, r.next);
    f.source.createRoom('!elsewhere:hs', { creator: B });
    await f.engine.notify(f.clock.now(), f.source.sendMessage('!elsewhere:hs', B, 'x'));
    expect(await peek(w.response)).toBe('pending');
    await f.engine.notify(f.clock.now(), f.source.leave('!r:hs', A));
    r = (await peek(w.response)) as SyncResponseBody;
    expect(r.room_list?.rooms.map((x) => x.membership)).toEqual(['leave']);
  });

  it('answers with an empty response at the deadline, reported by pollTimeout; timeout is capped', async () => {
    const f = syncFixture({ limits: { maxTimeoutMs: 5_000, sessionIdleMs: 60_000 } });
    const r = await f.sync(A, 'D', undefined, { to_device: {} });
    const start = f.clock.now();
    expect(f.engine.pollTimeout()).toBe(start + 60_000); // idle expiry of the session
    const w = await waitFor(f, r.next, {}, 600_000);
    expect(w.deadline).toBe(start + 5_000);
    expect(f.engine.pollTimeout()).toBe(start + 5_000);
    f.clock.advance(4_999);
    await f.engine.handleTimeout(f.clock.now());
    expect(await peek(w.response)).toBe('pending');
    f.clock.advance(1);
    await f.engine.handleTimeout(f.clock.now());
    const body = (await peek(w.response)) as SyncResponseBody;
    expect(Object.keys(body)).toEqual(['next']);
    expect(f.engine.pollTimeout()).toBe(start + 5_000 + 60_000);
  });

  it('answers a waiting request at once when a second request of the session arrives', async () => {
    const f = syncFixture();
    f.source.createRoom('!r:hs', { creator: A });
    const r = await f.sync(A, 'D', undefined, { to_device: {} });
    const w = await waitFor(f, r.next);
    // The second request changes the parameters (same since): the first answers now, empty.
    const second = await f.request(A, 'D', r.next, { typing: { room_id: '!r:hs' } }, 20_000);
    const first = (await peek(w.response)) as SyncResponseBody;
    expect(Object.keys(first)).toEqual(['next']);
    expect(second.kind).toBe('response');
    if (second.kind === 'response') expect(second.body.typing).toBeDefined();
    // A retransmit of the same request while it waits gets the same answer as the first.
    const r2 = second.kind === 'response' ? second.body : (undefined as never);
    const w2 = await waitFor(f, r2.next);
    const dup = await f.request(A, 'D', r2.next, {}, 20_000);
    expect(dup.kind).toBe('response');
    expect(dup.kind === 'response' && dup.body).toEqual(await w2.response);
  });

  it('drops a waiting request whose client went away, without consuming anything', async () => {
    const f = syncFixture();
    const r = await f.sync(A, 'D', undefined, { to_device: {} });
    const ctl = new AbortController();
    const out = await f.request(A, 'D', r.next, {}, 20_000, ctl.signal);
    if (out.kind !== 'wait') throw new Error('expected a wait');
    ctl.abort();
    const err = await out.response.catch((e: unknown) => e);
    expect(isParleyError(err) && err.code).toBe('aborted');
    expect(f.engine.waitingCount).toBe(0);
    f.source.sendToDevice(A, 'D', { type: 't', sender: B, content: {} });
    const again = await f.sync(A, 'D', r.next, {});
    expect(again.to_device?.events).toHaveLength(1);
  });

  it('a new session answers at once even with a timeout', async () => {
    const f = syncFixture();
    const out = await f.request(A, 'D', undefined, {}, 20_000);
    expect(out.kind).toBe('response');
  });
});

describe('long-poll races', () => {
  it('does not miss a change notified while the request was still computing', async () => {
    const f = syncFixture();
    f.source.createRoom('!r:hs', { creator: A });
    const r = await f.sync(A, 'D', undefined, { typing: { room_id: '!r:hs' } });
    // Hold the request inside its compute, make and notify a change, then let it go on.
    let release!: () => void;
    const gate = new Promise<void>((res) => {
      release = res;
    });
    const typing = f.source.typing.bind(f.source);
    let calls = 0;
    f.source.typing = async (roomId) => {
      const state = await typing(roomId);
      if (calls++ === 0) await gate;
      return state;
    };
    const pending = f.request(A, 'D', r.next, {}, 20_000);
    await peek(pending);
    await f.engine.notify(f.clock.now(), f.source.setTyping('!r:hs', [A]));
    release();
    const out = await pending;
    if (out.kind !== 'wait') throw new Error('expected a wait: the compute saw the old typing set');
    const body = (await peek(out.response)) as SyncResponseBody;
    expect(body.typing?.events[0]?.content).toEqual({ user_ids: [A] });
  });
});
