import { ParleyError } from '../errors.js';
import type { Random } from '../io.js';
import type { SyncCursor } from './data-source.js';
import type { SyncPagedStream } from './params.js';

/** The error every unknown, expired or malformed `since` gets. */
export function unknownSyncSession(): ParleyError {
  return ParleyError.matrix('M_UNKNOWN_SYNC_SESSION', 'Session unknown or expired', 400);
}

/** A new session id: 16 random bytes as hex, so a token cannot be guessed from another. */
export function newSessionId(random: Random): string {
  let hex = '';
  for (const b of random.bytes(16)) hex += b.toString(16).padStart(2, '0');
  return hex;
}

/** The parts of a `since` token. */
export interface SinceToken {
  sessionId: string;
  seq: number;
  position: number;
}

/** `since` tokens name a session, the response's sequence number in it and a stream position. */
export function formatSince(t: SinceToken): string {
  return `s1_${t.sessionId}_${t.seq}_${t.position}`;
}

const SINCE_RE = /^s1_([0-9a-f]{32})_(\d{1,15})_(\d{1,15})$/;

/** Parses a `since` token; a malformed one is {@link unknownSyncSession}. */
export function parseSince(token: string): SinceToken {
  const m = SINCE_RE.exec(token);
  if (m === null) throw unknownSyncSession();
  return { sessionId: m[1] as string, seq: Number(m[2]), position: Number(m[3]) };
}

/** What a `p.next` token holds: the snapshot being paged and where the last page ended. */
export interface PageToken {
  stream: SyncPagedStream;
  sort: string;
  /** The room of a `room_members` snapshot. */
  roomId?: string;
  snapshot: number;
  cursor: SyncCursor;
}

/**
 * `p.next` is the snapshot and cursor in base64url JSON: stateless, so paging costs the server no
 * memory, and any instance can serve it. It needs no secret: it only addresses data the engine
 * lets the user read anyway.
 */
export function formatPageToken(t: PageToken): string {
  const json = JSON.stringify([t.stream, t.sort, t.roomId ?? null, t.snapshot, t.cursor]);
  return `p1_${toBase64Url(new TextEncoder().encode(json))}`;
}

/** Parses a `p.next` token; anything malformed is `M_INVALID_PARAM`. */
export function parsePageToken(token: string): PageToken {
  const bad = (): ParleyError => ParleyError.matrix('M_INVALID_PARAM', 'p.since is not a page token', 400);
  if (!token.startsWith('p1_')) throw bad();
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(fromBase64Url(token.slice(3))));
  } catch {
    throw bad();
  }
  if (!Array.isArray(v) || v.length !== 5) throw bad();
  const [stream, sort, roomId, snapshot, cursor] = v as unknown[];
  if (stream !== 'room_list' && stream !== 'room_members') throw bad();
  if (typeof sort !== 'string' || (roomId !== null && typeof roomId !== 'string')) throw bad();
  if (typeof snapshot !== 'number' || !Number.isSafeInteger(snapshot) || snapshot < 0) throw bad();
  if (!Array.isArray(cursor) || !cursor.every((c) => typeof c === 'string' || typeof c === 'number'))
    throw bad();
  return { stream, sort, ...(roomId === null ? {} : { roomId }), snapshot, cursor };
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function toBase64Url(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = Math.min(4, Math.ceil(((bytes.length - i) * 8) / 6));
    for (let j = 0; j < chars; j++) out += ALPHABET[(n >> (18 - 6 * j)) & 63];
  }
  return out;
}

function fromBase64Url(text: string): Uint8Array {
  if (text.length % 4 === 1) throw new Error('bad length');
  const out = new Uint8Array(Math.floor((text.length * 6) / 8));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (const ch of text) {
    const v = ALPHABET.indexOf(ch);
    if (v < 0) throw new Error('bad character');
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}
