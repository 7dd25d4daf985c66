import { OP_RTMSG } from '@parley/core';
import { afterEach, describe, expect, it } from 'vitest';
import { call, startTestServer, type TestUser } from '../helpers.js';
import { makeRoom, users } from './fixtures.js';
import { barrier, connectRt, onlineRt, type RtClient, rtmsg, ZERO } from './rt-client.js';

type Started = Awaited<ReturnType<typeof startTestServer>>;
const stops: (() => Promise<void>)[] = [];
const open: RtClient[] = [];
afterEach(async () => {
  for (const c of open.splice(0)) c.close();
  for (const s of stops.splice(0)) await s();
});

async function server(options: Parameters<typeof startTestServer>[0]): Promise<Started> {
  const s = await startTestServer(options);
  stops.push(s.stop);
  return s;
}

async function track(c: Promise<RtClient>): Promise<RtClient> {
  const client = await c;
  open.push(client);
  return client;
}

describe('realtime connection limits', () => {
  it('closes a connection over realtimeMaxConnectionsPerUser with 1008 and a reason', async () => {
    const s = await server({ realtimeMaxConnectionsPerUser: 2 });
    const [u, other] = await users(s.server.url, 'many', 'other');
    await track(onlineRt(s.server.url, u!));
    await track(onlineRt(s.server.url, u!));
    const third = await track(connectRt(s.server.url, u!));
    expect(await third.waitClosed()).toEqual({
      code: 1008,
      reason: 'too many connections for this user (limit 2)',
    });
    // Other users are not affected.
    await track(onlineRt(s.server.url, other!));
  });

  it('closes a connection over realtimeMaxConnections with 1008 and a reason', async () => {
    const s = await server({ realtimeMaxConnections: 2 });
    const [a, b, c] = await users(s.server.url, 'ta', 'tb', 'tc');
    const first = await track(onlineRt(s.server.url, a!));
    await track(onlineRt(s.server.url, b!));
    const third = await track(connectRt(s.server.url, c!));
    expect(await third.waitClosed()).toEqual({ code: 1008, reason: 'server is full (2 connections)' });
    // A freed slot is usable again.
    first.close();
    await first.waitClosed();
    await new Promise((r) => setTimeout(r, 50));
    await track(onlineRt(s.server.url, c!));
  });

  it('closes a connection that sends no HELLO, or nothing at all, in time (1008)', async () => {
    const s = await server({ realtimeHelloTimeoutMs: 200, realtimeClientTimeoutMs: 400 });
    const [u] = await users(s.server.url, 'quiet');
    const mute = await track(connectRt(s.server.url, u!));
    expect(await mute.waitClosed()).toEqual({ code: 1008, reason: 'no OP_HELLO within 200 ms' });
    const silent = await track(onlineRt(s.server.url, u!));
    expect(await silent.waitClosed()).toEqual({ code: 1008, reason: 'nothing received for 400 ms' });
  });

  it('closes a reader that falls behind by realtimeMaxBufferedBytes with 1008 "too slow"', async () => {
    const s = await server({
      realtimeMaxBufferedBytes: 64 * 1024,
      realtimeCommandsPerSecond: 100_000,
      realtimeCommandBurst: 100_000,
    });
    const base = s.server.url;
    const [fast, slow] = (await users(base, 'fast', 'slow')) as [TestUser, TestUser];
    const { handle: room } = await makeRoom(base, fast, [slow]);
    const sender = await track(onlineRt(base, fast));
    const reader = await track(onlineRt(base, slow));
    // The reader stops reading: the kernel buffers fill, then the server's socket holds the rest.
    const socket = (reader.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    socket.pause();
    const chunk = new Uint8Array(60_000);
    let sent = 0;
    for (let i = 0; i < 40 && !(await tooSlowCount(base)); i++) {
      for (let j = 0; j < 20; j++) sender.send(rtmsg(room, ZERO, 0, chunk));
      sent += 20 * chunk.length;
      await barrier(sender);
    }
    expect(await tooSlowCount(base)).toBe(1);
    // The sender is not affected; the reader, once it reads again, finds the close.
    await barrier(sender);
    expect(sender.closed).toBeUndefined();
    socket.resume();
    expect(await reader.waitClosed(10_000)).toEqual({
      code: 1008,
      reason: expect.stringMatching(/^too slow: \d+ bytes unsent$/),
    });
    // It got a prefix of what was sent, far less than everything.
    const got = reader.ofOp(OP_RTMSG).length * chunk.length;
    expect(got).toBeLessThan(sent);
  });
});

async function tooSlowCount(base: string): Promise<number> {
  const r = await call(base, 'GET', '/metrics');
  const m = /^parley_realtime_too_slow_total (\d+)/m.exec(r.text);
  return m ? Number(m[1]) : -1;
}
