// Test support for the websocket tests (not part of the public API): an independent frame builder
// and parser, and a recorder that turns a connection's handler calls into comparable strings.
import { WebSocketConnection, type WebSocketConnectionOptions } from './connection.js';
import type { WebSocketRole } from './frame-decoder.js';
import type { WebSocketHandlers } from './handlers.js';

export const TEST_KEY = new Uint8Array([0x37, 0xfa, 0x21, 0x3d]);

export interface FrameSpec {
  opcode: number;
  payload?: Uint8Array | string;
  fin?: boolean;
  rsv?: number;
  /** Masking key; `null` for an unmasked frame. Default {@link TEST_KEY}. */
  mask?: Uint8Array | null;
  /** Force a length encoding: 7, 16 or 64 bits. Default: the shortest. */
  lengthBits?: 7 | 16 | 64;
  /** Override the announced length (for malformed frames). */
  length?: number | bigint;
}

export function bytes(data: Uint8Array | string | number[] | undefined): Uint8Array {
  if (data === undefined) return new Uint8Array(0);
  if (typeof data === 'string') return new TextEncoder().encode(data);
  return data instanceof Uint8Array ? data : new Uint8Array(data);
}

export function hex(s: string): Uint8Array {
  const clean = s.replace(/\s+/g, '');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function toHex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  return join(parts);
}

/** Like {@link concat}, for arrays too long to spread. */
export function join(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Builds one frame byte by byte, straight from RFC 6455 section 5.2 (not from our encoder). */
export function frame(spec: FrameSpec): Uint8Array {
  const payload = bytes(spec.payload);
  const key = spec.mask === undefined ? TEST_KEY : spec.mask;
  const len = BigInt(spec.length ?? payload.length);
  const bits = spec.lengthBits ?? (len < 126n ? 7 : len < 65536n ? 16 : 64);
  const head: number[] = [((spec.fin ?? true) ? 0x80 : 0) | ((spec.rsv ?? 0) << 4) | spec.opcode];
  const m = key ? 0x80 : 0;
  if (bits === 7) head.push(m | Number(len));
  else if (bits === 16) head.push(m | 126, Number(len >> 8n) & 0xff, Number(len) & 0xff);
  else {
    head.push(m | 127);
    for (let i = 7; i >= 0; i--) head.push(Number((len >> BigInt(8 * i)) & 0xffn));
  }
  const body = payload.slice();
  if (key) {
    head.push(...key);
    for (let i = 0; i < body.length; i++) body[i] = (body[i] as number) ^ (key[i % 4] as number);
  }
  return concat(new Uint8Array(head), body);
}

/** A tiny FNV-1a, to name large payloads in event strings. */
export function fnv(b: Uint8Array): string {
  let h = 0x811c9dc5;
  for (const x of b) h = Math.imul(h ^ x, 0x01000193) >>> 0;
  return h.toString(16);
}

function show(b: Uint8Array, text: boolean): string {
  if (b.length > 64) return `len=${b.length}:h=${fnv(b)}`;
  return text ? JSON.stringify(new TextDecoder().decode(b)) : toHex(b);
}

/** Parses unmasked or masked frames (as a peer would) into strings like `pong:abcd`, `close:1000`. */
export function parseOut(stream: Uint8Array): string[] {
  const out: string[] = [];
  let p = 0;
  while (p < stream.length) {
    const b0 = stream[p] as number;
    const b1 = stream[p + 1] as number;
    let len = b1 & 0x7f;
    let q = p + 2;
    if (len === 126) {
      len = ((stream[q] as number) << 8) | (stream[q + 1] as number);
      q += 2;
    } else if (len === 127) {
      len = Number(new DataView(stream.buffer, stream.byteOffset + q, 8).getBigUint64(0));
      q += 8;
    }
    let payload = stream.slice(q + ((b1 & 0x80) !== 0 ? 4 : 0), q + ((b1 & 0x80) !== 0 ? 4 : 0) + len);
    if ((b1 & 0x80) !== 0) {
      const key = stream.subarray(q, q + 4);
      payload = payload.map((x, i) => x ^ (key[i % 4] as number));
      q += 4;
    }
    p = q + len;
    const op = b0 & 0x0f;
    const fin = (b0 & 0x80) !== 0 ? '' : ':more';
    if (op === 8) out.push(payload.length >= 2 ? `close:${(payload[0]! << 8) | payload[1]!}` : 'close');
    else if (op === 9) out.push(`ping:${toHex(payload)}`);
    else if (op === 10) out.push(`pong:${toHex(payload)}`);
    else out.push(`${['cont', 'text', 'binary'][op] ?? `op${op}`}${fin}:${show(payload, op === 1)}`);
  }
  return out;
}

export type Level = 'message' | 'message-frames' | 'frames';

export interface Recording {
  events: string[];
  out: string[];
  conn: WebSocketConnection;
}

/**
 * A connection whose handler calls are logged as strings. At the `message-frames` and `frames`
 * levels the recorder rebuilds messages from the lower-level calls (merging data chunks), so the
 * log is comparable to the `message` level's.
 */
export function recorder(
  level: Level = 'message',
  options: Partial<WebSocketConnectionOptions> = {},
): { conn: WebSocketConnection; events: string[]; raw: string[] } {
  const events: string[] = [];
  const raw: string[] = [];
  let parts: Uint8Array[] = [];
  let binary = false;
  const emit = (data: Uint8Array, isBinary: boolean) =>
    events.push(`${isBinary ? 'binary' : 'text'}:${show(data, !isBinary)}`);
  const handlers: WebSocketHandlers = {
    onPing: (p) => events.push(`ping:${toHex(p)}`),
    onPong: (p) => events.push(`pong:${toHex(p)}`),
    onError: (e) => events.push(`error:${e.code}`),
    onClose: (code, reason, clean) =>
      events.push(`close:${code}:${clean ? 'clean' : 'dirty'}${reason && clean ? `:${reason}` : ''}`),
  };
  if (level === 'message') handlers.onMessage = emit;
  if (level === 'message-frames') {
    handlers.onMessageBegin = (b) => {
      raw.push(`begin:${b}`);
      binary = b;
      parts = [];
    };
    handlers.onMessageFrame = (p) => {
      raw.push(`frame:${p.length}`);
      parts.push(p.slice());
    };
    handlers.onMessageEnd = () => {
      raw.push('end');
      emit(join(parts), binary);
    };
  }
  if (level === 'frames') {
    handlers.onFrameBegin = (f) => {
      raw.push(`fbegin:${f.opcode}:${f.fin}:${f.length}`);
      if (f.first) {
        binary = f.binary;
        parts = [];
      }
    };
    handlers.onFrameData = (c) => parts.push(c.slice());
    handlers.onFrameEnd = (f) => {
      raw.push(`fend:${f.fin}`);
      if (f.fin) emit(join(parts), binary);
    };
  }
  const role: WebSocketRole = options.role ?? 'server';
  const conn = new WebSocketConnection({ role, ...options, handlers: { ...handlers, ...options.handlers } });
  return { conn, events, raw };
}

/** Feeds `stream` in pieces of `chop` bytes (each a fresh copy, as the codec takes ownership). */
export function feed(conn: WebSocketConnection, stream: Uint8Array, chop: number, now = 0): void {
  for (let i = 0; i < stream.length; i += chop) conn.receive(now, stream.slice(i, i + chop));
}

export function drain(conn: WebSocketConnection): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let c = conn.pollTransmit(); c !== undefined; c = conn.pollTransmit()) parts.push(c);
  return join(parts);
}

/** Runs a whole stream through a fresh recorder at one chop size. */
export function run(
  stream: Uint8Array,
  chop: number,
  level: Level = 'message',
  options: Partial<WebSocketConnectionOptions> = {},
): Recording {
  const r = recorder(level, options);
  feed(r.conn, stream, Math.max(1, chop));
  return { events: r.events, out: parseOut(drain(r.conn)), conn: r.conn };
}

/** Every chop size from 1 to the whole stream; above 2 KiB, all sizes to 256 and then a spread. */
export function chopSizes(n: number): number[] {
  if (n <= 2048) return Array.from({ length: Math.max(1, n) }, (_, i) => i + 1);
  const sizes = new Set<number>();
  for (let c = 1; c <= 256; c++) sizes.add(c);
  for (let c = 257; c < 4096; c += 61) sizes.add(c);
  for (let c = 4096; c < n; c *= 2)
    sizes
      .add(c)
      .add(c - 1)
      .add(c + 1);
  sizes
    .add(997)
    .add(n - 1)
    .add(n);
  return [...sizes].filter((c) => c <= n).sort((a, b) => a - b);
}

/** One row of an Autobahn-style table: a byte stream and the exact events and replies it gives. */
export interface WsCase {
  id: string;
  title: string;
  stream: Uint8Array;
  events: string[];
  out: string[];
  options?: Partial<WebSocketConnectionOptions>;
}

/**
 * Runs a case at every chop size and at all three receive levels; returns a description of the
 * first mismatch, or undefined when every run matched.
 */
export function checkCase(c: WsCase): string | undefined {
  const want = JSON.stringify({ events: c.events, out: c.out });
  for (const level of ['message', 'message-frames', 'frames'] as const) {
    for (const chop of chopSizes(c.stream.length)) {
      const r = run(c.stream, chop, level, c.options);
      const got = JSON.stringify({ events: r.events, out: r.out });
      if (got !== want) return `level ${level}, chop ${chop}: got ${got}`;
    }
  }
  return undefined;
}

/** Moves every queued byte from `from` to `to` (a loopback in memory); returns the byte count. */
export function pump(from: WebSocketConnection, to: WebSocketConnection, now = 0): number {
  const data = drain(from);
  if (data.length > 0) to.receive(now, data);
  return data.length;
}
