/**
 * What instances tell each other over Redis pub/sub, and the Redis key names. Every message is
 * one buffer: a kind byte, then either the binary layout of a forwarded RTMSG (kept binary: it
 * is the bulk of the traffic) or a JSON notice. A message that does not decode is dropped.
 */
import { type HandleHex, isHandleHex, type RealtimeForwardedRtmsg } from '@parley/core';

const KIND_RTMSG = 1;
const KIND_NOTICE = 2;

/**
 * A notice on the cluster bus; `o` is the origin (the sending instance). Connection notices
 * carry `q`, the origin's sequence number of them (see `realtime-bridge.ts`).
 */
export type BusNotice =
  /** An instance started; receivers forget an older incarnation of its slot. */
  | { t: 'hello'; o: string }
  /** An instance stops: its connections are gone. */
  | { t: 'bye'; o: string }
  /** A realtime connection of `o` is live with this presence (i: the idle flag). */
  | { t: 'conn'; o: string; q: number; c: number; u: HandleHex; p: number; i: 0 | 1 }
  | { t: 'gone'; o: string; q: number; c: number }
  /** An accepted `OP_IN_CALL` of a connection of `o`. */
  | { t: 'call'; o: string; q: number; c: number; r: HandleHex; s: 0 | 1 }
  /** `o` committed an event at stream ordering `n` (read it from PostgreSQL). */
  | { t: 'event'; o: string; n: number }
  | { t: 'typing'; o: string; room: string; user: string; typing: boolean; expiresAt: number }
  /** `o` stored a to-device send at ordering `n`, its last message at position `p`, for devices `d`. */
  | { t: 'to_device'; o: string; n: number; p: number; d: [string, string][] }
  /** `a`'s contact entry for `b` changed (read the pair from PostgreSQL). */
  | { t: 'contact'; o: string; a: string; b: string }
  /** Device `d` of user `u` logged out. */
  | { t: 'logout'; o: string; u: string; d: string };

/** A decoded bus message. */
export type BusMessage =
  | { kind: 'notice'; notice: BusNotice }
  | { kind: 'rtmsg'; rtmsg: RealtimeForwardedRtmsg };

/** Redis names of one cluster (every key and channel starts with the configured prefix). */
export class ClusterKeys {
  constructor(readonly prefix: string) {}
  /** Channel every instance listens to. */
  get bus(): string {
    return `${this.prefix}bus`;
  }
  /** Channel of one instance (RTMSG for its connections). */
  rtmsg(origin: string): string {
    return `${this.prefix}rt:${origin}`;
  }
  /** Counter that instance slots are drawn from. */
  get slotSequence(): string {
    return `${this.prefix}slot-seq`;
  }
  /** The lease of a slot: holds the origin of its instance, with a TTL. */
  slot(slot: number): string {
    return `${this.prefix}slot:${slot}`;
  }
  /** Set of the origins that announced themselves (pruned when their lease is gone). */
  get instances(): string {
    return `${this.prefix}instances`;
  }
  /** Hash of an instance's live realtime connections: client id -> "user,presence,idle". */
  conns(origin: string): string {
    return `${this.prefix}conns:${origin}`;
  }
}

/** The slot number inside an origin (`<slot>.<random>`). */
export function slotOf(origin: string): number {
  return Number.parseInt(origin, 10);
}

export function encodeNotice(n: BusNotice): Buffer {
  const json = Buffer.from(JSON.stringify(n));
  const out = Buffer.allocUnsafe(1 + json.length);
  out[0] = KIND_NOTICE;
  json.copy(out, 1);
  return out;
}

const RTMSG_HEAD = 1 + 8 + 8 + 4 + 8 + 4 + 1;

export function encodeRtmsg(m: RealtimeForwardedRtmsg): Buffer {
  const out = Buffer.allocUnsafe(RTMSG_HEAD + m.data.length);
  out[0] = KIND_RTMSG;
  out.write(m.room, 1, 'hex');
  out.write(m.senderUser, 9, 'hex');
  out.writeUInt32BE(m.senderClient, 17);
  out.write(m.receiverUser, 21, 'hex');
  out.writeUInt32BE(m.receiverClient, 29);
  out[33] = m.msgtype;
  out.set(m.data, RTMSG_HEAD);
  return out;
}

/** Decodes a bus message; `undefined` for anything malformed. */
export function decodeBusMessage(b: Buffer): BusMessage | undefined {
  if (b.length === 0) return undefined;
  if (b[0] === KIND_RTMSG) {
    if (b.length < RTMSG_HEAD) return undefined;
    const senderClient = b.readUInt32BE(17);
    if (senderClient === 0) return undefined;
    return {
      kind: 'rtmsg',
      rtmsg: {
        room: b.toString('hex', 1, 9),
        senderUser: b.toString('hex', 9, 17),
        senderClient,
        receiverUser: b.toString('hex', 21, 29),
        receiverClient: b.readUInt32BE(29),
        msgtype: b[33]!,
        data: new Uint8Array(b.buffer, b.byteOffset + RTMSG_HEAD, b.length - RTMSG_HEAD),
      },
    };
  }
  if (b[0] !== KIND_NOTICE) return undefined;
  let n: unknown;
  try {
    n = JSON.parse(b.toString('utf8', 1));
  } catch {
    return undefined;
  }
  return isNotice(n) ? { kind: 'notice', notice: n } : undefined;
}

const isId = (v: unknown): v is number =>
  Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 0xffffffff;
const isStr = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 512;
const isNat = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

function isNotice(v: unknown): v is BusNotice {
  if (typeof v !== 'object' || v === null) return false;
  const n = v as Record<string, unknown>;
  if (!isStr(n.o)) return false;
  switch (n.t) {
    case 'hello':
    case 'bye':
      return true;
    case 'conn':
      return isNat(n.q) && isId(n.c) && isHandleHex(n.u) && isNat(n.p) && (n.i === 0 || n.i === 1);
    case 'gone':
      return isNat(n.q) && isId(n.c);
    case 'call':
      return isNat(n.q) && isId(n.c) && isHandleHex(n.r) && (n.s === 0 || n.s === 1);
    case 'event':
      return isNat(n.n);
    case 'typing':
      return isStr(n.room) && isStr(n.user) && typeof n.typing === 'boolean' && isNat(n.expiresAt);
    case 'to_device':
      return (
        isNat(n.n) &&
        isNat(n.p) &&
        Array.isArray(n.d) &&
        n.d.every((x) => Array.isArray(x) && x.length === 2 && isStr(x[0]) && isStr(x[1]))
      );
    case 'contact':
      return isStr(n.a) && isStr(n.b);
    case 'logout':
      return isStr(n.u) && isStr(n.d);
    default:
      return false;
  }
}
