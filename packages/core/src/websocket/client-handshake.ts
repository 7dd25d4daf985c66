import { ParleyError } from '../errors.js';
import type { Random } from '../io.js';
import { base64Encode } from './base64.js';
import { wsAcceptKey } from './handshake.js';

/** A fresh `Sec-WebSocket-Key`: 16 random bytes in base64. */
export function createWsClientKey(random: Random): string {
  return base64Encode(random.bytes(16));
}

/** What the client puts in its upgrade request. */
export interface WebSocketClientRequest {
  /** The `Host` header value (`host:port`). */
  host: string;
  /** The request target, e.g. `/_parley/v1/realtime?ticket=T`. */
  path: string;
  /** From {@link createWsClientKey}. */
  key: string;
  /** Subprotocols to offer, most preferred first. */
  protocols?: readonly string[];
  /** Extra request headers. */
  headers?: Readonly<Record<string, string>>;
}

/** The upgrade request head, ready to write to a fresh connection. */
export function buildWsUpgradeRequest(req: WebSocketClientRequest): string {
  let head =
    `GET ${req.path} HTTP/1.1\r\nHost: ${req.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${req.key}\r\nSec-WebSocket-Version: 13\r\n`;
  if (req.protocols && req.protocols.length > 0)
    head += `Sec-WebSocket-Protocol: ${req.protocols.join(', ')}\r\n`;
  for (const [name, value] of Object.entries(req.headers ?? {})) head += `${name}: ${value}\r\n`;
  return `${head}\r\n`;
}

/**
 * Checks the server's answer to an upgrade request (RFC 6455 section 4.2.2 from the client's
 * side) and returns the subprotocol it chose. `headers` are keyed by lower-case name.
 *
 * @throws ParleyError with code `ws_handshake` when the answer does not complete the handshake.
 */
export function checkWsUpgradeResponse(
  status: number,
  headers: Readonly<Record<string, string | readonly string[] | undefined>>,
  key: string,
  protocols: readonly string[] = [],
): string | undefined {
  const one = (name: string): string | undefined => {
    const v = headers[name];
    return typeof v === 'string' ? v : v?.join(', ');
  };
  const fail = (why: string): never => {
    throw new ParleyError('ws_handshake', `WebSocket handshake failed: ${why}`, { httpStatus: status });
  };
  if (status !== 101) fail(`status ${status}`);
  if (one('upgrade')?.toLowerCase() !== 'websocket') fail('missing "Upgrade: websocket"');
  if (
    !one('connection')
      ?.toLowerCase()
      .split(',')
      .some((t) => t.trim() === 'upgrade')
  ) {
    fail('missing "Connection: Upgrade"');
  }
  if (one('sec-websocket-accept') !== wsAcceptKey(key)) fail('wrong Sec-WebSocket-Accept');
  if (one('sec-websocket-extensions') !== undefined)
    fail('the server chose an extension that was not offered');
  const protocol = one('sec-websocket-protocol');
  if (protocol !== undefined && !protocols.includes(protocol))
    fail(`the server chose unoffered subprotocol ${protocol}`);
  return protocol;
}
