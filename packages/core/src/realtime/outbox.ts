/**
 * What a router has to send: per connection, commands waiting to go out, joined into as few binary
 * messages as possible, and at most one close after them.
 *
 * @packageDocumentation
 */

/** Send `bytes` (one binary WebSocket message) on connection `connId`. */
export interface RealtimeTransmit {
  connId: number;
  bytes: Uint8Array;
}

/** Close connection `connId` with this WebSocket close code and reason (after what was sent). */
export interface RealtimeCloseAction {
  connId: number;
  close: { code: number; reason: string };
}

/** One output of {@link RealtimeRouter.poll}. */
export type RealtimeRouterOutput = RealtimeTransmit | RealtimeCloseAction;

/**
 * Commands for one connection are joined up to this size; a single larger command (a big RTMSG)
 * goes alone. Keeps the login dump of a user with many contacts in bounded messages.
 */
export const OUTBOX_BATCH_BYTES = 64 * 1024;

interface Pending {
  readonly connId: number;
  chunks: Uint8Array[];
  close: { code: number; reason: string } | null;
}

/** @internal */
export class Outbox {
  readonly #byConn = new Map<number, Pending>();
  #queue: Pending[] = [];
  #head = 0;

  #entry(connId: number): Pending {
    let p = this.#byConn.get(connId);
    if (p === undefined) {
      p = { connId, chunks: [], close: null };
      this.#byConn.set(connId, p);
      this.#queue.push(p);
    }
    return p;
  }

  /** Queues one encoded command (or several) for `connId`. The bytes may be shared between connections. */
  push(connId: number, bytes: Uint8Array): void {
    const p = this.#entry(connId);
    if (p.close === null) p.chunks.push(bytes);
  }

  /** Queues a close after what is already queued; later pushes for `connId` are dropped. */
  close(connId: number, code: number, reason: string): void {
    const p = this.#entry(connId);
    if (p.close === null) p.close = { code, reason };
  }

  /** Forgets everything queued for `connId` (its socket is gone). */
  discard(connId: number): void {
    const p = this.#byConn.get(connId);
    if (p === undefined) return;
    p.chunks = [];
    p.close = null;
    this.#byConn.delete(connId);
  }

  get isEmpty(): boolean {
    return this.#head >= this.#queue.length;
  }

  poll(): RealtimeTransmit | RealtimeCloseAction | undefined {
    while (this.#head < this.#queue.length) {
      const p = this.#queue[this.#head]!;
      if (p.chunks.length > 0) {
        const bytes = this.#takeBatch(p);
        if (p.chunks.length === 0 && p.close === null) this.#done(p);
        return { connId: p.connId, bytes };
      }
      this.#done(p);
      if (p.close !== null) return { connId: p.connId, close: p.close };
    }
    return undefined;
  }

  #done(p: Pending): void {
    this.#head++;
    if (this.#byConn.get(p.connId) === p) this.#byConn.delete(p.connId);
    if (this.#head === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
    }
  }

  #takeBatch(p: Pending): Uint8Array {
    const chunks = p.chunks;
    const first = chunks[0]!;
    let n = 1;
    let size = first.length;
    while (n < chunks.length && size + chunks[n]!.length <= OUTBOX_BATCH_BYTES) size += chunks[n++]!.length;
    if (n === chunks.length) p.chunks = [];
    else p.chunks = chunks.slice(n);
    if (n === 1) return first;
    const out = new Uint8Array(size);
    let at = 0;
    for (let i = 0; i < n; i++) {
      out.set(chunks[i]!, at);
      at += chunks[i]!.length;
    }
    return out;
  }
}
