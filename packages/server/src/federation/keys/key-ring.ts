import type { Clock, SigningKey } from '@parley/core';
import { fetchJson } from '../http-json.js';
import { federationBaseUrl, isServerName } from '../server-name.js';
import { type VerifiedServerKeys, verifyServerKeyDocument } from './server-key-document.js';

/** What a {@link KeyRing} is built from. */
export interface KeyRingOptions {
  serverName: string;
  key: SigningKey;
  clock: Clock;
  /** Key sets kept (least recently used dropped first). */
  maxServers: number;
  /** A failed fetch is not retried for this long (a flood of requests naming it costs one fetch). */
  retryMs: number;
  /** A fetched set is kept at most this long, even when its `valid_until_ts` is later. */
  maxAgeMs: number;
  timeoutMs: number;
  maxResponseBytes: number;
}

interface Entry {
  keys: VerifiedServerKeys;
  expiresAt: number;
  fetchedAt: number;
}

/**
 * Other servers' signing keys: fetched from `/_matrix/key/v2/server` on demand, checked (self-signed,
 * named right, not expired), and cached up to their `valid_until_ts` (and `maxAgeMs`), bounded in
 * number. Lookups are synchronous (the fetch scheduler's verifier needs that); {@link ensure}
 * fetches what a lookup will need.
 */
export class KeyRing {
  readonly #o: KeyRingOptions;
  readonly #cache = new Map<string, Entry>();
  readonly #failedAt = new Map<string, number>();
  readonly #inFlight = new Map<string, Promise<boolean>>();
  /** Fetches done (for tests and metrics). */
  fetches = 0;

  constructor(options: KeyRingOptions) {
    this.#o = options;
  }

  /** The public key `keyId` of `server`, if known and unexpired (ours is always known). */
  lookup(server: string, keyId: string): Uint8Array | undefined {
    if (server === this.#o.serverName) {
      return keyId === this.#o.key.keyId ? this.#o.key.publicKey : undefined;
    }
    const e = this.#entry(server);
    return e?.keys.keys.get(keyId) ?? e?.keys.oldKeys.get(keyId);
  }

  /** Only the current keys (for request signatures, which must use a current key). */
  lookupCurrent(server: string, keyId: string): Uint8Array | undefined {
    if (server === this.#o.serverName) return this.lookup(server, keyId);
    return this.#entry(server)?.keys.keys.get(keyId);
  }

  #entry(server: string): Entry | undefined {
    const e = this.#cache.get(server);
    if (e === undefined) return undefined;
    if (e.expiresAt <= this.#o.clock.now()) {
      this.#cache.delete(server);
      return undefined;
    }
    // Refresh its place in the LRU order.
    this.#cache.delete(server);
    this.#cache.set(server, e);
    return e;
  }

  /**
   * Makes sure `server`'s keys (and `keyId`, when given) are known, fetching them when they are
   * not, unless a fetch failed within `retryMs`. Concurrent calls share one fetch.
   *
   * @returns true when the key (or some key of the server) is known afterwards.
   */
  async ensure(server: string, keyId?: string, signal?: AbortSignal): Promise<boolean> {
    const known = (): boolean =>
      keyId === undefined
        ? this.#entry(server) !== undefined || server === this.#o.serverName
        : this.lookup(server, keyId) !== undefined;
    if (known()) return true;
    if (server === this.#o.serverName || !isServerName(server)) return false;
    const now = this.#o.clock.now();
    const failed = this.#failedAt.get(server);
    if (failed !== undefined && now - failed < this.#o.retryMs) return false;
    // A key id the server did not publish a moment ago is not worth another fetch (else anyone
    // could make us fetch a server's keys once per request by naming made-up key ids).
    const fetchedAt = this.#cache.get(server)?.fetchedAt;
    if (fetchedAt !== undefined && now - fetchedAt < this.#o.retryMs) return false;
    let p = this.#inFlight.get(server);
    if (p === undefined) {
      p = this.#fetch(server).finally(() => this.#inFlight.delete(server));
      this.#inFlight.set(server, p);
    }
    if (signal === undefined) await p;
    else if (!signal.aborted) {
      let onAbort = (): void => {};
      const aborted = new Promise<void>((resolve) => {
        onAbort = () => resolve();
        signal.addEventListener('abort', onAbort, { once: true });
      });
      // The listener goes with the wait: a long-lived signal must not collect one per call.
      await Promise.race([p, aborted]).finally(() => signal.removeEventListener('abort', onAbort));
    }
    return known();
  }

  /** Ensures the keys of several servers in parallel. */
  async ensureAll(servers: Iterable<string>, signal?: AbortSignal): Promise<void> {
    await Promise.all([...new Set(servers)].map((s) => this.ensure(s, undefined, signal)));
  }

  async #fetch(server: string): Promise<boolean> {
    this.fetches++;
    const res = await fetchJson(`${federationBaseUrl(server)}/_matrix/key/v2/server`, {
      method: 'GET',
      timeoutMs: this.#o.timeoutMs,
      maxResponseBytes: Math.min(this.#o.maxResponseBytes, 1024 * 1024),
    });
    const now = this.#o.clock.now();
    const checked = res.ok ? verifyServerKeyDocument(server, res.body, now) : undefined;
    if (checked === undefined || !checked.ok) {
      this.#remember(this.#failedAt, server, now);
      return false;
    }
    this.#failedAt.delete(server);
    const expiresAt = Math.min(checked.keys.validUntilTs, now + this.#o.maxAgeMs);
    this.#remember(this.#cache, server, { keys: checked.keys, expiresAt, fetchedAt: now });
    return true;
  }

  #remember<V>(map: Map<string, V>, key: string, value: V): void {
    map.delete(key);
    map.set(key, value);
    while (map.size > this.#o.maxServers) map.delete(map.keys().next().value as string);
  }
}
