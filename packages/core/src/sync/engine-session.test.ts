import { describe, expect, it } from 'vitest';
import { isParleyError } from '../errors.js';
import { syncFixture } from './fixture.js';

const A = '@alice:hs';

async function rejection(p: Promise<unknown>): Promise<{ code: string; status: number | undefined }> {
  try {
    await p;
  } catch (e) {
    if (isParleyError(e)) return { code: e.code, status: e.httpStatus };
    throw e;
  }
  throw new Error('expected a rejection');
}

describe('SyncEngine sessions and tokens', () => {
  it('creates a session without since; next names the session and a position', async () => {
    const f = syncFixture();
    f.source.createRoom('!r:hs', { creator: A });
    const r = await f.sync(A, 'D1', undefined);
    expect(r.next).toMatch(/^s1_[0-9a-f]{32}_1_\d+$/);
    expect(r.next.endsWith(`_${f.source.position}`)).toBe(true);
    expect(f.engine.sessionCount).toBe(1);
    const again = await f.sync(A, 'D1', undefined);
    expect(again.next.split('_')[1]).not.toBe(r.next.split('_')[1]);
    expect(f.engine.sessionCount).toBe(2);
  });

  it('answers an unknown, malformed or foreign token with 400 M_UNKNOWN_SYNC_SESSION at once', async () => {
    const f = syncFixture();
    const r = await f.sync(A, 'D1', undefined);
    const unknown = { code: 'M_UNKNOWN_SYNC_SESSION', status: 400 };
    expect(await rejection(f.request(A, 'D1', 'garbage'))).toEqual(unknown);
    expect(await rejection(f.request(A, 'D1', `s1_${'0'.repeat(32)}_1_1`))).toEqual(unknown);
    // The right session id with a sequence number it never issued.
    expect(await rejection(f.request(A, 'D1', r.next.replace(/_1_/, '_7_')))).toEqual(unknown);
    // Another user's or device's use of a real token, even with a long-poll timeout.
    expect(await rejection(f.request('@mallory:hs', 'D1', r.next, {}, 30_000))).toEqual(unknown);
    expect(await rejection(f.request(A, 'D2', r.next))).toEqual(unknown);
    // A token check comes before the body check.
    expect(await rejection(f.request(A, 'D1', 'garbage', 'not an object'))).toEqual(unknown);
  });

  it('keeps stream parameters sticky; an omitted stream keeps them; null unsubscribes', async () => {
    const f = syncFixture();
    f.source.createRoom('!r:hs', { creator: A });
    let r = await f.sync(A, 'D1', undefined, { typing: { room_id: '!r:hs' } });
    expect(r.typing?.events[0]).toEqual({ type: 'm.typing', room_id: '!r:hs', content: { user_ids: [] } });
    f.source.setTyping('!r:hs', [A]);
    r = await f.sync(A, 'D1', r.next, {});
    expect(r.typing?.events[0]?.content).toEqual({ user_ids: [A] });
    r = await f.sync(A, 'D1', r.next, { typing: null });
    expect(r.typing).toBeUndefined();
    f.source.setTyping('!r:hs', []);
    r = await f.sync(A, 'D1', r.next, {});
    expect(r.typing).toBeUndefined();
  });

  it('starts a new session empty: no parameters carried over from another session', async () => {
    const f = syncFixture();
    f.source.createRoom('!r:hs', { creator: A });
    await f.sync(A, 'D1', undefined, { typing: { room_id: '!r:hs' } });
    const r = await f.sync(A, 'D1', undefined, {});
    f.source.setTyping('!r:hs', [A]);
    const r2 = await f.sync(A, 'D1', r.next, {});
    expect(r2.typing).toBeUndefined();
  });

  it('answers a retransmit (same since, same body) with the identical response', async () => {
    const f = syncFixture();
    f.source.createRoom('!r:hs', { creator: A });
    const first = await f.sync(A, 'D1', undefined, { room: { room_id: '!r:hs' } });
    f.source.sendMessage('!r:hs', A, 'one');
    const body = { typing: { room_id: '!r:hs' }, to_device: {} };
    const r1 = await f.sync(A, 'D1', first.next, body);
    f.source.sendMessage('!r:hs', A, 'two');
    f.source.sendToDevice(A, 'D1', { type: 'x', sender: A, content: {} });
    // Same body with keys in another order: still the same request.
    const r2 = await f.sync(A, 'D1', first.next, { to_device: {}, typing: { room_id: '!r:hs' } });
    expect(JSON.stringify(r2)).toBe(JSON.stringify(r1));
    // The next token still moves on, and the later data comes then.
    const r3 = await f.sync(A, 'D1', r1.next, {});
    expect(r3.room?.events.map((e) => (e.content as { body: string }).body)).toEqual(['two']);
    expect(r3.to_device?.events).toHaveLength(1);
  });

  it('applies a changed body sent with the same since, recomputing from that since', async () => {
    const f = syncFixture();
    f.source.createRoom('!r:hs', { creator: A });
    f.source.createRoom('!s:hs', { creator: A });
    const first = await f.sync(A, 'D1', undefined, {});
    f.source.sendMessage('!r:hs', A, 'hello');
    const lost = await f.sync(A, 'D1', first.next, { typing: { room_id: '!r:hs' } });
    expect(lost.typing).toBeDefined();
    const changed = await f.sync(A, 'D1', first.next, {
      typing: { room_id: '!s:hs' },
      room: { room_id: '!r:hs' },
    });
    expect(changed.typing?.events[0]?.room_id).toBe('!s:hs');
    expect(changed.room?.events.at(-1)?.content).toEqual({ msgtype: 'm.text', body: 'hello' });
    // The lost response's token is gone; the new one works and keeps the changed parameters.
    expect((await rejection(f.request(A, 'D1', lost.next))).code).toBe('M_UNKNOWN_SYNC_SESSION');
    f.source.setTyping('!s:hs', [A]);
    const after = await f.sync(A, 'D1', changed.next, {});
    expect(after.typing?.events[0]?.room_id).toBe('!s:hs');
  });

  it('rejects a bad body with M_BAD_JSON or M_INVALID_PARAM and a new subscription without room_id', async () => {
    const f = syncFixture();
    const r = await f.sync(A, 'D1', undefined, {});
    const bad = async (body: unknown) => (await rejection(f.request(A, 'D1', r.next, body))).code;
    expect(await bad([1])).toBe('M_BAD_JSON');
    expect(await bad({ typing: 'x' })).toBe('M_INVALID_PARAM');
    expect(await bad({ typing: {} })).toBe('M_INVALID_PARAM');
    expect(await bad({ room: { room_id: 5 } })).toBe('M_INVALID_PARAM');
    expect(await bad({ room: { room_id: 'x'.repeat(256) } })).toBe('M_INVALID_PARAM');
    expect(await bad({ room_list: { p: { limit: 0 } } })).toBe('M_INVALID_PARAM');
    expect(await bad({ room_list: { p: { limit: 1.5 } } })).toBe('M_INVALID_PARAM');
    expect(await bad({ room_list: { p: { since: 'p1_!!!' } } })).toBe('M_INVALID_PARAM');
    expect(await bad({ to_device: { limit: -1 } })).toBe('M_INVALID_PARAM');
    for (const timeout of [-1, 1.5, Number.NaN]) {
      expect((await rejection(f.request(A, 'D1', r.next, {}, timeout))).code).toBe('M_INVALID_PARAM');
    }
    // The session survives bad requests.
    expect((await f.sync(A, 'D1', r.next, {})).next).toBeTypeOf('string');
  });

  it('negotiates: caps limit, replaces an unknown sort by the default, and returns the p it used', async () => {
    const f = syncFixture();
    for (let i = 0; i < 150; i++) f.source.createRoom(`!r${i}:hs`, { creator: A });
    const r = await f.sync(A, 'D1', undefined, {
      room_list: { p: { limit: 500, sort: 'by_magic', since: '1' } },
    });
    expect(r.room_list?.p).toMatchObject({ limit: 100, sort: 'by_recency' });
    expect(r.room_list?.rooms).toHaveLength(100);
    const m = await f.sync(A, 'D1', r.next, { room_members: { room_id: '!r1:hs', p: { sort: 'by_pl' } } });
    expect(m.room_members?.p).toEqual({ limit: 20, sort: 'by_pl' });
    const t = await f.sync(A, 'D1', m.next, {
      room: { room_id: '!r1:hs', timeline_limit: 10_000 },
      to_device: { limit: 1000 },
    });
    expect(t.room?.events.length).toBeLessThanOrEqual(100);
  });

  it('unknown streams and fields are ignored', async () => {
    const f = syncFixture();
    const r = await f.sync(A, 'D1', undefined, { presence: { x: 1 }, typing: null });
    expect(Object.keys(r)).toEqual(['next']);
  });
});
