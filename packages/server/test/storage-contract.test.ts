/**
 * The {@link Storage} contract, run on both backends (the `server` project on SQLite, `server-pg`
 * on PostgreSQL): same answers, same order, same refusals.
 */
import type { PDU } from '@parley/core';
import { afterEach, describe, expect, it } from 'vitest';
import { PREV_EVENTS_STALE, TXN_EXISTS } from '../src/storage/append-conflict.js';
import type { NewEvent, Storage } from '../src/storage/storage.js';
import { tempDir } from './helpers.js';
import { openTestStorage, TEST_BACKEND } from './test-database.js';

const open: { storage: Storage; cleanup: () => Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) {
    await o.storage.close();
    await o.cleanup();
  }
});

async function storage(): Promise<Storage> {
  const t = tempDir('parley-contract-');
  const s = await openTestStorage(t.dir);
  open.push({ storage: s, cleanup: t.cleanup });
  return s;
}

let n = 0;
const handles = () => `${(++n).toString(16).padStart(16, '0')}`;

/** A stand-in PDU: the storage neither checks hashes nor signatures. */
function ev(
  roomId: string,
  type: string,
  prev: readonly NewEvent[],
  extra: { stateKey?: string; content?: Record<string, string>; ts?: number; sender?: string } = {},
): NewEvent {
  const event = {
    type,
    room_id: roomId,
    sender: extra.sender ?? '@a:x',
    depth: Math.max(0, ...prev.map((p) => p.event.depth)) + 1,
    origin_server_ts: extra.ts ?? 1_700_000_000_000 + n,
    prev_events: prev.map((p) => p.eventId),
    auth_events: [],
    content: extra.content ?? {},
    hashes: { sha256: 'h' },
    signatures: {},
    ...(extra.stateKey === undefined ? {} : { state_key: extra.stateKey }),
  } as PDU;
  return { eventId: `$ev${++n}`, event };
}

async function user(s: Storage, userId: string): Promise<string> {
  const localpart = userId.slice(1, userId.indexOf(':'));
  return (await s.createUser({ userId, localpart, passwordHash: 'h', createdTs: 1_700_000_000_000 }, handles))
    .handle;
}

/** A room created by @a:x with `members` joined; returns its events in order. */
async function room(s: Storage, roomId: string, members: string[] = ['@a:x']): Promise<NewEvent[]> {
  const create = ev(roomId, 'm.room.create', [], { stateKey: '' });
  const events = [create];
  for (const m of members) {
    events.push(
      ev(roomId, 'm.room.member', [events.at(-1)!], { stateKey: m, content: { membership: 'join' } }),
    );
  }
  await s.createRoom({ roomId, roomVersion: '11', creator: '@a:x', createdTs: 1 }, handles, events);
  return events;
}

describe(`Storage contract (${TEST_BACKEND})`, () => {
  it('creates users with unique handles, refuses a taken id, keeps big timestamps exact', async () => {
    const s = await storage();
    const seq = ['00000000000000aa', '00000000000000aa', '00000000000000bb'];
    const u = { userId: '@a:x', localpart: 'a', passwordHash: 'h', createdTs: 8_640_000_000_000 };
    expect((await s.createUser(u, () => seq.shift()!)).handle).toBe('00000000000000aa');
    await expect(s.createUser(u, handles)).rejects.toMatchObject({ code: 'M_USER_IN_USE' });
    await expect(s.createUser({ ...u, userId: '@other:x' }, handles)).rejects.toMatchObject({
      code: 'M_USER_IN_USE',
    });
    expect((await s.createUser({ ...u, userId: '@b:x', localpart: 'b' }, () => seq.shift()!)).handle).toBe(
      '00000000000000bb',
    );
    await expect(
      s.createUser({ ...u, userId: '@c:x', localpart: 'c' }, () => '0000000000000000'),
    ).rejects.toThrow(/handle/);
    expect(await s.getUser('@a:x')).toEqual({ ...u, handle: '00000000000000aa' });
    expect(await s.getUser('@c:x')).toBeUndefined();
  });

  it('stores meta values, tokens and devices', async () => {
    const s = await storage();
    expect(await s.getMeta('server_name')).toBeUndefined();
    await s.setMeta('server_name', 'x');
    await s.setMeta('server_name', 'y');
    expect(await s.getMeta('server_name')).toBe('y');
    await user(s, '@a:x');
    await s.addAccessToken('t1', { userId: '@a:x', deviceId: 'PHONE' }, 1);
    await s.addAccessToken('t2', { userId: '@a:x', deviceId: 'PHONE' }, 2);
    await s.addAccessToken('t3', { userId: '@a:x', deviceId: 'LAPTOP' }, 3);
    expect(await s.getAccessToken('t2')).toEqual({ userId: '@a:x', deviceId: 'PHONE' });
    await s.deleteAccessToken('t2');
    expect(await s.getAccessToken('t2')).toBeUndefined();
    expect(await s.getDeviceIds('@a:x')).toEqual(['LAPTOP', 'PHONE']);
  });

  it('appends events: orderings, state, extremities, pages, txn ids', async () => {
    const s = await storage();
    await user(s, '@a:x');
    await user(s, '@b:x');
    const evs = await room(s, '!r:x', ['@a:x']);
    const stored = [];
    let last = evs.at(-1)!;
    for (let i = 0; i < 5; i++) {
      last = ev('!r:x', 'm.room.message', [last], { content: { body: `m${i}` } });
      stored.push(await s.appendEvent('!r:x', last, { userId: '@a:x', deviceId: 'D', txnId: `t${i}` }));
    }
    const orderings = stored.map((e) => e.streamOrdering);
    expect(orderings).toEqual([...orderings].sort((a, b) => a - b));
    expect(new Set(orderings).size).toBe(5);
    expect(await s.getTxnEventId({ userId: '@a:x', deviceId: 'D', txnId: 't3' })).toBe(stored[3]!.eventId);
    // By event id, for the sending device only; unknown ids and events sent without a txn are absent.
    const asked = [stored[1]!.eventId, stored[3]!.eventId, evs[0]!.eventId, '$unknown'];
    expect(await s.getTxnIdsOfEvents('@a:x', 'D', asked)).toEqual(
      new Map([
        [stored[1]!.eventId, 't1'],
        [stored[3]!.eventId, 't3'],
      ]),
    );
    expect((await s.getTxnIdsOfEvents('@a:x', 'OTHER', asked)).size).toBe(0);
    expect((await s.getTxnIdsOfEvents('@b:x', 'D', asked)).size).toBe(0);
    expect((await s.getTxnIdsOfEvents('@a:x', 'D', [])).size).toBe(0);
    expect(await s.getEvent(stored[2]!.eventId)).toEqual(stored[2]);
    expect(await s.getForwardExtremities('!r:x', 20)).toEqual([
      { eventId: last.eventId, depth: last.event.depth },
    ]);

    const join = ev('!r:x', 'm.room.member', [last], { stateKey: '@b:x', content: { membership: 'join' } });
    await s.appendEvent('!r:x', join);
    const keys = [
      { type: 'm.room.member', stateKey: '@b:x' },
      { type: 'm.room.power_levels', stateKey: '' },
      { type: 'm.room.create', stateKey: '' },
    ];
    expect((await s.getStateEntries('!r:x', keys)).map((e) => e.eventId)).toEqual([
      join.eventId,
      evs[0]!.eventId,
    ]);
    expect((await s.getFullState('!r:x')).map((e) => e.eventId)).toEqual([
      evs[0]!.eventId,
      evs[1]!.eventId,
      join.eventId,
    ]);
    const back = await s.getRoomEvents({
      roomId: '!r:x',
      dir: 'b',
      from: stored[3]!.streamOrdering,
      limit: 2,
    });
    expect(back.map((e) => e.eventId)).toEqual([stored[3]!.eventId, stored[2]!.eventId]);
    const fwd = await s.getRoomEvents({
      roomId: '!r:x',
      dir: 'f',
      from: stored[3]!.streamOrdering,
      limit: 10,
    });
    expect(fwd.map((e) => e.eventId)).toEqual([stored[4]!.eventId, join.eventId]);
    expect(await s.getMaxStreamOrdering()).toBe(fwd.at(-1)!.streamOrdering);
  });

  it('refuses an event built on stale extremities or a used txn id, storing nothing', async () => {
    const s = await storage();
    await user(s, '@a:x');
    const evs = await room(s, '!r:x');
    const head = evs.at(-1)!;
    const first = ev('!r:x', 'm.room.message', [head]);
    await s.appendEvent('!r:x', first, { userId: '@a:x', deviceId: 'D', txnId: 'once' });
    // Built on the same parent as `first`: storing it would fork the room.
    const fork = ev('!r:x', 'm.room.message', [head]);
    await expect(s.appendEvent('!r:x', fork)).rejects.toMatchObject({ code: PREV_EVENTS_STALE });
    const again = ev('!r:x', 'm.room.message', [first]);
    await expect(
      s.appendEvent('!r:x', again, { userId: '@a:x', deviceId: 'D', txnId: 'once' }),
    ).rejects.toMatchObject({ code: TXN_EXISTS });
    expect(await s.getEvent(fork.eventId)).toBeUndefined();
    expect(await s.getEvent(again.eventId)).toBeUndefined();
    expect(await s.getForwardExtremities('!r:x', 20)).toEqual([
      { eventId: first.eventId, depth: first.event.depth },
    ]);
  });

  it('builds an event on the state and extremities it reads under the room lock', async () => {
    const s = await storage();
    await user(s, '@a:x');
    const evs = await room(s, '!r:x');
    const keys = [
      { type: 'm.room.member', stateKey: '@a:x' },
      { type: 'm.room.topic', stateKey: '' },
    ];
    let seen: { state: string[]; prev: string[] } | undefined;
    const stored = await s.appendBuiltEvent(
      '!r:x',
      keys,
      20,
      (state, prev) => {
        seen = { state: state.map((e) => e.eventId), prev: prev.map((p) => p.eventId) };
        return ev('!r:x', 'm.room.message', [evs.at(-1)!]);
      },
      { userId: '@a:x', deviceId: 'D', txnId: 'built' },
    );
    expect(seen).toEqual({ state: [evs[1]!.eventId], prev: [evs.at(-1)!.eventId] });
    expect(await s.getTxnEventId({ userId: '@a:x', deviceId: 'D', txnId: 'built' })).toBe(stored.eventId);
    // A build that throws (an authorization failure) stores nothing.
    const refused = s.appendBuiltEvent('!r:x', [], 20, () => {
      throw new Error('forbidden');
    });
    await expect(refused).rejects.toThrow('forbidden');
    expect(await s.getForwardExtremities('!r:x', 20)).toEqual([
      { eventId: stored.eventId, depth: stored.event.depth },
    ]);
  });

  it('sorts ids bytewise like SQLite, whatever the database collation', async () => {
    const s = await storage();
    for (const u of ['@a:x', '@B:x', '@b:x', '@_:x']) await user(s, u);
    for (const r of ['!b:x', '!B:x', '!a:x']) await room(s, r, ['@a:x', '@b:x', '@B:x', '@_:x']);
    expect(await s.getJoinedRooms('@a:x')).toEqual(['!B:x', '!a:x', '!b:x']);
    expect((await s.getJoinedMembers('!a:x')).map((m) => m.userId)).toEqual(['@B:x', '@_:x', '@a:x', '@b:x']);
    for (const c of ['@b:x', '@B:x', '@_:x']) expect(await s.addContact('@a:x', c, 1, 10)).toBe('added');
    expect((await s.getContacts('@a:x')).map((m) => m.userId)).toEqual(['@B:x', '@_:x', '@b:x']);
  });

  it('keeps contacts bounded and tickets single-use', async () => {
    const s = await storage();
    for (const u of ['@a:x', '@b:x', '@c:x']) await user(s, u);
    expect(await s.addContact('@a:x', '@b:x', 1, 1)).toBe('added');
    expect(await s.addContact('@a:x', '@b:x', 1, 1)).toBe('exists');
    expect(await s.addContact('@a:x', '@c:x', 1, 1)).toBe('full');
    expect((await s.getContactOf('@b:x')).map((c) => c.userId)).toEqual(['@a:x']);
    expect(await s.removeContact('@a:x', '@b:x')).toBe(true);
    expect(await s.removeContact('@a:x', '@b:x')).toBe(false);
    const rec = { userId: '@a:x', deviceId: 'D' };
    expect(await s.addRealtimeTicket('k1', rec, 1000, 0, 2)).toBe(true);
    expect(await s.addRealtimeTicket('k2', rec, 1000, 0, 2)).toBe(true);
    expect(await s.addRealtimeTicket('k3', rec, 1000, 0, 2)).toBe(false);
    expect(await s.takeRealtimeTicket('k1', 500)).toEqual(rec);
    expect(await s.takeRealtimeTicket('k1', 500)).toBeUndefined();
    expect(await s.takeRealtimeTicket('k2', 1000)).toBeUndefined();
    // Expired tickets no longer count against the cap.
    expect(await s.addRealtimeTicket('k4', rec, 3000, 2000, 1)).toBe(true);
  });

  it("deletes a device's unused tickets, and only that device's", async () => {
    const s = await storage();
    await user(s, '@a:x');
    const d1 = { userId: '@a:x', deviceId: 'D1' };
    const d2 = { userId: '@a:x', deviceId: 'D2' };
    expect(await s.addRealtimeTicket('t1', d1, 1000, 0, 10)).toBe(true);
    expect(await s.addRealtimeTicket('t2', d1, 1000, 0, 10)).toBe(true);
    expect(await s.addRealtimeTicket('t3', d2, 1000, 0, 10)).toBe(true);
    expect(await s.deleteRealtimeTickets('@a:x', 'D1')).toBe(2);
    expect(await s.deleteRealtimeTickets('@a:x', 'D1')).toBe(0);
    expect(await s.takeRealtimeTicket('t1', 500)).toBeUndefined();
    expect(await s.takeRealtimeTicket('t2', 500)).toBeUndefined();
    expect(await s.takeRealtimeTicket('t3', 500)).toEqual(d2);
  });

  it('serves the sync reads and the to-device queue', async () => {
    const s = await storage();
    await user(s, '@a:x');
    await s.addAccessToken('t', { userId: '@a:x', deviceId: 'D1' }, 1);
    const evs = await room(s, '!r:x');
    const name = ev('!r:x', 'm.room.name', [evs.at(-1)!], { stateKey: '', content: { name: 'Tea' }, ts: 42 });
    const stored = await s.appendEvent('!r:x', name);
    expect(await s.getRoomHeads()).toEqual([
      {
        roomId: '!r:x',
        handle: expect.any(String),
        streamOrdering: stored.streamOrdering,
        originServerTs: 42,
      },
    ]);
    expect((await s.getCurrentStateOfTypes(['m.room.name', 'm.room.create'])).map((e) => e.eventId)).toEqual([
      evs[0]!.eventId,
      name.eventId,
    ]);
    const reserved = await s.reserveStreamOrdering();
    expect(reserved).toBeGreaterThan(stored.streamOrdering);
    expect(await s.getMaxStreamOrdering()).toBe(reserved);
    const next = await s.appendEvent('!r:x', ev('!r:x', 'm.room.message', [name]));
    expect(next.streamOrdering).toBeGreaterThan(reserved);

    const msg = (position: number, deviceId = 'D1') => ({
      userId: '@a:x',
      deviceId,
      position,
      type: 'm.x',
      sender: '@b:x',
      content: { n: position },
    });
    const bounds = { maxQueuedPerDevice: 3, txnRetentionMs: 1000, now: 10_000 };
    const txn = { userId: '@b:x', deviceId: 'B', txnId: 'x1' };
    expect(await s.hasToDeviceTxn(txn)).toBe(false);
    expect(await s.addToDeviceMessages([msg(5), msg(6), msg(5, 'D2')], txn, bounds)).toEqual({
      kind: 'stored',
    });
    expect(await s.hasToDeviceTxn(txn)).toBe(true);
    expect(await s.addToDeviceMessages([msg(7)], txn, bounds)).toEqual({ kind: 'duplicate' });
    const full = await s.addToDeviceMessages([msg(8), msg(9)], { ...txn, txnId: 'x2' }, bounds);
    expect(full).toEqual({ kind: 'queue_full', userId: '@a:x', deviceId: 'D1' });
    // Nothing of the refused send was kept, not even its txn id.
    expect(await s.hasToDeviceTxn({ ...txn, txnId: 'x2' })).toBe(false);
    expect(await s.countToDeviceMessages()).toBe(3);
    const got = await s.getToDeviceMessages('@a:x', 'D1', { after: 0, upTo: 100, limit: 10 });
    expect(got).toEqual([msg(5), msg(6)]);
    expect(await s.getToDeviceMessages('@a:x', 'D1', { after: 5, upTo: 100, limit: 10 })).toEqual([msg(6)]);
    expect(await s.getMaxToDevicePosition()).toBe(6);
    expect(await s.deleteToDeviceMessages('@a:x', 'D1', 5)).toBe(1);
    expect(await s.countToDeviceMessages({ userId: '@a:x', deviceId: 'D1' })).toBe(1);
    // Past the retention the txn id is forgotten and may be used again.
    const later = { ...bounds, now: 20_000 };
    expect(await s.addToDeviceMessages([msg(10, 'D2')], txn, later)).toEqual({ kind: 'stored' });
  });

  it('stores a to-device send at a stream ordering of its own when asked (several instances)', async () => {
    const s = await storage();
    await user(s, '@a:x');
    await s.addAccessToken('t', { userId: '@a:x', deviceId: 'D1' }, 1);
    const evs = await room(s, '!r:x');
    const before = await s.getMaxStreamOrdering();
    const msg = (deviceId: string) => ({
      userId: '@a:x',
      deviceId,
      position: 1, // ignored: the positions follow the ordering
      type: 'm.x',
      sender: '@b:x',
      content: { to: deviceId },
    });
    const bounds = { maxQueuedPerDevice: 10, txnRetentionMs: 1000, now: 10_000, orderingBits: 20 };
    const txn = { userId: '@b:x', deviceId: 'B', txnId: 'o1' };
    const r = await s.addToDeviceMessages([msg('D1'), msg('D2'), msg('D1')], txn, bounds);
    expect(r).toEqual({ kind: 'stored', ordering: before + 1 });
    expect(await s.getMaxStreamOrdering()).toBe(before + 1);
    const base = (before + 1) * 2 ** 20;
    const d1 = await s.getToDeviceMessages('@a:x', 'D1', { after: 0, upTo: base + 10, limit: 10 });
    expect(d1.map((m) => m.position)).toEqual([base + 1, base + 3]);
    // The next event comes after the send's ordering; a retry takes none.
    const next = await s.appendEvent('!r:x', ev('!r:x', 'm.room.message', [evs.at(-1)!]));
    expect(next.streamOrdering).toBe(before + 2);
    expect(await s.addToDeviceMessages([msg('D1')], txn, bounds)).toEqual({ kind: 'duplicate' });
    expect(await s.getMaxStreamOrdering()).toBe(before + 2);
  });
});
