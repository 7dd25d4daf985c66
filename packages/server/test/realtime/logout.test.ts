// Logging a device out ends its realtime connections (1008 "logged out") and its unused tickets;
// the user's other devices keep theirs. Real `ws` clients against a server on 127.0.0.1.
import { OP_KEEPALIVE } from '@parley/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { call, startTestServer, type TestUser, V3 } from '../helpers.js';
import { users } from './fixtures.js';
import { onlineRt, RtClient, refusedUpgrade, rtUrl, ticketFor } from './rt-client.js';

let t: Awaited<ReturnType<typeof startTestServer>>;
let base: string;

beforeAll(async () => {
  t = await startTestServer();
  base = t.server.url;
});
afterAll(() => t.stop());

async function login(name: string, deviceId: string): Promise<TestUser> {
  const r = await call(base, 'POST', `${V3}/login`, {
    body: {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: name },
      password: `pw-${name}`,
      device_id: deviceId,
    },
  });
  expect(r.status, r.text).toBe(200);
  return { userId: r.json.user_id, token: r.json.access_token, deviceId, handle: r.json.user_handle };
}

async function openWithTicket(ticket: string, user: TestUser): Promise<RtClient> {
  const ws = new WebSocket(rtUrl(base, `?ticket=${ticket}`), { perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_q, res) => reject(new Error(`refused ${res.statusCode}`)));
    ws.once('error', reject);
  });
  return new RtClient(ws, user);
}

/** The connection still answers: its OP_KEEPALIVE comes back. */
async function alive(c: RtClient): Promise<void> {
  const from = c.received.length;
  c.send({ op: OP_KEEPALIVE });
  await c.waitFor((cs) => cs.some((x) => x.op === OP_KEEPALIVE), from);
}

describe('logout and the realtime channel', () => {
  it("closes every connection of the device with 1008 and voids its unused tickets, and only that device's", async () => {
    const [alice] = (await users(base, 'alice')) as [TestUser];
    const phone = await login('alice', 'PHONE');
    const laptop = await login('alice', 'LAPTOP');
    const phone1 = await onlineRt(base, phone);
    const phone2 = await onlineRt(base, phone);
    const laptopRt = await onlineRt(base, laptop);
    const firstRt = await onlineRt(base, alice);
    const phoneTicket = await ticketFor(base, phone);
    const laptopTicket = await ticketFor(base, laptop);

    const out = await call(base, 'POST', `${V3}/logout`, { token: phone.token, body: {} });
    expect(out.status, out.text).toBe(200);
    expect(await phone1.waitClosed()).toEqual({ code: 1008, reason: 'logged out' });
    expect(await phone2.waitClosed()).toEqual({ code: 1008, reason: 'logged out' });

    // The ticket the phone got before logging out no longer opens a connection.
    const refused = await refusedUpgrade(rtUrl(base, `?ticket=${phoneTicket}`));
    expect(refused.status).toBe(401);
    expect(refused.body.errcode).toBe('M_UNKNOWN_TOKEN');
    // Nor does the logged-out access token.
    const byHeader = await refusedUpgrade(rtUrl(base), { authorization: `Bearer ${phone.token}` });
    expect(byHeader.status).toBe(401);

    // The user's other devices keep their connections and tickets.
    await alive(laptopRt);
    await alive(firstRt);
    expect(laptopRt.closed).toBeUndefined();
    expect(firstRt.closed).toBeUndefined();
    const laptop2 = await openWithTicket(laptopTicket, laptop);
    await laptop2.hello();
    for (const c of [laptopRt, firstRt, laptop2]) c.close();
  });
});
