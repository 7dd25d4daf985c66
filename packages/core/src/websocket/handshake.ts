import { sha1 } from '@noble/hashes/legacy.js';
import { base64Encode } from './base64.js';
import { WS_GUID } from './constants.js';

/** The parts of an HTTP upgrade request the handshake looks at. */
export interface WebSocketUpgradeRequest {
  /** The request method; must be `GET`. */
  method: string;
  /** Header names and values, alternating, as received (the shape of Node's `rawHeaders`). */
  rawHeaders: readonly string[];
}

/** Options of {@link acceptWsHandshake}. */
export interface WebSocketHandshakeOptions {
  /** Subprotocols the server speaks, most preferred first; the first one the client offers wins. */
  protocols?: readonly string[];
  /** Chooses the subprotocol from the client's offer instead of {@link protocols}. */
  selectProtocol?: (offered: readonly string[]) => string | undefined;
  /** Most header lines accepted. Default {@link DEFAULT_WS_MAX_HEADER_COUNT}. */
  maxHeaderCount?: number;
  /** Most bytes of header names and values accepted. Default {@link DEFAULT_WS_MAX_HEADER_BYTES}. */
  maxHeaderBytes?: number;
  /** Extra headers for the `101 Switching Protocols` response. */
  headers?: Readonly<Record<string, string>>;
}

/** Default most header lines in an upgrade request: 64. */
export const DEFAULT_WS_MAX_HEADER_COUNT = 64;
/** Default most bytes of header names and values in an upgrade request: 8 KiB. */
export const DEFAULT_WS_MAX_HEADER_BYTES = 8192;

/** The handshake was accepted: write `response` and start a server-role connection. */
export interface WebSocketHandshakeAccepted {
  ok: true;
  /** The client's `Sec-WebSocket-Key`. */
  key: string;
  /** The chosen subprotocol, if any. */
  protocol: string | undefined;
  /** The complete `101 Switching Protocols` response head. */
  response: string;
}

/** The handshake was refused: write `response` (a complete HTTP response) and close the socket. */
export interface WebSocketHandshakeRefused {
  ok: false;
  /** 400, 405, 426 or 431. */
  status: number;
  /** Why, in words (also in the response body). */
  reason: string;
  /** The complete HTTP error response, with a Matrix-shaped JSON body. */
  response: string;
}

/** The outcome of {@link acceptWsHandshake}. */
export type WebSocketHandshakeResult = WebSocketHandshakeAccepted | WebSocketHandshakeRefused;

const KEY_RE = /^[A-Za-z0-9+/]{22}==$/;
const TOKEN_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  405: 'Method Not Allowed',
  426: 'Upgrade Required',
  431: 'Request Header Fields Too Large',
};
const ERRCODE: Record<number, string> = {
  400: 'M_INVALID_PARAM',
  405: 'M_UNRECOGNIZED',
  426: 'M_INVALID_PARAM',
  431: 'M_TOO_LARGE',
};

/** `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key`: base64(SHA-1(key + GUID)). */
export function wsAcceptKey(key: string): string {
  return base64Encode(sha1(new TextEncoder().encode(key + WS_GUID)));
}

/**
 * Validates a client's upgrade request (RFC 6455 section 4.2.1) and builds the answer: `101` with
 * `Sec-WebSocket-Accept` and the chosen subprotocol, or an error with the status RFC 6455 asks
 * for (426 with `Sec-WebSocket-Version: 13` for another version, 400 for a missing or bad key).
 */
export function acceptWsHandshake(
  req: WebSocketUpgradeRequest,
  options: WebSocketHandshakeOptions = {},
): WebSocketHandshakeResult {
  const raw = req.rawHeaders;
  const maxCount = options.maxHeaderCount ?? DEFAULT_WS_MAX_HEADER_COUNT;
  if (raw.length / 2 > maxCount) return refuse(431, `more than ${maxCount} header lines`);
  let bytes = 0;
  for (const part of raw) bytes += part.length;
  const maxBytes = options.maxHeaderBytes ?? DEFAULT_WS_MAX_HEADER_BYTES;
  if (bytes > maxBytes) return refuse(431, `headers over ${maxBytes} bytes`);
  if (req.method !== 'GET') return refuse(405, 'a WebSocket upgrade must be a GET', { Allow: 'GET' });

  const headers = collect(raw);
  if (!hasToken(headers.get('upgrade'), 'websocket')) return refuse(400, 'missing "Upgrade: websocket"');
  if (!hasToken(headers.get('connection'), 'upgrade')) return refuse(400, 'missing "Connection: Upgrade"');
  const version = headers.get('sec-websocket-version');
  if (version === undefined || version.length !== 1 || version[0]?.trim() !== '13') {
    return refuse(426, 'only WebSocket version 13 is supported', { 'Sec-WebSocket-Version': '13' });
  }
  const keys = headers.get('sec-websocket-key');
  if (keys === undefined) return refuse(400, 'missing Sec-WebSocket-Key');
  const key = keys.length === 1 ? (keys[0] as string).trim() : '';
  if (!KEY_RE.test(key)) return refuse(400, 'Sec-WebSocket-Key is not 16 bytes of base64');

  const offered = splitList(headers.get('sec-websocket-protocol'));
  if (offered.some((p) => !TOKEN_RE.test(p)) || new Set(offered).size !== offered.length) {
    return refuse(400, 'bad Sec-WebSocket-Protocol list');
  }
  let protocol: string | undefined;
  if (offered.length > 0) {
    protocol = options.selectProtocol
      ? options.selectProtocol(offered)
      : options.protocols?.find((p) => offered.includes(p));
    if (protocol !== undefined && !offered.includes(protocol)) protocol = undefined;
  }

  let response =
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
    `Sec-WebSocket-Accept: ${wsAcceptKey(key)}\r\n`;
  if (protocol !== undefined) response += `Sec-WebSocket-Protocol: ${protocol}\r\n`;
  for (const [name, value] of Object.entries(options.headers ?? {})) response += `${name}: ${value}\r\n`;
  return { ok: true, key, protocol, response: `${response}\r\n` };
}

/** Header values by lower-case name, each line kept separately. */
function collect(raw: readonly string[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    const list = map.get(name);
    if (list) list.push(raw[i + 1] as string);
    else map.set(name, [raw[i + 1] as string]);
  }
  return map;
}

function splitList(values: string[] | undefined): string[] {
  if (values === undefined) return [];
  return values
    .flatMap((v) => v.split(','))
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

function hasToken(values: string[] | undefined, token: string): boolean {
  return splitList(values).some((v) => v.toLowerCase() === token);
}

function refuse(
  status: number,
  reason: string,
  extra: Record<string, string> = {},
): WebSocketHandshakeRefused {
  const body = JSON.stringify({ errcode: ERRCODE[status], error: reason });
  let head = `HTTP/1.1 ${status} ${STATUS_TEXT[status]}\r\nConnection: close\r\n`;
  head += `Content-Type: application/json\r\nContent-Length: ${new TextEncoder().encode(body).length}\r\n`;
  for (const [name, value] of Object.entries(extra)) head += `${name}: ${value}\r\n`;
  return { ok: false, status, reason, response: `${head}\r\n${body}` };
}
