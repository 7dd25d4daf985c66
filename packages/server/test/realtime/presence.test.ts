import { OP_HELLO, OP_IN_CALL, OP_PRES, OP_SETPRES, type Pres } from '@parley/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startTestServer, type TestUser } from '../helpers.js';
import { addContact, leaveRoom, makeRoom, removeContact, users } from './fixtures.js';
import { barrier, connectRt, onlineRt, type RtClient, ZERO } from './rt-client.js';

let t: Awaited<ReturnType<typeof startTestServer>>;
let base: string;
const open: RtClient[] = [];
beforeAll(async () => {
  t = await startTestServer();
  base = t.server.url;
});
afterAll(async () => {
  for (const c of open) c.close();
  await t.stop();
});

async function online(user: TestUser, presence = 3): Promise<RtClient> {
  const c = await onlineRt(base, user, presence);
  open.push(c);
  return c;
}

/** `OP_PRES` commands `c` got after `from`. */
const pres = (c: RtClient, from: number): Pres[] => c.ofOp(OP_PRES, from);
const idle = (v: number) => ({ op: OP_SETPRES, presence: 0x80 | v }) as const;
const user = (v: number) => ({ op: OP_SETPRES, presence: v }) as const;

describe('the login dump', () => {
  it('is HELLO, in-call flags of joined rooms, visible non-zero presence, own presence last', async () => {
    const [alice, bob, carol, erin, frank, gina] = await users(
      base,
      'd_alice',
      'd_bob',
      'd_carol',
      'd_erin',
      'd_frank',
      'd_gina',
    );
    const callRoom = await makeRoom(base, bob!, [alice!, carol!, gina!]);
    const quietRoom = await makeRoom(base, alice!, [bob!]);
    await addContact(base, alice!, erin!);
    await addContact(base, erin!, alice!);
    await addContact(base, alice!, frank!); // one-sided: frank stays unseen
    const [b1, c1] = [await online(bob!, 3), await online(carol!, 4)];
    await online(erin!, 5);
    await online(frank!, 6);
    await online(gina!, 0); // invisible
    b1.send({ op: OP_IN_CALL, room: callRoom.handle, status: 1 });
    c1.send({ op: OP_IN_CALL, room: callRoom.handle, status: 1 });
    await c1.waitFor((cs) => cs.some((c) => c.op === OP_IN_CALL && c.status === 1));

    const a1 = await connectRt(base, alice!);
    open.push(a1);
    const dump = await a1.hello(2);
    expect(dump[0]).toEqual({ op: OP_HELLO, clientId: a1.clientId });
    expect(dump[1]).toEqual({ op: OP_IN_CALL, room: callRoom.handle, status: 1 });
    const middle = dump.slice(2, -1);
    expect(middle.every((c) => c.op === OP_PRES)).toBe(true);
    expect(new Set(middle)).toEqual(
      new Set([
        { op: OP_PRES, user: bob!.handle, presence: 3 },
        { op: OP_PRES, user: carol!.handle, presence: 4 },
        { op: OP_PRES, user: erin!.handle, presence: 5 },
      ]),
    );
    expect(middle).toHaveLength(3);
    expect(dump.at(-1)).toEqual({ op: OP_PRES, user: ZERO, presence: 2 });
    expect(dump.some((c) => c.op === OP_IN_CALL && c.room === quietRoom.handle)).toBe(false);
  });
});

describe('presence merge over three devices', () => {
  it('most chatty device wins; idle values only lower; invisible on one device hides the user', async () => {
    const [alice, bob] = await users(base, 'm_alice', 'm_bob');
    await makeRoom(base, alice!, [bob!]);
    const b1 = await online(bob!);
    const a1 = await online(alice!, 4);
    const a2 = await online(alice!, 3);
    const a3 = await online(alice!, 2);
    const devices = [a1, a2, a3];
    const step = async (from: RtClient, cmd: ReturnType<typeof user>) => {
      const marks = [b1, ...devices].map((c) => c.received.length);
      from.send(cmd);
      await barrier(from, b1, ...devices);
      return {
        watcher: pres(b1, marks[0]!)
          .filter((p) => p.user === alice!.handle)
          .map((p) => p.presence),
        own: devices.map((d, i) =>
          pres(d, marks[i + 1]!)
            .filter((p) => p.user === ZERO)
            .map((p) => p.presence),
        ),
      };
    };
    expect(b1.received.some((c) => c.op === OP_PRES && c.user === alice!.handle && c.presence === 4)).toBe(
      true,
    );
    // a1 goes idle at 2: merged max(2, 3, 2) = 3.
    expect(await step(a1, idle(2))).toEqual({ watcher: [3], own: [[3], [3], [3]] });
    // a2 goes idle at 1: merged 2.
    expect(await step(a2, idle(1))).toEqual({ watcher: [2], own: [[2], [2], [2]] });
    // An idle timer cannot raise a value: a1 stays at 2, nothing is sent.
    expect(await step(a1, idle(3))).toEqual({ watcher: [], own: [[], [], []] });
    // Activity on a1 restores the user's choice.
    expect(await step(a1, user(4))).toEqual({ watcher: [4], own: [[4], [4], [4]] });
    // Invisible on any device: 0 for everyone, its own devices included.
    expect(await step(a3, user(0))).toEqual({ watcher: [0], own: [[0], [0], [0]] });
    // An idle timer cannot make an invisible device visible.
    expect(await step(a3, idle(0))).toEqual({ watcher: [], own: [[], [], []] });
    // The invisible device leaves: back to the chattiest remaining one.
    const mark = b1.received.length;
    a3.close();
    await b1.waitFor((cs) => cs.some((c) => c.op === OP_PRES && c.user === alice!.handle), mark);
    expect(pres(b1, mark)).toEqual([{ op: OP_PRES, user: alice!.handle, presence: 4 }]);
  });
});

describe('visibility', () => {
  it('an invisible user is never sent as non-zero, and shows up when it chooses', async () => {
    const [gina, bob] = await users(base, 'v_gina', 'v_bob');
    await makeRoom(base, gina!, [bob!]);
    const b1 = await online(bob!);
    const g1 = await connectRt(base, gina!);
    open.push(g1);
    const dump = await g1.hello(0);
    expect(dump.at(-1)).toEqual({ op: OP_PRES, user: ZERO, presence: 0 });
    await barrier(g1, b1);
    expect(pres(b1, 0).filter((p) => p.user === gina!.handle)).toEqual([]);
    g1.send(user(3));
    await b1.waitFor((cs) => cs.some((c) => c.op === OP_PRES && c.user === gina!.handle));
    g1.send(user(0));
    await b1.waitFor((cs) => cs.filter((c) => c.op === OP_PRES && c.user === gina!.handle).length === 2);
    expect(
      pres(b1, 0)
        .filter((p) => p.user === gina!.handle)
        .map((p) => p.presence),
    ).toEqual([3, 0]);
  });

  it('contacts need both sides; removing one side hides both', async () => {
    const [erin, frank] = await users(base, 'c_erin', 'c_frank');
    const e1 = await online(erin!, 3);
    const f1 = await online(frank!, 4);
    await addContact(base, erin!, frank!);
    await barrier(e1, f1);
    expect(pres(e1, 0).filter((p) => p.user !== ZERO)).toEqual([]);
    expect(pres(f1, 0).filter((p) => p.user !== ZERO)).toEqual([]);
    await addContact(base, frank!, erin!);
    await e1.waitFor((cs) => cs.some((c) => c.op === OP_PRES && c.user === frank!.handle));
    await f1.waitFor((cs) => cs.some((c) => c.op === OP_PRES && c.user === erin!.handle));
    expect(pres(e1, 0).filter((p) => p.user !== ZERO)).toEqual([
      { op: OP_PRES, user: frank!.handle, presence: 4 },
    ]);
    expect(pres(f1, 0).filter((p) => p.user !== ZERO)).toEqual([
      { op: OP_PRES, user: erin!.handle, presence: 3 },
    ]);
    // Persisted: a new connection of erin sees frank in its dump.
    const e2 = await connectRt(base, erin!);
    open.push(e2);
    expect(await e2.hello()).toContainEqual({ op: OP_PRES, user: frank!.handle, presence: 4 });
    const listed = await call(base, 'GET', '/_parley/v1/contacts', { token: erin!.token });
    expect(listed.json).toEqual({ contacts: [{ user_id: frank!.userId, user_handle: frank!.handle }] });
    const marks = [e1.received.length, f1.received.length];
    await removeContact(base, frank!, erin!);
    await e1.waitFor((cs) => cs.some((c) => c.op === OP_PRES && c.user === frank!.handle), marks[0]);
    await f1.waitFor((cs) => cs.some((c) => c.op === OP_PRES && c.user === erin!.handle), marks[1]);
    expect(pres(e1, marks[0]!)).toEqual([{ op: OP_PRES, user: frank!.handle, presence: 0 }]);
    expect(pres(f1, marks[1]!)).toEqual([{ op: OP_PRES, user: erin!.handle, presence: 0 }]);
  });

  it('contacts of users who never connected are loaded when one of them connects', async () => {
    const [hal, ivy] = await users(base, 'l_hal', 'l_ivy');
    await addContact(base, hal!, ivy!);
    await addContact(base, ivy!, hal!);
    const i1 = await online(ivy!, 5);
    const h1 = await connectRt(base, hal!);
    open.push(h1);
    expect(await h1.hello()).toContainEqual({ op: OP_PRES, user: ivy!.handle, presence: 5 });
    await i1.waitFor((cs) => cs.some((c) => c.op === OP_PRES && c.user === hal!.handle));
    expect(pres(i1, 0).filter((p) => p.user === hal!.handle)).toEqual([
      { op: OP_PRES, user: hal!.handle, presence: 3 },
    ]);
  });

  it('leaving the last shared room hides both users from each other', async () => {
    const [alice, bob] = await users(base, 's_alice', 's_bob');
    const r1 = await makeRoom(base, alice!, [bob!]);
    const r2 = await makeRoom(base, alice!, [bob!]);
    const a1 = await online(alice!, 3);
    const b1 = await online(bob!, 4);
    await leaveRoom(base, bob!, r1.roomId);
    await barrier(a1, b1);
    expect(
      pres(a1, 0)
        .filter((p) => p.user === bob!.handle)
        .map((p) => p.presence),
    ).toEqual([4]);
    const marks = [a1.received.length, b1.received.length];
    await leaveRoom(base, bob!, r2.roomId);
    await a1.waitFor((cs) => cs.some((c) => c.op === OP_PRES && c.user === bob!.handle), marks[0]);
    await b1.waitFor((cs) => cs.some((c) => c.op === OP_PRES && c.user === alice!.handle), marks[1]);
    expect(pres(a1, marks[0]!)).toEqual([{ op: OP_PRES, user: bob!.handle, presence: 0 }]);
    expect(pres(b1, marks[1]!)).toEqual([{ op: OP_PRES, user: alice!.handle, presence: 0 }]);
  });
});

describe('PUT/DELETE /_parley/v1/contacts/{userId}', () => {
  it('answers the contact handle, and Matrix errors for bad input', async () => {
    const [kim, lee] = await users(base, 'e_kim', 'e_lee');
    const path = (id: string) => `/_parley/v1/contacts/${encodeURIComponent(id)}`;
    const put = (id: string, token?: string) => call(base, 'PUT', path(id), { token, body: {} });
    expect((await put(lee!.userId, kim!.token)).json).toEqual({ user_handle: lee!.handle });
    expect((await put(lee!.userId, kim!.token)).status).toBe(200); // idempotent
    const cases: [Promise<{ status: number; json: { errcode: string } }>, number, string][] = [
      [put(lee!.userId), 401, 'M_MISSING_TOKEN'],
      [put(kim!.userId, kim!.token), 400, 'M_INVALID_PARAM'],
      [put('lee', kim!.token), 400, 'M_INVALID_PARAM'],
      [put('@nobody:test.local', kim!.token), 404, 'M_NOT_FOUND'],
      [put('@lee:elsewhere.example', kim!.token), 400, 'M_INVALID_PARAM'],
      [call(base, 'DELETE', path('@nobody:test.local'), { token: kim!.token }), 404, 'M_NOT_FOUND'],
      [call(base, 'PUT', path(lee!.userId), { token: kim!.token, raw: 'not json' }), 400, 'M_NOT_JSON'],
    ];
    for (const [answer, status, errcode] of cases) {
      const r = await answer;
      expect({ status: r.status, errcode: r.json.errcode }).toEqual({ status, errcode });
    }
    expect((await call(base, 'DELETE', path(lee!.userId), { token: kim!.token })).status).toBe(200);
    expect((await call(base, 'DELETE', path(lee!.userId), { token: kim!.token })).status).toBe(200);
  });

  it('refuses a contact past maxContactsPerUser with 403 M_FORBIDDEN', async () => {
    const s = await startTestServer({ maxContactsPerUser: 1 });
    try {
      const [a, b, c] = await users(s.server.url, 'q_a', 'q_b', 'q_c');
      const put = (to: TestUser) =>
        call(s.server.url, 'PUT', `/_parley/v1/contacts/${encodeURIComponent(to.userId)}`, {
          token: a!.token,
        });
      expect((await put(b!)).status).toBe(200);
      const r = await put(c!);
      expect({ status: r.status, errcode: r.json.errcode }).toEqual({ status: 403, errcode: 'M_FORBIDDEN' });
    } finally {
      await s.stop();
    }
  });
});
