// Interop over real loopback sockets: Parley's echo server (core codec, no ws) against the ws client.
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type EchoServer, startEchoServer } from './echo-server.js';

let echo: EchoServer;
let url: string;
beforeAll(async () => {
  echo = await startEchoServer({ limits: { maxMessage: 8 * 1024 * 1024, maxFrame: 8 * 1024 * 1024 } });
  url = `ws://127.0.0.1:${echo.port}/`;
});
afterAll(() => echo.close());

function open(): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

function next(ws: WebSocket): Promise<{ data: Buffer; binary: boolean }> {
  return new Promise((resolve) =>
    ws.once('message', (data: Buffer, binary: boolean) => resolve({ data, binary })),
  );
}

function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
}

describe('echo server (Parley codec) with the ws client', () => {
  it('echoes text as text and binary as binary', async () => {
    const ws = await open();
    const t = next(ws);
    ws.send('héllo wörld');
    expect(await t).toEqual({ data: Buffer.from('héllo wörld'), binary: false });
    const b = next(ws);
    ws.send(Buffer.from([0, 1, 2, 255]));
    expect(await b).toEqual({ data: Buffer.from([0, 1, 2, 255]), binary: true });
    ws.close();
    await closed(ws);
  });

  it('echoes a fragmented message with a ping between its fragments', async () => {
    const ws = await open();
    const pong = new Promise<Buffer>((resolve) => ws.once('pong', resolve));
    const m = next(ws);
    ws.send('frag-1 ', { fin: false });
    ws.ping('between');
    ws.send('frag-2 ', { fin: false });
    ws.send('frag-3', { fin: true });
    expect((await pong).toString()).toBe('between');
    expect(await m).toEqual({ data: Buffer.from('frag-1 frag-2 frag-3'), binary: false });
    ws.close();
    await closed(ws);
  });

  it('echoes large messages (7 MiB binary, 1 MiB text) intact', async () => {
    const ws = await open();
    const big = Buffer.alloc(7 * 1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
    const m = next(ws);
    ws.send(big);
    const got = await m;
    expect(got.binary).toBe(true);
    expect(got.data.equals(big)).toBe(true);
    const text = 'ü€'.repeat(200_000);
    const m2 = next(ws);
    ws.send(text);
    expect((await m2).data.toString()).toBe(text);
    ws.close();
    await closed(ws);
  });

  it('answers pings with the same payload', async () => {
    const ws = await open();
    const pong = new Promise<Buffer>((resolve) => ws.once('pong', resolve));
    ws.ping(Buffer.from('are you there'));
    expect((await pong).toString()).toBe('are you there');
    ws.close();
    await closed(ws);
  });

  it('echoes the close code in the close handshake', async () => {
    const ws = await open();
    const c = closed(ws);
    ws.close(4321, 'done');
    expect((await c).code).toBe(4321);
  });

  it('closes with 1009 when a message is over the limit', async () => {
    const ws = await open();
    const c = closed(ws);
    ws.send(Buffer.alloc(8 * 1024 * 1024 + 1));
    expect((await c).code).toBe(1009);
  });

  it('runs many connections and messages concurrently', async () => {
    const sockets = await Promise.all(Array.from({ length: 20 }, open));
    const results = await Promise.all(
      sockets.map(async (ws, i) => {
        const got: string[] = [];
        const all = new Promise<void>((resolve) =>
          ws.on('message', (d: Buffer) => {
            got.push(d.toString());
            if (got.length === 50) resolve();
          }),
        );
        for (let j = 0; j < 50; j++) ws.send(`${i}:${j}`);
        await all;
        ws.close();
        return got;
      }),
    );
    for (const [i, got] of results.entries())
      expect(got).toEqual(Array.from({ length: 50 }, (_, j) => `${i}:${j}`));
  });
});

describe('echo server handshake errors', () => {
  function raw(request: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const s = connect(echo.port, '127.0.0.1', () => s.write(request));
      let out = '';
      s.on('data', (d) => (out += d.toString()));
      s.on('end', () => resolve(out));
      s.on('error', reject);
    });
  }
  const req = (headers: string) =>
    `GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n${headers}\r\n`;

  it('answers 426 with Sec-WebSocket-Version: 13 to another version', async () => {
    const res = await raw(req('Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n'));
    expect(res).toMatch(/^HTTP\/1\.1 426 /);
    expect(res).toContain('Sec-WebSocket-Version: 13');
  });

  it('answers 400 to a missing key', async () => {
    const res = await raw(req('Sec-WebSocket-Version: 13\r\n'));
    expect(res).toMatch(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(res.slice(res.indexOf('\r\n\r\n') + 4))).toEqual({
      errcode: 'M_INVALID_PARAM',
      error: 'missing Sec-WebSocket-Key',
    });
  });

  it('answers 431 to too many headers', async () => {
    const many = Array.from({ length: 80 }, (_, i) => `X-H${i}: v\r\n`).join('');
    const res = await raw(
      req(`Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${many}`),
    );
    expect(res).toMatch(/^HTTP\/1\.1 431 /);
  });
});
