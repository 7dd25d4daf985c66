import type { JsonObject, SigningKey } from '@parley/core';
import { fetchJson, type HttpJsonResult } from './http-json.js';
import { federationBaseUrl, isServerName } from './server-name.js';
import { signXMatrix } from './x-matrix.js';

/** What a {@link FederationClient} is built from. */
export interface FederationClientOptions {
  serverName: string;
  key: SigningKey;
  timeoutMs: number;
  maxResponseBytes: number;
}

/** One request to another server's federation API. */
export interface FederationRequestInit {
  method: 'GET' | 'POST' | 'PUT';
  /** The path with its query string, already encoded: `/_matrix/federation/v1/event/%24abc`. */
  path: string;
  body?: JsonObject;
  signal?: AbortSignal;
  timeoutMs?: number;
}

/**
 * Makes requests to other servers' federation APIs, each signed with X-Matrix, over plain HTTP to
 * the server name's host and port. Bounded in time and answer size; never throws.
 */
export class FederationClient {
  readonly #o: FederationClientOptions;
  /** Requests sent, by outcome, for metrics and tests. */
  readonly counts = { ok: 0, failed: 0 };

  constructor(options: FederationClientOptions) {
    this.#o = options;
  }

  get serverName(): string {
    return this.#o.serverName;
  }

  /** Sends one signed request to `destination`. */
  async request(destination: string, init: FederationRequestInit): Promise<HttpJsonResult> {
    if (!isServerName(destination) || destination === this.#o.serverName) {
      this.counts.failed++;
      return { ok: false, error: `not a destination: ${JSON.stringify(destination.slice(0, 100))}` };
    }
    const auth = signXMatrix(
      {
        method: init.method,
        uri: init.path,
        origin: this.#o.serverName,
        destination,
        ...(init.body === undefined ? {} : { content: init.body }),
      },
      this.#o.key,
    );
    const res = await fetchJson(`${federationBaseUrl(destination)}${init.path}`, {
      method: init.method,
      headers: { authorization: auth },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      timeoutMs: init.timeoutMs ?? this.#o.timeoutMs,
      maxResponseBytes: this.#o.maxResponseBytes,
      ...(init.signal === undefined ? {} : { signal: init.signal }),
    });
    if (res.ok) this.counts.ok++;
    else this.counts.failed++;
    return res;
  }
}

/** Encodes one path segment (event ids hold `$`, room ids `!` and `:`). */
export const seg = (s: string): string => encodeURIComponent(s);
