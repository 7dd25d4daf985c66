import net from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParleyServer } from '../src/index.js';
import { call, register, roomPath, startTestServer, V3 } from './helpers.js';

describe('health, metrics, logs, upgrades', () => {
  let server: ParleyServer;
  let stop: () => Promise<void>;
  const lines: Record<string, unknown>[] = [];
  beforeAll(async () => {
    const sink = new Writable({
      write(chunk, _enc, done) {
        for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l));
        done();
      },
    });
    const t = await startTestServer({ logger: pino({ level: 'info' }, sink) });
    server = t.server;
    stop = t.stop;
  });
  afterAll(() => stop());

  it('GET /health checks the database', async () => {
    const r = await call(server.url, 'GET', '/health');
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ status: 'ok', database: 'ok' });
  });

  it('GET /metrics counts requests by route and status, latency and stored events', async () => {
    const u = await register(server.url, 'metric');
    const room = await call(server.url, 'POST', `${V3}/createRoom`, { token: u.token, body: {} });
    await call(server.url, 'PUT', roomPath(room.json.room_id, 'send/m.room.message/1'), {
      token: u.token,
      body: { body: 'x' },
    });
    await call(server.url, 'GET', '/nope');
    const r = await call(server.url, 'GET', '/metrics');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(r.text).toContain(
      'parley_http_requests_total{method="POST",route="/_matrix/client/v3/register",status="200"} 1',
    );
    expect(r.text).toContain('parley_http_requests_total{method="GET",route="unmatched",status="404"} 1');
    expect(r.text).toMatch(
      /parley_http_request_duration_seconds_bucket\{le="0.5",method="PUT",route="[^"]+send[^"]+"\} 1/,
    );
    expect(r.text).toContain('parley_events_stored_total{type="m.room.message"} 1');
    expect(r.text).toContain('parley_events_stored_total{type="m.room.create"} 1');
    expect(r.text).toContain('parley_process_cpu_user_seconds_total');
  });

  it('logs one line per request without query strings, and an error line for a crash', async () => {
    await call(server.url, 'GET', `${V3}/joined_rooms?access_token=secret-token-value`);
    server.route('GET', '/test/crash', async () => {
      throw new RangeError('kaboom');
    });
    expect((await call(server.url, 'GET', '/test/crash')).status).toBe(500);
    // The request line is written when the server sees the response finish, which may be just
    // after the client has read it.
    while (!lines.some((l) => l.msg === 'request' && l.route === '/test/crash')) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const req = lines.find((l) => l.msg === 'request' && l.route === '/_matrix/client/v3/joined_rooms');
    expect(req).toMatchObject({ method: 'GET', status: 401, path: '/_matrix/client/v3/joined_rooms' });
    expect(JSON.stringify(lines)).not.toContain('secret-token-value');
    const crash = lines.find((l) => l.msg === 'handler failed');
    expect(crash).toMatchObject({ level: 50, route: '/test/crash' });
    expect(JSON.stringify(crash)).toContain('kaboom');
  });

  it('hands upgrade requests to the handler registered for the path, 404 elsewhere', async () => {
    server.onUpgrade('/test/upgrade', (_req, socket) => {
      socket.end('HTTP/1.1 101 Switching Protocols\r\nupgrade: test\r\nconnection: upgrade\r\n\r\nhello');
    });
    const raw = (path: string) =>
      new Promise<string>((resolve) => {
        const s = net.connect(server.port, '127.0.0.1', () =>
          s.write(`GET ${path} HTTP/1.1\r\nhost: x\r\nconnection: upgrade\r\nupgrade: test\r\n\r\n`),
        );
        let d = '';
        s.on('data', (c) => {
          d += c.toString();
        });
        s.on('close', () => resolve(d));
      });
    expect(await raw('/test/upgrade')).toMatch(/^HTTP\/1\.1 101[\s\S]*hello$/);
    const other = await raw('/elsewhere');
    expect(other).toMatch(/^HTTP\/1\.1 404/);
    expect(other).toContain('M_UNRECOGNIZED');
  });
});

describe('limits', () => {
  it('answers 429 M_LIMIT_EXCEEDED past maxInFlight', async () => {
    const { server, stop } = await startTestServer({ maxInFlight: 2 });
    try {
      // Two requests held in flight by bodies that never finish.
      const held = [0, 1].map(
        () =>
          new Promise<net.Socket>((resolve) => {
            const s = net.connect(server.port, '127.0.0.1', () => {
              s.write(`POST ${V3}/register HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\n{`);
              resolve(s);
            });
          }),
      );
      const sockets = await Promise.all(held);
      // Once the server has both requests in hand, a third is refused.
      let r = await call(server.url, 'GET', '/health');
      while (r.status === 200) r = await call(server.url, 'GET', '/health');
      expect(r.status).toBe(429);
      expect(r.json).toMatchObject({ errcode: 'M_LIMIT_EXCEEDED', retry_after_ms: 1000 });
      for (const s of sockets) s.destroy();
      // And once they are gone, requests are served again.
      while (r.status === 429) r = await call(server.url, 'GET', '/health');
      expect(r.status).toBe(200);
    } finally {
      await stop();
    }
  });

  it('honours a configured body limit', async () => {
    const { server, stop } = await startTestServer({ maxBodyBytes: 2048 });
    try {
      const r = await call(server.url, 'POST', `${V3}/register`, {
        body: { username: 'big', password: 'x'.repeat(3000) },
      });
      expect(r.status).toBe(413);
      expect(r.json.error).toContain('2048');
      // A chunked body (no Content-Length) is cut at the limit too.
      const chunked = await fetch(`${server.url}${V3}/register`, {
        method: 'POST',
        body: new Blob(['{"username":"', 'y'.repeat(5000), '"}']).stream(),
        duplex: 'half',
      } as RequestInit);
      expect(chunked.status).toBe(413);
    } finally {
      await stop();
    }
  });

  it('closes a connection whose headers do not arrive within headersTimeoutMs', async () => {
    const { server, stop } = await startTestServer({ headersTimeoutMs: 300, requestTimeoutMs: 1000 });
    try {
      const answer = await new Promise<string>((resolve) => {
        const s = net.connect(server.port, '127.0.0.1', () => s.write('GET /health HTTP/1.1\r\nhost: x\r\n'));
        let d = '';
        s.on('data', (c) => {
          d += c.toString();
        });
        s.on('close', () => resolve(d));
      });
      expect(answer).toMatch(/^HTTP\/1\.1 408/);
    } finally {
      await stop();
    }
  });
});
