// Interop over real loopback sockets: Parley's codec in the client role against a ws echo server.
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { connectWebSocket } from './connect.js';
import type { NodeWebSocket } from './node-websocket.js';

let wss: WebSocketServer;
let url: string;
const pingsSeen: string[] = [];
beforeAll(async () => {
  wss = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    handleProtocols: (p) => (p.has('parley.v1') ? 'parley.v1' : false),
  });
  wss.on('connection', (ws) => {
    ws.on('message', (data, binary) => ws.send(data, { binary }));
    ws.on('ping', (p) => pingsSeen.push(p.toString()));
  });
  await new Promise((resolve) => wss.once('listening', resolve));
  url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/echo`;
});
afterAll(() => new Promise<void>((resolve) => wss.close(() => resolve())));

const next = (ws: NodeWebSocket) =>
  new Promise<{ data: Buffer; binary: boolean }>((resolve) =>
    ws.once('message', (data, binary) => resolve({ data, binary })),
  );
const closed = (ws: NodeWebSocket) =>
  new Promise<{ code: number; reason: string; clean: boolean }>((resolve) =>
    ws.once('close', (code, reason, clean) => resolve({ code, reason, clean })),
  );

describe('Parley client role against a ws echo server', () => {
  it('negotiates a subprotocol and round-trips text and binary', async () => {
    const ws = await connectWebSocket(url, { protocols: ['parley.v1'] });
    expect(ws.protocol).toBe('parley.v1');
    const t = next(ws);
    ws.send('grüße');
    expect(await t).toEqual({ data: Buffer.from('grüße'), binary: false });
    const b = next(ws);
    ws.send(new Uint8Array([9, 8, 7]));
    expect(await b).toEqual({ data: Buffer.from([9, 8, 7]), binary: true });
    const c = closed(ws);
    ws.close(1000, 'bye');
    expect(await c).toEqual({ code: 1000, reason: 'bye', clean: true });
  });

  it('sends a message of many frames and a streamed huge frame, with a ping between frames', async () => {
    const ws = await connectWebSocket(url);
    const m1 = next(ws);
    ws.messageBegin(false);
    ws.frameSend('a-');
    ws.ping('mid-message');
    ws.frameSend('b-');
    ws.messageEnd('c');
    expect((await m1).data.toString()).toBe('a-b-c');
    const size = 3 * 1024 * 1024 + 7;
    const m2 = next(ws);
    ws.messageBegin(true);
    ws.frameDataBegin(size, true);
    const chunk = Buffer.alloc(65_521);
    let sent = 0;
    while (sent < size) {
      const n = Math.min(chunk.length, size - sent);
      chunk.fill(sent & 0xff, 0, n);
      ws.frameDataSend(chunk.subarray(0, n));
      sent += n;
    }
    const got = await m2;
    expect(got.binary).toBe(true);
    expect(got.data.length).toBe(size);
    expect(got.data[0]).toBe(0);
    expect(got.data[65_521]).toBe(65_521 & 0xff);
    expect(got.data[size - 1]).toBe((Math.floor((size - 1) / 65_521) * 65_521) & 0xff);
    expect(pingsSeen).toContain('mid-message');
    ws.close();
    await closed(ws);
  });

  it('gets pongs from ws', async () => {
    const ws = await connectWebSocket(url);
    const pong = new Promise<Buffer>((resolve) => ws.once('pong', resolve));
    ws.ping('hi');
    expect((await pong).toString()).toBe('hi');
    ws.terminate();
  });

  it('rejects a handshake to a non-WebSocket endpoint with a typed error', async () => {
    await expect(
      connectWebSocket(url.replace('ws://', 'ws://').replace(/:\d+\//, ':1/')),
    ).rejects.toMatchObject({ code: 'network' });
  });
});
