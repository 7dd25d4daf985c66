import type { TimerId } from '../../io.js';
import { RealtimeRouter } from '../../realtime/router.js';
import type { RealtimeRouterOptions } from '../../realtime/router-options.js';
import type { FakeClock } from '../../testing/fake-clock.js';
import type { WebSocketCloseEventLike, WebSocketLike, WebSocketMessageEventLike } from '../websocket-like.js';

type Handler<E> = ((event: E) => void) | null;

/**
 * A {@link WebSocketLike} whose other end is a {@link FakeRealtimeServer}. Delivery is
 * asynchronous (a microtask), as on a real network.
 */
export class FakeSocket implements WebSocketLike {
  binaryType = 'blob';
  readyState = 0;
  bufferedAmount = 0;
  onopen: Handler<unknown> = null;
  onmessage: Handler<WebSocketMessageEventLike> = null;
  onclose: Handler<WebSocketCloseEventLike> = null;
  onerror: Handler<unknown> = null;
  readonly url: string;
  readonly #server: FakeRealtimeServer;
  connId = 0;

  constructor(server: FakeRealtimeServer, url: string) {
    this.#server = server;
    this.url = url;
  }

  send(data: Uint8Array | ArrayBuffer | string): void {
    if (this.readyState === 0) throw new Error('InvalidStateError: still CONNECTING');
    if (this.readyState !== 1) return;
    const bytes =
      typeof data === 'string' ? new TextEncoder().encode(data) : new Uint8Array(data as ArrayBuffer).slice();
    queueMicrotask(() => this.#server.fromClient(this, bytes));
  }

  close(code?: number, reason?: string): void {
    if (this.readyState >= 2) return;
    this.readyState = 2;
    queueMicrotask(() => this.#server.clientClosed(this, code ?? 1005, reason ?? ''));
  }

  /** Called by the server side: the socket is closed with `code`. */
  finish(code: number, reason: string): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
}

/**
 * The realtime endpoint of the in-memory test server: tickets, a real `RealtimeRouter`, sockets
 * in memory, the router's timers on the shared fake clock. `frozen` drops all traffic without
 * closing anything (a dead network), so keepalive detection can be tested.
 */
export class FakeRealtimeServer {
  router: RealtimeRouter;
  readonly #clock: FakeClock;
  readonly #options: Partial<RealtimeRouterOptions>;
  readonly #sockets = new Map<number, FakeSocket>();
  readonly #tickets = new Map<string, string>();
  #nextConn = 1;
  #nextTicket = 1;
  #timer: TimerId | undefined;
  /** When false, new sockets fail to open. */
  accepting = true;
  /** When true, nothing is delivered either way. */
  frozen = false;
  /** Close every new connection right after it opens (to test the flap guard). */
  dropOnOpen = false;
  /** Sockets ever opened, with their URLs. */
  readonly opened: string[] = [];

  constructor(clock: FakeClock, options: Partial<RealtimeRouterOptions> = {}) {
    this.#clock = clock;
    this.#options = options;
    this.router = new RealtimeRouter(options);
  }

  /** Issues a single-use ticket for the user with `handle`. */
  ticket(userHandle: string): string {
    const t = `tk${this.#nextTicket++}`;
    this.#tickets.set(t, userHandle);
    return t;
  }

  /** The factory to hand to clients. */
  readonly webSocket = (url: string): WebSocketLike => {
    const sock = new FakeSocket(this, url);
    const ticket = decodeURIComponent(/[?&]ticket=([^&]*)/.exec(url)?.[1] ?? '');
    const user = this.#tickets.get(ticket);
    this.#tickets.delete(ticket);
    queueMicrotask(() => {
      if (!this.accepting || user === undefined) {
        sock.onerror?.({});
        sock.finish(1006, '');
        return;
      }
      sock.connId = this.#nextConn++;
      sock.readyState = 1;
      this.#sockets.set(sock.connId, sock);
      this.opened.push(url);
      this.router.connect(sock.connId, user, this.#clock.now());
      sock.onopen?.({});
      if (this.dropOnOpen) this.#serverClose(sock, 1011, 'dropped');
      this.pump();
    });
    return sock;
  };

  fromClient(sock: FakeSocket, bytes: Uint8Array): void {
    if (this.frozen || !this.#sockets.has(sock.connId)) return;
    this.router.handleMessage(sock.connId, bytes, this.#clock.now());
    this.pump();
  }

  clientClosed(sock: FakeSocket, code: number, reason: string): void {
    this.#sockets.delete(sock.connId);
    this.router.disconnect(sock.connId, this.#clock.now());
    sock.finish(code, reason);
    this.pump();
  }

  /** Closes every socket (a server restart) and starts a fresh router with the same options. */
  restart(populate: (router: RealtimeRouter) => void): void {
    for (const sock of [...this.#sockets.values()]) this.#serverClose(sock, 1012, 'service restart');
    this.router = new RealtimeRouter(this.#options);
    populate(this.router);
    this.#tickets.clear();
  }

  /** Open connections. */
  get connectionCount(): number {
    return this.#sockets.size;
  }

  /** Delivers what the router queued and arms its next deadline. */
  pump(): void {
    for (let out = this.router.poll(); out !== undefined; out = this.router.poll()) {
      const sock = this.#sockets.get(out.connId);
      if (!sock) continue;
      if ('bytes' in out) {
        const copy = out.bytes.slice().buffer;
        queueMicrotask(() => {
          if (!this.frozen && sock.readyState === 1) sock.onmessage?.({ data: copy });
        });
      } else {
        this.#serverClose(sock, out.close.code, out.close.reason);
      }
    }
    if (this.#timer !== undefined) this.#clock.clear(this.#timer);
    this.#timer = undefined;
    const at = this.router.pollTimeout();
    if (at !== undefined) {
      this.#timer = this.#clock.set(
        () => {
          this.#timer = undefined;
          this.router.handleTimeout(this.#clock.now());
          this.pump();
        },
        Math.max(0, at - this.#clock.now()),
      );
    }
  }

  #serverClose(sock: FakeSocket, code: number, reason: string): void {
    this.#sockets.delete(sock.connId);
    this.router.disconnect(sock.connId, this.#clock.now());
    sock.readyState = 2;
    queueMicrotask(() => sock.finish(code, reason));
  }
}
