import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliArgs, register, type TestUser, tempDir } from '../helpers.js';
import { databaseUrlFor, TEST_BACKEND } from '../test-database.js';
import { createPublicRoom, type FedNode, joinVia, messageBodies, send, waitFor } from './fed-helpers.js';

async function freePort(): Promise<number> {
  const s = createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as { port: number }).port;
  s.close();
  await once(s, 'close');
  return port;
}

/** A `parley serve` process on a fixed loopback port, so it keeps its server name across restarts. */
class ServeProcess {
  child: ChildProcess | undefined;
  readonly url: string;
  readonly name: string;

  constructor(
    readonly port: number,
    readonly dir: string,
    readonly env: Record<string, string>,
  ) {
    this.url = `http://127.0.0.1:${port}`;
    this.name = `127.0.0.1:${port}`;
  }

  async start(): Promise<void> {
    const child = spawn(
      process.execPath,
      cliArgs('serve', '--port', String(this.port), '--host', '127.0.0.1', '--data-dir', this.dir),
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          ...process.env,
          PARLEY_SCRYPT_COST: '10',
          PARLEY_LOG_LEVEL: 'warn',
          PARLEY_FEDERATION_RETRY_INITIAL_MS: '100',
          PARLEY_FEDERATION_RETRY_MAX_MS: '500',
          PARLEY_FEDERATION_FETCH_WAIT_MS: '100',
          PARLEY_FEDERATION_KEY_RETRY_MS: '0',
          ...this.env,
        },
      },
    );
    this.child = child;
    let out = '';
    let err = '';
    child.stderr?.on('data', (c: Buffer) => {
      err += c.toString();
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('parley: listening on')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`parley serve exited (${code}): ${err}`)));
    });
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child === undefined || child.exitCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
    this.child = undefined;
  }
}

describe('three parley serve processes: one is stopped while messages are sent, restarted, and catches up', () => {
  const dirs = [tempDir('parley-fed-a-'), tempDir('parley-fed-b-'), tempDir('parley-fed-c-')];
  let procs: ServeProcess[] = [];
  let nodes: FedNode[] = [];
  let roomId: string;
  const expected: string[] = [];

  const node = (p: ServeProcess, user: TestUser): FedNode => ({
    server: undefined as never,
    url: p.url,
    name: p.name,
    user,
    stop: () => p.stop(),
  });

  async function sendAndSee(from: FedNode, body: string, txn: string, seers: FedNode[]): Promise<void> {
    await send(from.url, from.user, roomId, body, txn);
    expected.push(body);
    for (const n of seers) {
      await waitFor(
        async () => ((await messageBodies(n.url, n.user, roomId)).includes(body) ? true : undefined),
        20_000,
        `${body} on ${n.name}`,
      );
    }
  }

  beforeAll(async () => {
    const ports = [await freePort(), await freePort(), await freePort()];
    // In the server-pg run each process keeps its data in a PostgreSQL schema of its own.
    const db = async (i: number): Promise<Record<string, string>> =>
      TEST_BACKEND === 'postgres'
        ? { PARLEY_DATABASE: await databaseUrlFor(dirs[i]!.dir), PARLEY_DATABASE_POOL_SIZE: '4' }
        : {};
    procs = [
      // A keeps only 3 events per destination: C gets the last 3 of A's 8 from A's queue and must
      // fetch the 5 before them (get_missing_events) to see every message.
      new ServeProcess(ports[0] as number, dirs[0]!.dir, {
        PARLEY_FEDERATION_QUEUE_MAX_PDUS: '3',
        ...(await db(0)),
      }),
      new ServeProcess(ports[1] as number, dirs[1]!.dir, await db(1)),
      new ServeProcess(ports[2] as number, dirs[2]!.dir, await db(2)),
    ];
    await Promise.all(procs.map((p) => p.start()));
    const users = await Promise.all(
      procs.map((p, i) => register(p.url, ['alice', 'bob', 'carol'][i] as string)),
    );
    nodes = procs.map((p, i) => node(p, users[i] as TestUser));
  }, 90_000);

  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop()));
    await Promise.all(dirs.map((d) => d.cleanup()));
  });

  it('forms a room spanning the three servers', async () => {
    const [a, b, c] = nodes as [FedNode, FedNode, FedNode];
    roomId = await createPublicRoom(a);
    expect((await joinVia(b, roomId, a.name)).status).toBe(200);
    expect((await joinVia(c, roomId, a.name)).status).toBe(200);
    await sendAndSee(a, 'hello from A', 'a0', [b, c]);
    await sendAndSee(b, 'hello from B', 'b0', [a, c]);
    await sendAndSee(c, 'hello from C', 'c0', [a, b]);
  }, 60_000);

  it('C, stopped while A and B send, sees every message in order after its restart', async () => {
    const [a, b, c] = nodes as [FedNode, FedNode, FedNode];
    await procs[2]?.stop();
    for (let i = 1; i <= 8; i++) await sendAndSee(a, `A while C is down ${i}`, `a${i}`, [a, b]);
    for (let i = 1; i <= 4; i++) await sendAndSee(b, `B while C is down ${i}`, `b${i}`, [a, b]);
    await procs[2]?.start();
    const onC = await waitFor(
      async () => {
        const bodies = await messageBodies(c.url, c.user, roomId);
        return bodies.length >= expected.length ? bodies : undefined;
      },
      30_000,
      'C to catch up',
    );
    expect(onC).toEqual(expected);
    // And C writes again into the same, single history.
    await sendAndSee(c, 'C is back', 'c1', [a, b, c]);
    for (const n of [a, b, c]) expect(await messageBodies(n.url, n.user, roomId)).toEqual(expected);
  }, 90_000);
});
