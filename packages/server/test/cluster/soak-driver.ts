/**
 * The soak test's load: many realtime connections spread over several instances, each user in
 * a room of ten, doing what clients do (presence changes, RTMSG to the room, keepalives) with
 * some connections closing and opening again; and the instances' heap read from `/metrics`.
 * Clients keep counters only, so the load generator's own memory stays flat.
 */
import {
  decodeServerCommands,
  encodeClientCommands,
  OP_HELLO,
  OP_KEEPALIVE,
  OP_RTMSG,
  OP_SETPRES,
} from '@parley/core';
import WebSocket from 'ws';
import { call, register, roomPath, type TestUser, V3 } from '../helpers.js';
import { rtUrl, ZERO } from '../realtime/rt-client.js';

/** Runs `fn` over `items` with at most `n` at once. */
export async function pool<T>(
  items: T[],
  n: number,
  fn: (item: T, i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i]!, i);
      }
    }),
  );
}

/** Counters of the whole load. */
export interface SoakCounters {
  rtmsgReceived: number;
  presReceived: number;
  /** Closes the server started (anything but our own closes). */
  serverCloses: number;
  /** Those closes by `code reason`. */
  closeReasons: Record<string, number>;
  reconnects: number;
}

/** One realtime connection that counts what it gets. */
class SoakConn {
  ws: WebSocket | undefined;
  closedByUs = false;
  /** Sockets this client closed itself. */
  readonly #ours = new WeakSet<WebSocket>();

  constructor(
    readonly base: string,
    readonly user: TestUser,
    readonly room: string,
    readonly counters: SoakCounters,
  ) {}

  async open(): Promise<void> {
    this.closedByUs = false;
    const ws = new WebSocket(rtUrl(this.base), {
      headers: { authorization: `Bearer ${this.user.token}` },
      perMessageDeflate: false,
    });
    this.ws = ws;
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    });
    ws.on('error', () => {});
    ws.on('close', (code, reason) => {
      if (this.#ours.has(ws)) return;
      this.counters.serverCloses++;
      const key = `${code} ${reason.toString()}`;
      this.counters.closeReasons[key] = (this.counters.closeReasons[key] ?? 0) + 1;
    });
    const hello = new Promise<void>((resolve) => {
      ws.on('message', (data: Buffer) => {
        const r = decodeServerCommands(new Uint8Array(data));
        if (!r.ok) return;
        for (const c of r.commands) {
          if (c.op === OP_HELLO) resolve();
          else if (c.op === OP_RTMSG) this.counters.rtmsgReceived++;
          else if (c.op === 61) this.counters.presReceived++;
        }
      });
    });
    this.send([{ op: OP_HELLO, clientVersion: 1, presence: 3 }]);
    await hello;
  }

  send(cmds: Parameters<typeof encodeClientCommands>[0]): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(encodeClientCommands(cmds));
  }

  /** One step of client life. */
  act(r: number): void {
    if (r < 0.4) this.send([{ op: OP_SETPRES, presence: 1 + Math.floor(r * 10) }]);
    else if (r < 0.7) {
      const data = new Uint8Array(64);
      this.send([{ op: OP_RTMSG, room: this.room, receiverUser: ZERO, receiverClient: 0, msgtype: 1, data }]);
    } else this.send([{ op: OP_KEEPALIVE }]);
  }

  close(): void {
    this.closedByUs = true;
    if (this.ws === undefined) return;
    this.#ours.add(this.ws);
    this.ws.close();
  }
}

/** Users in rooms of `roomSize`, registered and joined through the instances in turn. */
export async function soakUsers(
  bases: string[],
  users: number,
  roomSize = 10,
): Promise<{ user: TestUser; room: string }[]> {
  const names = Array.from({ length: users }, (_, i) => `soak${i}`);
  const registered: TestUser[] = new Array(users);
  await pool(names, 16, async (name, i) => {
    registered[i] = await register(bases[i % bases.length]!, name);
  });
  const out: { user: TestUser; room: string }[] = new Array(users);
  const groups = Array.from({ length: Math.ceil(users / roomSize) }, (_, g) =>
    registered.slice(g * roomSize, (g + 1) * roomSize),
  );
  await pool(groups, 8, async (members, g) => {
    const base = bases[g % bases.length]!;
    const owner = members[0]!;
    const r = await call(base, 'POST', `${V3}/createRoom`, {
      token: owner.token,
      body: { invite: members.slice(1).map((m) => m.userId) },
    });
    if (r.status !== 200) throw new Error(`createRoom: ${r.status} ${r.text}`);
    for (const [k, m] of members.entries()) {
      if (k > 0) {
        const j = await call(bases[k % bases.length]!, 'POST', roomPath(r.json.room_id, 'join'), {
          token: m.token,
          body: {},
        });
        if (j.status !== 200) throw new Error(`join: ${j.status} ${j.text}`);
      }
      out[g * roomSize + k] = { user: m, room: r.json.room_handle };
    }
  });
  return out;
}

/** Connections for every user on every instance, driven until {@link stop}. */
export class SoakLoad {
  readonly counters: SoakCounters = {
    rtmsgReceived: 0,
    presReceived: 0,
    serverCloses: 0,
    closeReasons: {},
    reconnects: 0,
  };
  readonly conns: SoakConn[] = [];
  #timer: NodeJS.Timeout | undefined;
  #churning = 0;

  constructor(bases: string[], users: { user: TestUser; room: string }[]) {
    for (const u of users)
      for (const b of bases) this.conns.push(new SoakConn(b, u.user, u.room, this.counters));
  }

  async open(): Promise<void> {
    await pool(this.conns, 64, (c) => c.open());
  }

  /**
   * Every `tickMs`, `actPerTick` of the connections act and `churnPerTick` close and open
   * again (one reconnect in flight per connection at most).
   */
  run(tickMs: number, actPerTick: number, churnPerTick: number): void {
    this.#timer = setInterval(() => {
      for (let i = 0; i < actPerTick; i++) {
        this.conns[Math.floor(Math.random() * this.conns.length)]!.act(Math.random());
      }
      for (let i = 0; i < churnPerTick && this.#churning < 32; i++) {
        const c = this.conns[Math.floor(Math.random() * this.conns.length)]!;
        if (c.closedByUs) continue;
        this.#churning++;
        c.close();
        void c
          .open()
          .then(() => this.counters.reconnects++)
          .catch(() => {})
          .finally(() => this.#churning--);
      }
    }, tickMs);
  }

  stop(): void {
    clearInterval(this.#timer);
    for (const c of this.conns) c.close();
  }
}

/** One unlabelled metric of an instance, from its `/metrics`. */
export async function metric(base: string, name: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  if (!m) throw new Error(`no ${name} in /metrics`);
  return Number(m[1]);
}

/** `parley_nodejs_heap_size_used_bytes` of an instance. */
export const heapUsed = (base: string): Promise<number> => metric(base, 'parley_nodejs_heap_size_used_bytes');

/**
 * The live heap of a process started with `--inspect=127.0.0.1:0`, through the inspector
 * protocol: a full garbage collection, then the used size. Exact, unlike a sample of the GC
 * sawtooth, so a small leak shows.
 */
export async function liveHeap(stderr: string): Promise<number> {
  const m = /Debugger listening on (ws:\/\/\S+)/.exec(stderr);
  if (!m) throw new Error('the process was not started with --inspect');
  const ws = new WebSocket(m[1]!);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  let id = 0;
  const rpc = (method: string) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const mine = ++id;
      const onMessage = (data: Buffer) => {
        const msg = JSON.parse(data.toString()) as {
          id?: number;
          result?: Record<string, unknown>;
          error?: unknown;
        };
        if (msg.id !== mine) return;
        ws.off('message', onMessage);
        if (msg.error !== undefined) reject(new Error(JSON.stringify(msg.error)));
        else resolve(msg.result ?? {});
      };
      ws.on('message', onMessage);
      ws.send(JSON.stringify({ id: mine, method }));
    });
  try {
    await rpc('HeapProfiler.collectGarbage');
    const usage = await rpc('Runtime.getHeapUsage');
    return usage.usedSize as number;
  } finally {
    ws.close();
  }
}
