import {
  type ClientCommand,
  decodeServerCommands,
  encodeClientCommands,
  OP_HELLO,
  OP_PRES,
  type ServerCommand,
} from '@parley/core';
import WebSocket from 'ws';
import { call, type TestUser } from '../helpers.js';

/** How a realtime test connection ended. */
export interface Closed {
  code: number;
  reason: string;
}

/** A realtime connection of a test user over a real `ws` client, recording every command it gets. */
export class RtClient {
  readonly received: ServerCommand[] = [];
  /** Binary messages received (a message may hold several commands). */
  messages = 0;
  clientId = 0;
  closed: Closed | undefined;
  readonly #waiters = new Set<() => void>();

  constructor(
    readonly ws: WebSocket,
    readonly user: TestUser,
  ) {
    ws.binaryType = 'nodebuffer';
    ws.on('message', (data: Buffer, binary: boolean) => {
      this.messages++;
      if (!binary) throw new Error('the server sent a text message');
      const r = decodeServerCommands(new Uint8Array(data));
      if (!r.ok) throw r.error;
      for (const c of r.commands) {
        if (c.op === OP_HELLO) this.clientId = c.clientId;
        // Copy RTMSG data out of the receive buffer before it is reused.
        this.received.push(c.op === 22 ? { ...c, data: new Uint8Array(c.data) } : c);
      }
      this.#wake();
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.#wake();
    });
    ws.on('error', () => {});
  }

  #wake(): void {
    for (const w of [...this.#waiters]) w();
  }

  /** Sends commands in one binary message. */
  send(...commands: ClientCommand[]): void {
    this.ws.send(encodeClientCommands(commands));
  }

  /** Sends raw bytes (malformed input). */
  sendRaw(bytes: Uint8Array | string, binary = true): void {
    this.ws.send(bytes, { binary });
  }

  /** Sends `OP_HELLO` and waits for the login dump to end (the own `OP_PRES 0`). */
  async hello(presence = 3): Promise<ServerCommand[]> {
    const from = this.received.length;
    this.send({ op: OP_HELLO, clientVersion: 1, presence });
    await this.waitFor((cs) => cs.some((c) => c.op === OP_PRES && c.user === '0000000000000000'), from);
    return this.received.slice(from);
  }

  /** Resolves when `test` holds for the commands received after index `from`. */
  waitFor(test: (cs: ServerCommand[]) => boolean, from = 0, timeoutMs = 5000): Promise<ServerCommand[]> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const cs = this.received.slice(from);
        if (!test(cs)) return false;
        this.#waiters.delete(waiter);
        clearTimeout(timer);
        resolve(cs);
        return true;
      };
      const waiter = (): void => {
        if (!check() && this.closed !== undefined) {
          this.#waiters.delete(waiter);
          clearTimeout(timer);
          reject(new Error(`closed (${this.closed.code} ${this.closed.reason}) while waiting`));
        }
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new Error(`timed out; got ${JSON.stringify(this.received.slice(from), replacer)}`));
      }, timeoutMs);
      this.#waiters.add(waiter);
      waiter();
    });
  }

  /** Resolves with the close code and reason. */
  waitClosed(timeoutMs = 5000): Promise<Closed> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (this.closed === undefined) return;
        this.#waiters.delete(check);
        clearTimeout(timer);
        resolve(this.closed);
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error('not closed in time'));
      }, timeoutMs);
      this.#waiters.add(check);
      check();
    });
  }

  /** Commands received after index `from`, of opcode `op`. */
  ofOp<T extends ServerCommand['op']>(op: T, from = 0): Extract<ServerCommand, { op: T }>[] {
    return this.received.slice(from).filter((c) => c.op === op) as Extract<ServerCommand, { op: T }>[];
  }

  close(): void {
    this.ws.close();
  }
}

function replacer(_k: string, v: unknown): unknown {
  return v instanceof Uint8Array ? `<${v.length} bytes>` : v;
}

/** A fresh realtime ticket for the user. */
export async function ticketFor(base: string, user: TestUser): Promise<string> {
  const r = await call(base, 'POST', '/_parley/v1/realtime/ticket', { token: user.token, body: {} });
  if (r.status !== 200) throw new Error(`ticket: ${r.status} ${r.text}`);
  return r.json.ticket;
}

/** The realtime URL of a server for a query string. */
export const rtUrl = (base: string, query = ''): string =>
  `${base.replace(/^http/, 'ws')}/_parley/v1/realtime${query}`;

/** Opens a realtime connection with a new ticket (not yet said HELLO). */
export async function connectRt(base: string, user: TestUser): Promise<RtClient> {
  const ticket = await ticketFor(base, user);
  const ws = new WebSocket(rtUrl(base, `?ticket=${ticket}`), { perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    ws.once('error', reject);
  });
  return new RtClient(ws, user);
}

/** Opens a connection and says HELLO. */
export async function onlineRt(base: string, user: TestUser, presence = 3): Promise<RtClient> {
  const c = await connectRt(base, user);
  await c.hello(presence);
  return c;
}

/** What an upgrade attempt that the server refused answered. */
export async function refusedUpgrade(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const ws = new WebSocket(url, { headers, perMessageDeflate: false });
  return new Promise((resolve, reject) => {
    ws.once('open', () => {
      ws.close();
      reject(new Error('the upgrade was accepted'));
    });
    ws.once('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (c: Buffer) => {
        text += c.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    ws.once('error', reject);
  });
}

/** The zero handle: "every user" in RTMSG addressing, "you" in `OP_PRES`. */
export const ZERO = '0000000000000000';

/** A C->S `OP_RTMSG`. */
export function rtmsg(
  room: string,
  user: string,
  client: number,
  data: Uint8Array,
  msgtype = 7,
): ClientCommand {
  return { op: 22, room, receiverUser: user, receiverClient: client, msgtype, data };
}

/**
 * Waits until everything the server sent to `clients` because of what `first` sent before this
 * call has arrived: `first` gets its `OP_KEEPALIVE` answered (so the server has routed its earlier
 * commands and written the results), then each client in turn does the same (its answer is
 * written after whatever was already queued for it).
 */
export async function barrier(first: RtClient, ...clients: RtClient[]): Promise<void> {
  for (const c of [first, ...clients]) {
    if (c.closed !== undefined) continue;
    const from = c.received.length;
    c.send({ op: 0 });
    await c.waitFor((cs) => cs.some((x) => x.op === 0), from);
  }
}
