import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  computeEventId,
  type JsonObject,
  type PDU,
  type SigningKey,
  signEvent,
  signingKeyFromSeed,
  type UnsignedPDU,
} from '@parley/core';
import { makeServerKeyDocument } from '../../src/federation/keys/server-key-document.js';
import { signXMatrix } from '../../src/federation/x-matrix.js';

/** An answer from a federation endpoint. */
export interface FedAnswer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: test convenience for reading JSON answers
  json: any;
}

/**
 * A scripted federation peer on 127.0.0.1: it publishes a key document for its own ed25519 key
 * and signs requests (or mis-signs them, on demand) as that server.
 */
export class FakePeer {
  readonly name: string;
  readonly key: SigningKey;
  readonly #http: Server;

  private constructor(http: Server, name: string, key: SigningKey) {
    this.#http = http;
    this.name = name;
    this.key = key;
  }

  static async start(seedByte: number): Promise<FakePeer> {
    const key = signingKeyFromSeed(new Uint8Array(32).fill(seedByte), 'peer');
    let name = '';
    const http = createServer((req, res) => {
      if (req.url === '/_matrix/key/v2/server') {
        const body = JSON.stringify(makeServerKeyDocument(name, key, Date.now() + 3_600_000));
        res.writeHead(200, { 'content-type': 'application/json' }).end(body);
        return;
      }
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"errcode":"M_UNRECOGNIZED"}');
    });
    http.listen(0, '127.0.0.1');
    await once(http, 'listening');
    name = `127.0.0.1:${(http.address() as AddressInfo).port}`;
    return new FakePeer(http, name, key);
  }

  /** A user id of this server. */
  user(localpart: string): string {
    return `@${localpart}:${this.name}`;
  }

  /** Signs `unsigned` as this server (content hash and signature) and gives its id. */
  sign(unsigned: UnsignedPDU, key: SigningKey = this.key): { eventId: string; pdu: PDU } {
    const pdu = signEvent(unsigned, this.name, key);
    return { eventId: computeEventId(pdu), pdu };
  }

  /**
   * A signed request to `target` (its URL and server name). `as` overrides the signing: another
   * key, another destination in the header, or no header at all.
   */
  async request(
    target: { url: string; name: string },
    method: 'GET' | 'POST' | 'PUT',
    path: string,
    body?: JsonObject,
    as: { key?: SigningKey; destination?: string; origin?: string; unsigned?: boolean } = {},
  ): Promise<FedAnswer> {
    const headers: Record<string, string> = {};
    if (!as.unsigned) {
      const origin = as.origin ?? this.name;
      const destination = as.destination ?? target.name;
      headers.authorization = signXMatrix(
        { method, uri: path, origin, destination, ...(body === undefined ? {} : { content: body }) },
        as.key ?? this.key,
      );
    }
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${target.url}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = text;
    }
    return { status: res.status, json };
  }

  async close(): Promise<void> {
    this.#http.closeAllConnections();
    this.#http.close();
    await once(this.#http, 'close');
  }
}
