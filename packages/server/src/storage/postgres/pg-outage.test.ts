/**
 * A server whose PostgreSQL goes away while it runs: through a TCP proxy the test can cut (the
 * database refuses connections) or silence (connections stay open, nothing comes back). Requests
 * must get an answer within the configured timeouts, and the server must recover by itself.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { call, register, startTestServer, tempDir, V3 } from '../../../test/helpers.js';
import { databaseUrlFor } from '../../../test/test-database.js';

/** A TCP proxy to PostgreSQL that can cut or silence every connection. */
class DbProxy {
  readonly #target: { host: string; port: number };
  readonly #sockets = new Set<net.Socket>();
  #server: net.Server | undefined;
  #silent = false;
  port = 0;

  constructor(target: { host: string; port: number }) {
    this.#target = target;
  }

  async start(): Promise<void> {
    this.#server = net.createServer((down) => {
      const up = net.connect(this.#target.port, this.#target.host);
      for (const s of [down, up]) {
        this.#sockets.add(s);
        s.on('close', () => this.#sockets.delete(s));
        s.on('error', () => {});
      }
      down.on('data', (b) => this.#silent || up.write(b));
      up.on('data', (b) => this.#silent || down.write(b));
      down.on('close', () => up.destroy());
      up.on('close', () => down.destroy());
    });
    this.#server.listen(this.port, '127.0.0.1');
    await new Promise((r) => this.#server!.once('listening', r));
    this.port = (this.#server.address() as net.AddressInfo).port;
  }

  /** Refuses new connections and breaks the open ones. */
  async cut(): Promise<void> {
    const closed = new Promise((r) => this.#server!.close(r));
    for (const s of this.#sockets) s.destroy();
    await closed;
  }

  /** Keeps connections open but passes nothing either way. */
  silence(on: boolean): void {
    this.#silent = on;
  }

  async stop(): Promise<void> {
    this.#silent = false;
    if (this.#server?.listening) await this.cut();
  }
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function serverBehindProxy() {
  const t = tempDir('parley-pg-outage-');
  cleanups.push(t.cleanup);
  const url = new URL(await databaseUrlFor(t.dir));
  const proxy = new DbProxy({ host: url.hostname, port: Number(url.port || 5432) });
  await proxy.start();
  cleanups.push(() => proxy.stop());
  url.port = String(proxy.port);
  const { server, stop } = await startTestServer({
    dataDir: t.dir,
    database: url.toString(),
    databaseConnectTimeoutMs: 500,
    databaseQueryTimeoutMs: 1000,
  });
  cleanups.push(stop);
  return { server, proxy };
}

/** Milliseconds `f` took, and its result. */
async function timed<T>(f: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const r = await f();
  return [r, performance.now() - t0];
}

async function until(check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('PostgreSQL outage', () => {
  it('answers 500 and /health 503 while the database refuses connections, then recovers', async () => {
    const { server, proxy } = await serverBehindProxy();
    const alice = await register(server.url, 'alice');
    await proxy.cut();
    const [who, ms] = await timed(() =>
      call(server.url, 'GET', `${V3}/account/whoami`, { token: alice.token }),
    );
    expect(who.status).toBe(500);
    expect(who.json.errcode).toBe('M_UNKNOWN');
    expect(ms).toBeLessThan(5_000);
    const health = await call(server.url, 'GET', '/health');
    expect(health.status).toBe(503);
    expect(health.json).toEqual({ status: 'error', database: 'unavailable' });

    await proxy.start();
    await until(async () => (await call(server.url, 'GET', '/health')).status === 200);
    const again = await call(server.url, 'GET', `${V3}/account/whoami`, { token: alice.token });
    expect(again.json.user_id).toBe(alice.userId);
  });

  it('gives up on a database that stops answering, within the query timeout', async () => {
    const { server, proxy } = await serverBehindProxy();
    const alice = await register(server.url, 'alice');
    proxy.silence(true);
    const [who, ms] = await timed(() =>
      call(server.url, 'GET', `${V3}/account/whoami`, { token: alice.token }),
    );
    expect(who.status).toBe(500);
    // The query timeout (1 s) plus the server's own margin of 1 s, with room for a loaded machine.
    expect(ms).toBeLessThan(6_000);
    proxy.silence(false);
    await until(async () => (await call(server.url, 'GET', '/health')).status === 200);
    const room = await call(server.url, 'POST', `${V3}/createRoom`, { token: alice.token, body: {} });
    expect(room.status).toBe(200);
  });
});
