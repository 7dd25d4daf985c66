// A realtime peer that half-closes its TCP connection (FIN, no close frame) is dropped at once,
// not after the HELLO or silence timeouts.
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startTestServer, type TestUser } from '../helpers.js';
import { users } from './fixtures.js';

let t: Awaited<ReturnType<typeof startTestServer>>;
let alice: TestUser;

beforeAll(async () => {
  // Timeouts far beyond the test's own: only the FIN can end the connection in time.
  t = await startTestServer({ realtimeHelloTimeoutMs: 120_000, realtimeClientTimeoutMs: 120_000 });
  [alice] = (await users(t.server.url, 'alice')) as [TestUser];
});
afterAll(() => t.stop());

async function openConnections(): Promise<number> {
  const r = await call(t.server.url, 'GET', '/metrics');
  const m = /^parley_realtime_connections (\d+)$/m.exec(r.text);
  if (m === null) throw new Error('no parley_realtime_connections metric');
  return Number(m[1]);
}

/** A raw socket that upgrades to the realtime channel with an access token. */
function rawUpgrade(user: TestUser): Promise<Socket> {
  const { port } = t.server;
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1', allowHalfOpen: true }, () =>
      s.write(
        'GET /_parley/v1/realtime HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n' +
          `Authorization: Bearer ${user.token}\r\n\r\n`,
      ),
    );
    s.once('data', (d) =>
      d.toString().startsWith('HTTP/1.1 101') ? resolve(s) : reject(new Error(d.toString())),
    );
    s.on('error', reject);
  });
}

describe('realtime: a half-closing peer', () => {
  it('is disconnected from the router as soon as its FIN arrives', async () => {
    const socket = await rawUpgrade(alice);
    expect(await openConnections()).toBe(1);
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.end();
    await closed; // the server ended its side too
    expect(await openConnections()).toBe(0);
  }, 10_000);
});
