import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HttpMethod, ParleyClient } from '@parley/core';
import { FakeClock, ParleyTestServer } from '@parley/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { createClient } from './create-client.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const body = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve) => {
    let s = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      s += c;
    });
    req.on('end', () => resolve(s));
  });

/**
 * The in-memory test server behind real sockets on 127.0.0.1: node:http in front of its client
 * API, and a `ws` server whose connections are bridged to its realtime router.
 */
async function serveOnLoopback(): Promise<{ baseUrl: string; server: ParleyTestServer }> {
  const server = new ParleyTestServer(new FakeClock());
  const http = createServer(async (req, res) => {
    const ac = new AbortController();
    res.on('close', () => ac.abort());
    try {
      const answer = await server.http({
        method: req.method as HttpMethod,
        url: `http://127.0.0.1${req.url}`,
        headers: { authorization: req.headers.authorization ?? '' },
        body: await body(req),
        signal: ac.signal,
      });
      res.writeHead(answer.status, answer.headers).end(answer.body);
    } catch {
      res.destroy();
    }
  });
  const wss = new WebSocketServer({ noServer: true });
  http.on('upgrade', (req, socket, head) => {
    wss.handleUpgrade(req, socket, head, (ws) => {
      const inner = server.realtime.webSocket(`ws://127.0.0.1${req.url}`);
      inner.onopen = () => {
        ws.on('message', (data) => inner.send(new Uint8Array(data as Buffer)));
      };
      inner.onmessage = (e) => ws.send(new Uint8Array(e.data as ArrayBuffer));
      inner.onclose = (e) => ws.close(e.code === 1006 ? 1011 : e.code, e.reason);
      ws.on('close', () => inner.close());
    });
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        for (const c of wss.clients) c.terminate();
        http.closeAllConnections();
        http.close(() => r());
      }),
  );
  return { baseUrl: `http://127.0.0.1:${(http.address() as AddressInfo).port}`, server };
}

const until = async (predicate: () => boolean, ms = 5000): Promise<void> => {
  const end = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};

function track(client: ParleyClient): ParleyClient {
  cleanups.push(() => client.stop());
  return client;
}

describe('createClient (Node) over real sockets on 127.0.0.1', () => {
  it('exchanges room messages and realtime messages between two Node clients', async () => {
    const { baseUrl } = await serveOnLoopback();
    const alice = track(createClient({ baseUrl, sync: { timeoutMs: 2000 } }));
    const bob = track(createClient({ baseUrl, sync: { timeoutMs: 2000 } }));
    await alice.register({ username: 'alice', password: 'pw' });
    await bob.register({ username: 'bob', password: 'pw' });
    const { roomId } = await alice.createRoom({ name: 'Loopback' });
    await bob.joinRoom(roomId);
    await alice.openRoom(roomId);
    await bob.openRoom(roomId);
    await until(() => alice.connection === 'online' && bob.connection === 'online');
    await until(() => bob.room(roomId)?.roomHandle !== undefined);

    const echo = await alice.sendText(roomId, 'over tcp');
    await alice.whenSent(echo.txnId as string);
    await until(() => bob.room(roomId)?.timeline.items.some((i) => i.content.body === 'over tcp') === true);

    const got: string[] = [];
    alice.on('rtmsg', (m) => got.push(new TextDecoder().decode(m.data)));
    bob.sendRealtime({ roomId, msgtype: 1, data: new TextEncoder().encode('over ws') });
    await until(() => got.length > 0);
    expect(got).toEqual(['over ws']);
  });

  it('keeps the session, the cached room and its timeline in the file store across a restart', async () => {
    const { baseUrl } = await serveOnLoopback();
    const dir = await mkdtemp(join(tmpdir(), 'parley-client-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const first = createClient({ baseUrl, storePath: dir, sync: { timeoutMs: 1000 } });
    await first.register({ username: 'carol', password: 'pw' });
    const { roomId } = await first.createRoom({ name: 'Persisted' });
    await first.openRoom(roomId);
    const echo = await first.sendText(roomId, 'remember me');
    await first.whenSent(echo.txnId as string);
    await until(() => first.room(roomId)?.timeline.items.at(-1)?.status === 'remote');
    await first.stop();

    // A new process: the same directory, the server unreachable at first.
    const second = track(createClient({ baseUrl: 'http://127.0.0.1:1', storePath: dir }));
    expect(await second.start()).toBe(true);
    expect(second.userId).toBe('@carol:mini');
    expect(second.room(roomId)?.name).toBe('Persisted');
    expect(second.room(roomId)?.timeline.items.map((i) => i.content.body)).toContain('remember me');
  });
});
