import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ClientApi, isParleyError, type WebSocketLike } from '@parley/core';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { nodeHttp } from './http.js';
import { nodeRandom, nodeTimers } from './platform.js';
import { nodeWebSocketFactory } from './websocket.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

async function listen(server: Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise((r) => server.close(() => r())));
  return (server.address() as AddressInfo).port;
}

describe('nodeWebSocketFactory against a real ws server on 127.0.0.1', () => {
  it('exchanges binary messages as ArrayBuffer and reports the close code and reason', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    closers.push(() => new Promise((r) => wss.close(() => r())));
    await new Promise((r) => wss.once('listening', r));
    const port = (wss.address() as AddressInfo).port;
    const seenUrls: string[] = [];
    wss.on('connection', (sock, req) => {
      seenUrls.push(req.url ?? '');
      sock.on('message', (data, isBinary) => {
        const bytes = new Uint8Array(data as Buffer);
        if (bytes[0] === 0xff) sock.close(4000, 'bye');
        else sock.send(Uint8Array.from([...bytes].reverse()), { binary: isBinary });
      });
    });

    const ws: WebSocketLike = nodeWebSocketFactory()(`ws://127.0.0.1:${port}/_parley/v1/realtime?ticket=t1`);
    const events: unknown[] = [];
    const closed = new Promise<{ code: number; reason: string }>((resolve) => {
      ws.onclose = (e) => resolve({ code: e.code, reason: e.reason });
    });
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = reject;
    });
    expect(ws.readyState).toBe(1);
    const reply = new Promise<unknown>((resolve) => {
      ws.onmessage = (e) => resolve(e.data);
    });
    ws.send(Uint8Array.from([1, 2, 3]));
    const data = await reply;
    expect(data).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(data as ArrayBuffer)]).toEqual([3, 2, 1]);
    ws.send(Uint8Array.from([0xff]));
    expect(await closed).toEqual({ code: 4000, reason: 'bye' });
    expect(seenUrls).toEqual(['/_parley/v1/realtime?ticket=t1']);
    expect(events).toEqual([]);
  });

  it('reports a refused connection through onerror/onclose, not a throw', async () => {
    const server = createServer();
    const port = await listen(server);
    await new Promise<void>((r) => server.close(() => r()));
    closers.pop();
    const ws = nodeWebSocketFactory()(`ws://127.0.0.1:${port}/`);
    const code = await new Promise<number>((resolve) => {
      ws.onerror = () => undefined;
      ws.onclose = (e) => resolve(e.code);
    });
    expect(code).toBe(1006);
    expect(ws.readyState).toBe(3);
  });
});

describe('nodeHttp against a real HTTP server on 127.0.0.1', () => {
  it('carries method, headers and body, and maps Matrix errors through ClientApi', async () => {
    const seen: Array<{ method?: string; url?: string; auth?: string; body: string }> = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, auth: req.headers.authorization, body });
        if (req.url?.includes('/leave')) {
          res.writeHead(403, { 'Content-Type': 'application/json', 'X-Extra': 'yes' });
          res.end(JSON.stringify({ errcode: 'M_FORBIDDEN', error: 'no' }));
          return;
        }
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ event_id: '$abc' }));
      });
    });
    const port = await listen(server);
    const api = new ClientApi({
      http: nodeHttp(),
      baseUrl: `http://127.0.0.1:${port}`,
      timers: nodeTimers,
      random: nodeRandom,
      accessToken: () => 'tok',
    });
    expect(await api.sendEvent('!r:hs', 'm.room.message', { body: 'hé' }, 'txn1')).toBe('$abc');
    expect(seen[0]).toEqual({
      method: 'PUT',
      url: '/_matrix/client/v3/rooms/!r%3Ahs/send/m.room.message/txn1',
      auth: 'Bearer tok',
      body: '{"body":"hé"}',
    });
    const raw = await nodeHttp()({
      method: 'POST',
      url: `http://127.0.0.1:${port}/x/leave`,
      headers: {},
      body: undefined,
      signal: undefined,
    });
    expect(raw.status).toBe(403);
    expect(raw.headers['x-extra']).toBe('yes');
    await expect(api.leave('!r:hs')).rejects.toMatchObject({ code: 'M_FORBIDDEN', httpStatus: 403 });
  });

  it('maps a refused connection to network and an abort to aborted', async () => {
    const hang = createServer(() => undefined);
    const port = await listen(hang);
    const dead = createServer();
    const deadPort = await listen(dead);
    await new Promise<void>((r) => dead.close(() => r()));
    closers.pop();
    const mk = (p: number) =>
      new ClientApi({
        http: nodeHttp(),
        baseUrl: `http://127.0.0.1:${p}`,
        timers: nodeTimers,
        random: nodeRandom,
        accessToken: () => 't',
      });
    const e1 = await mk(deadPort)
      .leave('!r:hs')
      .catch((e: unknown) => e);
    expect(isParleyError(e1) && e1.code).toBe('network');
    const ac = new AbortController();
    const p = mk(port)
      .leave('!r:hs', { signal: ac.signal })
      .catch((e: unknown) => e);
    setTimeout(() => ac.abort(), 20);
    const e2 = await p;
    expect(isParleyError(e2) && e2.code).toBe('aborted');
    hang.closeAllConnections();
  });

  it('refuses an answer larger than maxResponseBytes', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ pad: 'x'.repeat(5000) }));
    });
    const port = await listen(server);
    const http = nodeHttp({ maxResponseBytes: 1000 });
    await expect(
      http({
        method: 'GET',
        url: `http://127.0.0.1:${port}/`,
        headers: {},
        body: undefined,
        signal: undefined,
      }),
    ).rejects.toMatchObject({
      code: 'too_large',
    });
  });
});
