// A peer that half-closes (sends FIN without a close frame) over a real socket: the server must
// treat it as the transport closing rather than keep the socket half-open until a timeout.
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type EchoServer, startEchoServer } from './echo-server.js';

let echo: EchoServer | undefined;
afterEach(() => echo?.close());

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

/** A raw TCP client, half-open capable, that completes a valid upgrade. */
function rawClient(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1', allowHalfOpen: true }, () =>
      s.write(
        `GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      ),
    );
    s.once('data', (d) =>
      d.toString().startsWith('HTTP/1.1 101') ? resolve(s) : reject(new Error(d.toString())),
    );
    s.on('error', reject);
  });
}

describe('a peer that half-closes', () => {
  it('is reported as closed (1006) and its socket is closed, long before any timeout', async () => {
    // Keep-alive off and a long close timeout: only the FIN itself can end this connection soon.
    echo = await startEchoServer({ keepAlive: false, closeTimeoutMs: 60_000 });
    const client = await rawClient(echo.port);
    const [ws] = [...echo.connections];
    expect(ws).toBeDefined();
    const serverSaw = new Promise<[number, boolean]>((resolve) =>
      ws?.once('close', (code, _reason, clean) => resolve([code, clean])),
    );
    const clientEnded = new Promise<void>((resolve) => client.once('end', resolve));
    const clientClosed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.end(); // FIN, no close frame
    expect(await serverSaw).toEqual([1006, false]);
    // The server ends its side too (FIN back), so the TCP connection is fully closed.
    await clientEnded;
    await clientClosed;
    expect(ws?.state).toBe('closed');
    expect(echo.connections.size).toBe(0);
  }, 10_000);

  it('still delivers what was queued before the FIN, then closes', async () => {
    echo = await startEchoServer({ keepAlive: false, closeTimeoutMs: 60_000 });
    const client = await rawClient(echo.port);
    const [ws] = [...echo.connections];
    const received: Buffer[] = [];
    client.on('data', (d) => received.push(d));
    const serverSaw = new Promise<number>((resolve) => ws?.once('close', (code) => resolve(code)));
    const clientEnded = new Promise<void>((resolve) => client.once('end', resolve));
    // A masked text frame "hi" and the FIN in one go: the echo is written before our side ends.
    client.end(Buffer.from([0x81, 0x82, 1, 2, 3, 4, 0x68 ^ 1, 0x69 ^ 2]));
    expect(await serverSaw).toBe(1006);
    await clientEnded;
    expect(Buffer.concat(received)).toEqual(Buffer.from([0x81, 0x02, 0x68, 0x69]));
  }, 10_000);
});
