import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { call, spawnServer, startTestServer, tempDir, V3 } from './helpers.js';

/** Opens a raw connection and sends a register request whose body is cut after 5 bytes. */
function startSlowRegister(url: string, username: string) {
  const { hostname, port } = new URL(url);
  const body = JSON.stringify({ username, password: 'pw' });
  const socket = net.connect(Number(port), hostname);
  let response = '';
  socket.on('data', (c) => {
    response += c.toString();
  });
  const closed = new Promise<string>((resolve) => socket.on('close', () => resolve(response)));
  const opened = new Promise<void>((resolve) => socket.on('connect', resolve));
  return {
    opened: opened.then(() => {
      socket.write(
        `POST ${V3}/register HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n` +
          `content-length: ${body.length}\r\n\r\n${body.slice(0, 5)}`,
      );
    }),
    finish: () => socket.write(body.slice(5)),
    closed,
  };
}

/** Waits until the server reports `n` requests in flight (counting the /metrics probe itself). */
async function waitInFlight(url: string, n: number): Promise<void> {
  for (;;) {
    const text = await (await fetch(`${url}/metrics`)).text();
    const m = /^parley_http_requests_in_flight (\d+)$/m.exec(text);
    if (m && Number(m[1]) >= n) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Waits until a new connection to `url` is refused. */
async function waitRefused(url: string): Promise<void> {
  for (;;) {
    try {
      await fetch(`${url}/health`, { headers: { connection: 'close' } });
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('graceful shutdown', () => {
  const t = tempDir('parley-shutdown-');
  afterAll(() => t.cleanup());

  it('on SIGTERM finishes the in-flight request, refuses new connections, exits 0', async () => {
    const p = await spawnServer(['--data-dir', t.dir, '--server-name', 'shutdown.test'], {
      PARLEY_SHUTDOWN_TIMEOUT_MS: '60000',
    });
    const slow = startSlowRegister(p.url, 'slowpoke');
    await slow.opened;
    await waitInFlight(p.url, 2);
    p.child.kill('SIGTERM');
    // The listener closes while the request is still in flight: new connections are refused.
    await waitRefused(p.url);
    expect(p.child.exitCode).toBeNull();
    slow.finish();
    const response = await slow.closed;
    expect(response).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(response).toMatch(/connection: close/i);
    expect(response).toContain('"user_id":"@slowpoke:shutdown.test"');
    expect(await p.exited).toEqual({ code: 0, signal: null });
    expect(p.output()).toContain('SIGTERM: shutting down');

    // The user registered during shutdown was committed.
    const again = await spawnServer(['--data-dir', t.dir, '--server-name', 'shutdown.test']);
    const login = await call(again.url, 'POST', `${V3}/login`, {
      body: { type: 'm.login.password', identifier: { type: 'm.id.user', user: 'slowpoke' }, password: 'pw' },
    });
    expect(login.status).toBe(200);
    again.child.kill('SIGINT');
    expect((await again.exited).code).toBe(0);
  });

  it('close() cuts requests that outlive shutdownTimeoutMs', async () => {
    const { server, stop } = await startTestServer({ shutdownTimeoutMs: 200 });
    const slow = startSlowRegister(server.url, 'never');
    await slow.opened;
    await waitInFlight(server.url, 2);
    const closing = stop();
    const response = await slow.closed;
    await closing;
    expect(response).toBe('');
  });
});
