/**
 * The realtime channel across two instances (in this process, one PostgreSQL schema, one Redis):
 * RTMSG in all three addressing modes, presence merged over both, the in-call flag, membership
 * and contact changes made on the other instance, client ids unique across instances, and a
 * stopping instance's users going offline.
 */
import { OP_IN_CALL, OP_PRES, OP_REJECT, OP_RTMSG, OP_SETPRES, RejectCode } from '@parley/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_ID_BITS } from '../../src/cluster/instance-lease.js';
import type { ParleyServer } from '../../src/index.js';
import type { TestUser } from '../helpers.js';
import { addContact, joinRoom, makeRoom, setMembership, settle, users } from '../realtime/fixtures.js';
import { barrier, onlineRt, type RtClient, rtmsg, ZERO } from '../realtime/rt-client.js';
import { InProcessCluster, RedisScope } from './cluster-helpers.js';

const scope = new RedisScope();
const cluster = new InProcessCluster(scope);
let a: ParleyServer;
let b: ParleyServer;
const open: RtClient[] = [];

beforeAll(async () => {
  a = await cluster.start();
  b = await cluster.start();
});
afterAll(async () => {
  for (const c of open) c.close();
  await cluster.stop();
  const left = await scope.cleanup();
  // A clean stop gives the slot back and deletes the connection records; only the slot counter stays.
  expect(left).toEqual([`${scope.prefix}slot-seq`]);
});

async function online(server: ParleyServer, user: TestUser, presence = 3): Promise<RtClient> {
  const c = await onlineRt(server.url, user, presence);
  open.push(c);
  return c;
}

/** Waits until `c` has been told presence `p` for `user` (after index `from`). */
const seesPresence = (c: RtClient, user: string, p: number, from = 0) =>
  c.waitFor((cs) => cs.some((x) => x.op === OP_PRES && x.user === user && x.presence === p), from);

describe('realtime across two instances', () => {
  it('hands out client ids from a slot of each instance', async () => {
    const [u] = await users(a.url, 'ids_u');
    const ca = await online(a, u!);
    const cb = await online(b, u!);
    const slotA = Math.floor(ca.clientId / 2 ** CLIENT_ID_BITS);
    const slotB = Math.floor(cb.clientId / 2 ** CLIENT_ID_BITS);
    expect(slotA).toBeGreaterThan(0);
    expect(slotB).toBeGreaterThan(0);
    expect(slotA).not.toBe(slotB);
  });

  it('delivers RTMSG (0, 0), (U, 0) and (U, C) to connections on the other instance', async () => {
    const [alice, bob, carol] = await users(a.url, 'rt_alice', 'rt_bob', 'rt_carol');
    const room = await makeRoom(a.url, alice!, [bob!, carol!]);
    const a1 = await online(a, alice!);
    const a2 = await online(b, alice!); // alice's other device, on the other instance
    const b1 = await online(b, bob!);
    const b2 = await online(a, bob!);
    const c1 = await online(b, carol!);
    const from = (c: RtClient) => c.received.length;
    const marks = new Map([a1, a2, b1, b2, c1].map((c) => [c, from(c)]));
    const data = Uint8Array.of(1, 2, 3);
    a1.send(rtmsg(room.handle, ZERO, 0, data, 5));
    for (const c of [a2, b1, b2, c1]) {
      const got = await c.waitFor((cs) => cs.some((x) => x.op === OP_RTMSG), marks.get(c));
      const m = got.find((x) => x.op === OP_RTMSG)!;
      expect(m).toEqual({
        op: OP_RTMSG,
        room: room.handle,
        senderUser: alice!.handle,
        senderClient: a1.clientId,
        msgtype: 5,
        data,
      });
    }
    await barrier(a1);
    expect(a1.ofOp(OP_RTMSG, marks.get(a1))).toEqual([]);

    for (const c of [a2, b1, b2, c1]) marks.set(c, from(c));
    a1.send(rtmsg(room.handle, bob!.handle, 0, Uint8Array.of(9)));
    await b1.waitFor((cs) => cs.some((x) => x.op === OP_RTMSG), marks.get(b1));
    await b2.waitFor((cs) => cs.some((x) => x.op === OP_RTMSG), marks.get(b2));

    marks.set(b1, from(b1));
    marks.set(b2, from(b2));
    a1.send(rtmsg(room.handle, bob!.handle, b1.clientId, Uint8Array.of(8)));
    const only = await b1.waitFor((cs) => cs.some((x) => x.op === OP_RTMSG), marks.get(b1));
    expect(only.filter((x) => x.op === OP_RTMSG)).toHaveLength(1);
    // A client id no instance holds is refused; the others got nothing of either message.
    const rejectFrom = from(a1);
    a1.send(rtmsg(room.handle, bob!.handle, b1.clientId + 1000, Uint8Array.of(7)));
    const rejected = await a1.waitFor((cs) => cs.some((x) => x.op === OP_REJECT), rejectFrom);
    expect(rejected.find((x) => x.op === OP_REJECT)).toMatchObject({ code: RejectCode.UNKNOWN_CLIENT });
    await barrier(a1, b1, b2, c1, a2);
    expect(b2.ofOp(OP_RTMSG, marks.get(b2))).toEqual([]);
    expect(c1.ofOp(OP_RTMSG, marks.get(c1))).toEqual([]);
  });

  it('merges presence over the connections on both instances', async () => {
    const [dan, eve] = await users(a.url, 'p_dan', 'p_eve');
    await makeRoom(a.url, dan!, [eve!]);
    const watcher = await online(b, eve!);
    const d1 = await online(a, dan!, 3);
    await seesPresence(watcher, dan!.handle, 3);
    const d2 = await online(b, dan!, 4);
    await seesPresence(watcher, dan!.handle, 4);
    await seesPresence(d1, ZERO, 4); // its own merged presence, from the other instance's device
    let mark = watcher.received.length;
    d1.send({ op: OP_SETPRES, presence: 0 }); // invisible on one device hides it everywhere
    await seesPresence(watcher, dan!.handle, 0, mark);
    mark = watcher.received.length;
    d1.close();
    await seesPresence(watcher, dan!.handle, 4, mark);
    mark = watcher.received.length;
    d2.close();
    await seesPresence(watcher, dan!.handle, 0, mark);
  });

  it('raises the in-call flag for two users on two instances', async () => {
    const [fay, gus, hal] = await users(a.url, 'c_fay', 'c_gus', 'c_hal');
    const room = await makeRoom(a.url, fay!, [gus!, hal!]);
    const f = await online(a, fay!);
    const g = await online(b, gus!);
    const h = await online(a, hal!);
    f.send({ op: OP_IN_CALL, room: room.handle, status: 1 });
    g.send({ op: OP_IN_CALL, room: room.handle, status: 1 });
    for (const c of [f, g, h]) {
      await c.waitFor((cs) =>
        cs.some((x) => x.op === OP_IN_CALL && x.status === 1 && x.room === room.handle),
      );
    }
    const mark = h.received.length;
    g.send({ op: OP_IN_CALL, room: room.handle, status: 0 });
    await h.waitFor((cs) => cs.some((x) => x.op === OP_IN_CALL && x.status === 0), mark);
  });

  it('applies memberships and contacts changed through the other instance', async () => {
    const [ivy, jay, kim] = await users(a.url, 'm_ivy', 'm_jay', 'm_kim');
    const room = await makeRoom(a.url, ivy!, [jay!]);
    const i1 = await online(a, ivy!);
    const j1 = await online(b, jay!);
    // kim joins through instance b; ivy (on a) must reach it.
    const k1 = await online(b, kim!);
    const inv = await fetch(`${a.url}/_matrix/client/v3/rooms/${encodeURIComponent(room.roomId)}/invite`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ivy!.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ user_id: kim!.userId }),
    });
    expect(inv.status).toBe(200);
    await joinRoom(b.url, kim!, room.roomId);
    await seesPresence(i1, kim!.handle, 3); // kim became visible to ivy on the other instance
    let mark = k1.received.length;
    i1.send(rtmsg(room.handle, ZERO, 0, Uint8Array.of(1)));
    await k1.waitFor((cs) => cs.some((x) => x.op === OP_RTMSG), mark);
    // jay is kicked through instance a; instance b stops routing to it.
    const jBeforeKick = j1.received.length;
    await setMembership(a.url, ivy!, jay!, room.roomId, 'leave');
    await seesPresence(i1, jay!.handle, 0);
    // Instance b applies the kick when it reads the leave back from PostgreSQL, a few ms after a
    // did (docs/scale-out.md, "Limits"): jay losing sight of ivy shows that b has applied it.
    await seesPresence(j1, ivy!.handle, 0, jBeforeKick);
    mark = j1.received.length;
    const kMark = k1.received.length;
    i1.send(rtmsg(room.handle, ZERO, 0, Uint8Array.of(2)));
    await k1.waitFor((cs) => cs.some((x) => x.op === OP_RTMSG), kMark);
    await settle();
    expect(j1.ofOp(OP_RTMSG, mark)).toEqual([]);

    // Contacts: each side adds the other through a different instance.
    const [lee, max] = await users(a.url, 'k_lee', 'k_max');
    const l1 = await online(a, lee!);
    await online(b, max!, 4);
    await addContact(b.url, max!, lee!);
    await addContact(a.url, lee!, max!);
    await seesPresence(l1, max!.handle, 4);
  });

  it("closes a logged-out device's connections on the other instance too", async () => {
    const [pat] = await users(a.url, 'l_pat');
    const other = await online(b, pat!);
    const r = await fetch(`${a.url}/_matrix/client/v3/logout`, {
      method: 'POST',
      headers: { authorization: `Bearer ${pat!.token}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(r.status).toBe(200);
    expect(await other.waitClosed()).toEqual({ code: 1008, reason: 'logged out' });
  });

  it("shows a stopped instance's users offline at once", async () => {
    const c = await cluster.start();
    const [nia, oli] = await users(a.url, 's_nia', 's_oli');
    await makeRoom(a.url, nia!, [oli!]);
    const watcher = await online(a, oli!);
    await online(c, nia!, 5);
    await seesPresence(watcher, nia!.handle, 5);
    const mark = watcher.received.length;
    cluster.servers.splice(cluster.servers.indexOf(c), 1);
    await c.close();
    await seesPresence(watcher, nia!.handle, 0, mark);
  });
});
