import { createHash } from 'node:crypto';
import { OP_HELLO, OP_RTMSG, OP_SETPRES } from '@parley/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { call, spawnServer, startTestServer, type TestUser, tempDir, V3 } from '../helpers.js';
import { queryRows } from '../test-database.js';
import { makeRoom, settle, users } from './fixtures.js';
import { barrier, onlineRt, RtClient, refusedUpgrade, rtmsg, rtUrl, ticketFor, ZERO } from './rt-client.js';

let t: Awaited<ReturnType<typeof startTestServer>>;
let skew = 0;
let base: string;
let alice: TestUser;
let bob: TestUser;
let room: { roomId: string; handle: string };

beforeAll(async () => {
  t = await startTestServer({ clock: { now: () => Date.now() + skew } });
  base = t.server.url;
  [alice, bob] = (await users(base, 'alice', 'bob')) as [TestUser, TestUser];
  room = await makeRoom(base, alice, [bob]);
});
afterAll(() => t.stop());

async function openWith(
  url: string,
  user: TestUser,
  headers: Record<string, string> = {},
): Promise<RtClient> {
  const ws = new WebSocket(url, { headers, perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_q, res) => reject(new Error(`refused ${res.statusCode}`)));
    ws.once('error', reject);
  });
  return new RtClient(ws, user);
}

describe('POST /_parley/v1/realtime/ticket', () => {
  it('issues a 256-bit ticket valid for 30 s, stored only as its SHA-256', async () => {
    const r = await call(base, 'POST', '/_parley/v1/realtime/ticket', { token: alice.token });
    expect(r.status).toBe(200);
    expect(r.json.expires_in).toBe(30);
    const ticket: string = r.json.ticket;
    expect(ticket).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(ticket, 'base64url')).toHaveLength(32);
    const rows = await queryRows<Record<string, unknown>>(t.dir, 'SELECT * FROM realtime_tickets');
    const hash = createHash('sha256').update(ticket).digest('hex');
    expect(rows).toContainEqual(
      expect.objectContaining({ ticket_hash: hash, user_id: alice.userId, device_id: alice.deviceId }),
    );
    expect(JSON.stringify(rows)).not.toContain(ticket);
  });

  it('needs an access token', async () => {
    const r = await call(base, 'POST', '/_parley/v1/realtime/ticket');
    expect(r.status).toBe(401);
    expect(r.json.errcode).toBe('M_MISSING_TOKEN');
  });

  it('answers 429 M_LIMIT_EXCEEDED past 32 unused tickets per user', async () => {
    const [u] = await users(base, 'hoarder');
    const statuses: number[] = [];
    for (let i = 0; i < 33; i++) {
      statuses.push((await call(base, 'POST', '/_parley/v1/realtime/ticket', { token: u!.token })).status);
    }
    expect(statuses.slice(0, 32).every((s) => s === 200)).toBe(true);
    const last = await call(base, 'POST', '/_parley/v1/realtime/ticket', { token: u!.token });
    expect(last.status).toBe(429);
    expect(last.json.errcode).toBe('M_LIMIT_EXCEEDED');
  });
});

describe('GET /_parley/v1/realtime', () => {
  it('accepts a ticket once; a second use is 401 M_UNKNOWN_TOKEN before any upgrade', async () => {
    const ticket = await ticketFor(base, alice);
    const c = await openWith(rtUrl(base, `?ticket=${ticket}`), alice);
    await c.hello();
    expect(c.clientId).toBeGreaterThan(0);
    const again = await refusedUpgrade(rtUrl(base, `?ticket=${ticket}`));
    expect(again).toEqual({ status: 401, body: { errcode: 'M_UNKNOWN_TOKEN', error: expect.any(String) } });
    c.close();
  });

  it('refuses a ticket after 30 s, accepts one just before', async () => {
    const late = await ticketFor(base, alice);
    const early = await ticketFor(base, alice);
    skew += 29_000;
    try {
      const c = await openWith(rtUrl(base, `?ticket=${early}`), alice);
      await c.hello();
      c.close();
      skew += 1_000;
      const r = await refusedUpgrade(rtUrl(base, `?ticket=${late}`));
      expect(r.status).toBe(401);
      expect(r.body.errcode).toBe('M_UNKNOWN_TOKEN');
    } finally {
      skew = 0;
    }
  });

  it('refuses no credentials (M_MISSING_TOKEN), a made-up ticket and a bad access token', async () => {
    expect(await refusedUpgrade(rtUrl(base))).toMatchObject({
      status: 401,
      body: { errcode: 'M_MISSING_TOKEN' },
    });
    expect(await refusedUpgrade(rtUrl(base, '?ticket=nope'))).toMatchObject({
      status: 401,
      body: { errcode: 'M_UNKNOWN_TOKEN' },
    });
    const unknown = 'A'.repeat(43);
    expect(await refusedUpgrade(rtUrl(base, `?ticket=${unknown}`))).toMatchObject({ status: 401 });
    expect(await refusedUpgrade(rtUrl(base), { authorization: 'Bearer wrong' })).toMatchObject({
      status: 401,
      body: { errcode: 'M_UNKNOWN_TOKEN' },
    });
    // An access token in the query is not accepted here (it would end up in access logs).
    expect(await refusedUpgrade(rtUrl(base, `?access_token=${alice.token}`))).toMatchObject({ status: 401 });
  });

  it('accepts an Authorization header instead of a ticket', async () => {
    const c = await openWith(rtUrl(base), alice, { authorization: `Bearer ${alice.token}` });
    const dump = await c.hello();
    expect(dump[0]).toEqual({ op: OP_HELLO, clientId: c.clientId });
    c.close();
  });

  it('binds a ticket to its user and device', async () => {
    const login = await call(base, 'POST', `${V3}/login`, {
      body: {
        type: 'm.login.password',
        identifier: { type: 'm.id.user', user: 'alice' },
        password: 'pw-alice',
      },
    });
    const alice2: TestUser = { ...alice, token: login.json.access_token, deviceId: login.json.device_id };
    // With a header too, both must name the same user and device.
    const bobsHeader = { authorization: `Bearer ${bob.token}` };
    const r1 = await refusedUpgrade(rtUrl(base, `?ticket=${await ticketFor(base, alice)}`), bobsHeader);
    expect(r1).toMatchObject({ status: 401, body: { errcode: 'M_UNKNOWN_TOKEN' } });
    const otherDevice = { authorization: `Bearer ${alice2.token}` };
    const r2 = await refusedUpgrade(rtUrl(base, `?ticket=${await ticketFor(base, alice)}`), otherDevice);
    expect(r2.status).toBe(401);
    const same = await openWith(rtUrl(base, `?ticket=${await ticketFor(base, alice2)}`), alice2, otherDevice);
    await same.hello();
    // A ticket alone makes its owner the sender, whoever presents it.
    const cb = await onlineRt(base, bob);
    const from = cb.received.length;
    same.send(rtmsg(room.handle, ZERO, 0, new Uint8Array([9])));
    const [m] = await cb.waitFor((cs) => cs.some((c) => c.op === OP_RTMSG), from);
    expect(m).toMatchObject({ op: OP_RTMSG, senderUser: alice.handle, senderClient: same.clientId });
    same.close();
    cb.close();
  });

  it('closes a connection that sends a text message with 1003', async () => {
    const c = await onlineRt(base, alice);
    c.sendRaw('hello', false);
    expect(await c.waitClosed()).toEqual({ code: 1003, reason: expect.stringMatching(/text/) });
  });

  it('closes malformed input with 1002 and a reason, and keeps serving', async () => {
    const hello = [OP_HELLO, 0, 1, 3, 0];
    const cases: [string, number[], boolean, RegExp][] = [
      ['empty message', [], true, /empty/],
      ['command before HELLO', [0], false, /before OP_HELLO/],
      ['second HELLO', hello, true, /second OP_HELLO/],
      ['unknown opcode', [0x7f], true, /opcode/],
      ['truncated OP_SETPRES', [OP_SETPRES], true, /truncated/],
      ['truncated HELLO', [OP_HELLO, 0], false, /truncated/],
      ['RTMSG to (0, C)', [...rtmsgBytes(room.handle, ZERO, 5)], true, /user 0 with client 5/],
      [
        'msglen past the end',
        [...rtmsgBytes(room.handle, bob.handle, 0).slice(0, -1)],
        true,
        /msglen 2 runs past the end/,
      ],
      ['room 0', [...rtmsgBytes(ZERO, bob.handle, 0)], true, /with room 0/],
    ];
    for (const [name, bytes, afterHello, reason] of cases) {
      const c = afterHello
        ? await onlineRt(base, alice)
        : await openWith(rtUrl(base, `?ticket=${await ticketFor(base, alice)}`), alice);
      c.sendRaw(new Uint8Array(bytes));
      const closed = await c.waitClosed();
      expect({ name, code: closed.code }).toEqual({ name, code: 1002 });
      expect(closed.reason).toMatch(reason);
    }
    // Random bytes: every connection ends with a close code of the protocol, the server lives on.
    let seed = 42;
    const next = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    for (let i = 0; i < 20; i++) {
      const c = await onlineRt(base, alice);
      const junk = Uint8Array.from({ length: 1 + (next() % 64) }, () => next() & 0xff);
      junk[0] = [0x7f, OP_SETPRES, 22, 28, 23][i % 5]!;
      c.sendRaw(junk);
      c.send({ op: 0 });
      await Promise.race([c.waitClosed(), c.waitFor((cs) => cs.some((x) => x.op === 0))]);
      if (c.closed !== undefined) expect([1002, 1008]).toContain(c.closed.code);
      c.close();
    }
    const ok = await onlineRt(base, bob);
    await barrier(ok);
    expect((await call(base, 'GET', `${V3}/joined_rooms`, { token: bob.token })).status).toBe(200);
    ok.close();
  });
});

/** The bytes of a C->S OP_RTMSG with 2 bytes of data. */
function rtmsgBytes(room: string, user: string, client: number): Uint8Array {
  const b = Buffer.alloc(27);
  b[0] = OP_RTMSG;
  b.write(room, 1, 'hex');
  b.write(user, 9, 'hex');
  b.writeUInt32BE(client, 17);
  b[21] = 1;
  b.writeUIntBE(2, 22, 3);
  b[25] = 0xca;
  b[26] = 0xfe;
  return b;
}

describe('limits of the endpoint', () => {
  it('closes a message over realtimeMaxMessageBytes with 1009', async () => {
    const s = await startTestServer({ realtimeMaxMessageBytes: 1024 });
    try {
      const [u] = await users(s.server.url, 'big');
      const c = await onlineRt(s.server.url, u!);
      c.sendRaw(new Uint8Array(2000).fill(0));
      expect((await c.waitClosed()).code).toBe(1009);
    } finally {
      await s.stop();
    }
  });

  it('finishes a shutdown of `parley serve` when a client vanished without a close frame', async () => {
    const d = tempDir();
    try {
      const p = await spawnServer(['--data-dir', d.dir], { PARLEY_LOG_LEVEL: 'info' });
      const [u] = await users(p.url, 'vanished');
      const c = await onlineRt(p.url, u!);
      c.ws.terminate();
      await settle(200);
      p.child.kill('SIGTERM');
      expect(await p.exited).toEqual({ code: 0, signal: null });
      // The shutdown ran to its end (it closes the database last), not cut short.
      expect(p.output()).toContain('"msg":"server stopped"');
    } finally {
      await d.cleanup();
    }
  });

  it('closes realtime connections with 1001 at shutdown', async () => {
    const s = await startTestServer();
    const [u] = await users(s.server.url, 'leaver');
    const c = await onlineRt(s.server.url, u!);
    const stopped = s.stop();
    expect(await c.waitClosed()).toEqual({ code: 1001, reason: 'server shutting down' });
    await stopped;
  });
});
