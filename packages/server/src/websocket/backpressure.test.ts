// Backpressure and keep-alive over real sockets: a peer that does not read gets its reads paused;
// a peer that stops answering is cut off by the keep-alive.
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type EchoServer, startEchoServer } from './echo-server.js';

let echo: EchoServer | undefined;
afterEach(() => echo?.close());

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

/** A raw TCP client that completes the handshake and then writes masked frames by hand. */
function rawClient(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () =>
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

function maskedBinary(size: number): Buffer {
  const head =
    size < 126 ? Buffer.from([0x82, 0x80 | size]) : Buffer.from([0x82, 0x80 | 126, size >> 8, size & 0xff]);
  return Buffer.concat([head, Buffer.from([0, 0, 0, 0]), Buffer.alloc(size, 0x61)]);
}

describe('backpressure', () => {
  it('pauses reading from a peer that does not read, and resumes when it does', async () => {
    echo = await startEchoServer({ highWaterMark: 256 * 1024, keepAlive: false });
    const client = await rawClient(echo.port);
    client.pause(); // the peer does not read our echoes
    const frame = maskedBinary(16 * 1024);
    const total = 2000; // 32 MiB of echo requests: far more than socket buffers hold
    for (let i = 0; i < total; i++) client.write(frame);
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    // Wait until the server stops taking our bytes: our send queue stops shrinking.
    let before = client.writableLength;
    for (;;) {
      await sleep(150);
      if (client.writableLength === before) break;
      before = client.writableLength;
    }
    expect(client.writableLength).toBeGreaterThan(8 * 1024 * 1024);
    const [ws] = [...echo.connections];
    // The server holds at most the high-water mark plus one read's worth of echoes.
    expect(ws?.bufferedAmount).toBeGreaterThan(256 * 1024);
    expect(ws?.bufferedAmount).toBeLessThan(256 * 1024 + 2 * 1024 * 1024);
    // Now read: every echo comes back (server frames carry no mask key: 4 bytes shorter).
    const want = total * (frame.length - 4);
    let received = 0;
    await new Promise<void>((resolve) => {
      client.on('data', (d) => {
        received += d.length;
        if (received >= want) resolve();
      });
      client.resume();
    });
    expect(received).toBe(want);
    client.destroy();
  }, 60_000);
});

describe('protocol failures over a real socket', () => {
  it('answers an unmasked frame with close 1002 and closes the TCP connection', async () => {
    echo = await startEchoServer({ keepAlive: false });
    const client = await rawClient(echo.port);
    const [ws] = [...echo.connections];
    const serverSaw = new Promise<number>((resolve) => ws?.once('close', (code) => resolve(code)));
    const received: Buffer[] = [];
    client.on('data', (d) => received.push(d));
    const ended = new Promise((resolve) => client.once('end', resolve));
    client.write(Buffer.from([0x81, 0x02, 0x68, 0x69])); // "hi", unmasked
    expect(await serverSaw).toBe(1002);
    await ended;
    const bytes = Buffer.concat(received);
    expect(bytes[0]).toBe(0x88); // a close frame…
    expect(bytes.readUInt16BE(2)).toBe(1002); // …with code 1002
    client.destroy();
  });
});

describe('keep-alive', () => {
  it('pings a silent peer and drops it with 1006 when it never answers', async () => {
    echo = await startEchoServer({ keepAlive: { intervalMs: 100, timeoutMs: 100 } });
    const client = await rawClient(echo.port);
    const frames: number[] = [];
    client.on('data', (d) => frames.push(d[0] as number));
    const [ws] = [...echo.connections];
    const close = await new Promise<number>((resolve) => ws?.once('close', (code) => resolve(code)));
    expect(close).toBe(1006);
    expect(frames).toContain(0x89); // it did ping first
    await new Promise((resolve) => client.once('close', resolve));
  });
});
