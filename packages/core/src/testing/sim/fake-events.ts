import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { FetchPdu, PduVerifier, VerifyResult } from '../../fetch/index.js';

/**
 * A stand-in PDU for fast, readable tests: ids, content hashes and "signatures" are sha256 hex
 * digests, so tests can build and tamper with events cheaply. The rules mirror room v11: the id
 * covers the event without its content (as the reference hash covers the redacted event), the
 * content hash covers everything else, the "signature" binds the sender's server to the id. Anyone can
 * compute a fake signature, so this proves nothing about a real peer; `real-events.ts` signs for real.
 */
export interface FakePdu extends FetchPdu {
  type: string;
  state_key?: string;
  content: Record<string, unknown>;
  origin_server_ts: number;
  prev_events: string[];
  auth_events: string[];
  hashes: { sha256: string };
  signatures: Record<string, Record<string, string>>;
}

/** The fields a test gives for a fake event. */
export interface FakeEventFields {
  roomId: string;
  sender: string;
  type?: string;
  stateKey?: string;
  content?: Record<string, unknown>;
  prevEvents?: string[];
  authEvents?: string[];
  depth: number;
  ts?: number;
}

const FAKE_KEY = 'fake:1';
const MAX_BYTES = 65_536;

/** JSON with object keys sorted, so equal values hash equally. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj)
      .filter((k) => obj[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${stableJson(obj[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function digest(text: string): string {
  return bytesToHex(sha256(new TextEncoder().encode(text)));
}

function serverOfUser(userId: string): string {
  return userId.slice(userId.indexOf(':') + 1);
}

/**
 * The id of a fake event: a digest of everything but content and signatures. Like the reference
 * hash of a real event it covers the content hash, so changed content keeps the id only if the
 * hash is left stale (which the content check then catches).
 */
export function fakeEventId(pdu: FakePdu): string {
  const { content: _c, signatures: _s, ...rest } = pdu;
  return `$${digest(stableJson(rest)).slice(0, 43)}`;
}

function contentHash(pdu: FakePdu): string {
  const { signatures: _s, hashes: _h, ...rest } = pdu;
  return digest(stableJson(rest));
}

/** The fake signature of `server` over an event id. */
export function fakeSignature(server: string, eventId: string): string {
  return digest(`sig|${server}|${eventId}`);
}

/** Builds a fake event, hashed and "signed" by the sender's server. */
export function fakeEvent(f: FakeEventFields): { eventId: string; pdu: FakePdu } {
  const pdu: FakePdu = {
    room_id: f.roomId,
    sender: f.sender,
    type: f.type ?? 'm.room.message',
    ...(f.stateKey === undefined ? {} : { state_key: f.stateKey }),
    content: f.content ?? {},
    depth: f.depth,
    origin_server_ts: f.ts ?? 0,
    prev_events: f.prevEvents ?? [],
    auth_events: f.authEvents ?? [],
    hashes: { sha256: '' },
    signatures: {},
  };
  pdu.hashes.sha256 = contentHash(pdu);
  const eventId = fakeEventId(pdu);
  pdu.signatures = {
    [serverOfUser(f.sender)]: { [FAKE_KEY]: fakeSignature(serverOfUser(f.sender), eventId) },
  };
  return { eventId, pdu };
}

/** A redacted copy of a fake event: content emptied, hash and signature kept (as a real redaction). */
export function redactFake(pdu: FakePdu): FakePdu {
  return { ...pdu, content: {} };
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

function looksLikePdu(v: unknown): v is FakePdu {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const o = v as Record<string, unknown>;
  return (
    typeof o.room_id === 'string' &&
    typeof o.sender === 'string' &&
    o.sender.includes(':') &&
    typeof o.type === 'string' &&
    Number.isInteger(o.depth) &&
    isStringArray(o.prev_events) &&
    isStringArray(o.auth_events) &&
    typeof o.content === 'object' &&
    o.content !== null &&
    typeof (o.hashes as { sha256?: unknown } | undefined)?.sha256 === 'string' &&
    typeof o.signatures === 'object' &&
    o.signatures !== null
  );
}

/** The verifier matching {@link fakeEvent}, with the same checks and order as the real one. */
export const fakeVerifier: PduVerifier<FakePdu> = {
  verify(expectedId: string | null, roomId: string, json: unknown): VerifyResult<FakePdu> {
    if (!looksLikePdu(json)) return { ok: false, kind: 'malformed' };
    if (stableJson(json).length > MAX_BYTES) return { ok: false, kind: 'too_large' };
    if (json.room_id !== roomId) return { ok: false, kind: 'wrong_room' };
    const eventId = fakeEventId(json);
    if (expectedId !== null && eventId !== expectedId) return { ok: false, kind: 'wrong_event', eventId };
    const server = serverOfUser(json.sender);
    if (json.signatures[server]?.[FAKE_KEY] !== fakeSignature(server, eventId)) {
      return { ok: false, kind: 'bad_signature', eventId };
    }
    if (json.hashes.sha256 !== contentHash(json)) {
      if (Object.keys(json.content).length === 0)
        return { ok: false, kind: 'hash_mismatch', eventId, redacted: json };
      return { ok: false, kind: 'forged', eventId };
    }
    return { ok: true, eventId, pdu: json };
  },
};
