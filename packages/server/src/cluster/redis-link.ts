import { Redis } from 'ioredis';
import type { Logger } from 'pino';

/** The URL with its password (if any) replaced, for messages and logs. */
export function redactRedisUrl(url: string): string {
  return url.replace(/^(rediss?:\/\/[^:/@]*:)[^@/]*@/, '$1***@');
}

/**
 * The two Redis connections of an instance: one for commands and publishing, one subscribed
 * (a subscribed connection can do nothing else). ioredis reconnects both by itself, with
 * backoff, and subscribes again; `onReconnect` runs after the subscriber is back, so the caller
 * can read again what it may have missed. Commands fail at once while Redis is away (no offline
 * queue): fan-out is best effort, and nothing that must survive is kept in Redis.
 */
export class RedisLink {
  readonly cmd: Redis;
  readonly sub: Redis;
  readonly #logger: Logger;
  #closed = false;

  private constructor(cmd: Redis, sub: Redis, logger: Logger) {
    this.cmd = cmd;
    this.sub = sub;
    this.#logger = logger;
  }

  /**
   * Connects both.
   *
   * @throws an `Error` naming the (redacted) URL when Redis cannot be reached within `timeoutMs`.
   */
  static async connect(url: string, logger: Logger, timeoutMs = 10_000): Promise<RedisLink> {
    const options = {
      lazyConnect: true,
      connectTimeout: timeoutMs,
      maxRetriesPerRequest: 1,
      enableAutoPipelining: true,
      retryStrategy: (attempt: number) => Math.min(100 * 2 ** Math.min(attempt, 5), 2000),
    };
    const cmd = new Redis(url, options);
    const sub = new Redis(url, { ...options, enableAutoPipelining: false });
    const link = new RedisLink(cmd, sub, logger);
    for (const [name, c] of [
      ['commands', cmd],
      ['subscriber', sub],
    ] as const) {
      c.on('error', (err: Error) => {
        if (!link.#closed) logger.warn({ err: err.message, connection: name }, 'cluster: redis error');
      });
    }
    try {
      await Promise.all([cmd.connect(), sub.connect()]);
    } catch (err) {
      cmd.disconnect();
      sub.disconnect();
      throw new Error(`cannot reach Redis at ${redactRedisUrl(url)}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    // Commands wait for a reconnect only briefly: a missed notice is caught up later.
    cmd.options.enableOfflineQueue = false;
    return link;
  }

  /**
   * Names both connections in `CLIENT LIST` (`<name>:cmd`, `<name>:sub`), now and after every
   * reconnect, so an operator can tell the instances apart.
   */
  async setName(name: string): Promise<void> {
    const safe = name.replace(/[^A-Za-z0-9:._-]/g, '_');
    for (const [c, role] of [
      [this.cmd, 'cmd'],
      [this.sub, 'sub'],
    ] as const) {
      c.options.connectionName = `${safe}:${role}`;
      await c.call('CLIENT', 'SETNAME', `${safe}:${role}`);
    }
  }

  /** Calls `listener` each time the subscriber is ready again after losing its connection. */
  onReconnect(listener: () => void): void {
    // Registered after the first connect, so every `ready` from now on is a reconnect.
    this.sub.on('ready', () => {
      if (!this.#closed) {
        this.#logger.info('cluster: redis connection back; reading the cluster state again');
        listener();
      }
    });
  }

  /** Closes both connections (pending replies are awaited briefly). */
  async close(): Promise<void> {
    this.#closed = true;
    const quit = (c: Redis) =>
      c.status === 'ready'
        ? Promise.race([c.quit().then(() => undefined), new Promise<void>((r) => setTimeout(r, 1000))])
        : Promise.resolve();
    await Promise.allSettled([quit(this.cmd), quit(this.sub)]);
    this.cmd.disconnect();
    this.sub.disconnect();
  }
}
