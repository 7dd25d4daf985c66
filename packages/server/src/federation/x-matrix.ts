/**
 * The X-Matrix request authentication of the server-server API: the origin signs the canonical
 * JSON of `{method, uri, origin, destination, content}` and sends the signature in the
 * `Authorization` header.
 */
import { type JsonObject, type SigningKey, signJson, verifyJsonSignature } from '@parley/core';

/** The parameters of an `Authorization: X-Matrix …` header. */
export interface XMatrixAuth {
  origin: string;
  /** Absent in headers of old servers; the receiver then assumes itself. */
  destination: string | undefined;
  /** The key id, e.g. `ed25519:a_AbCd`. */
  key: string;
  /** Unpadded base64 signature. */
  sig: string;
}

/** What is signed: the request as the origin made it. */
export interface SignedRequest {
  method: string;
  /** The path and query as sent (the request target), e.g. `/_matrix/federation/v1/send/1`. */
  uri: string;
  origin: string;
  destination: string;
  /** The JSON body, for requests that have one. */
  content?: JsonObject;
}

const MAX_HEADER_LENGTH = 4096;

/**
 * Parses an `X-Matrix` Authorization header (auth-params of RFC 9110: `name=token` or
 * `name="quoted string"`, names case-insensitive). Undefined when it is not an X-Matrix header or
 * lacks `origin`, `key` or `sig`.
 */
export function parseXMatrix(header: string | undefined): XMatrixAuth | undefined {
  if (header === undefined || header.length > MAX_HEADER_LENGTH) return undefined;
  const m = /^X-Matrix\s+(.*)$/is.exec(header.trim());
  if (!m) return undefined;
  const params = new Map<string, string>();
  const rest = m[1] as string;
  const re = /\s*([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]*))\s*(?:,|$)/gy;
  let match: RegExpExecArray | null;
  let consumed = 0;
  for (match = re.exec(rest); match !== null && match[0] !== ''; match = re.exec(rest)) {
    const name = (match[1] as string).toLowerCase();
    const value = match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : (match[3] ?? '');
    if (!params.has(name)) params.set(name, value);
    consumed = re.lastIndex;
  }
  if (consumed !== rest.length) return undefined;
  const origin = params.get('origin');
  const key = params.get('key');
  const sig = params.get('sig');
  if (!origin || !key || !sig) return undefined;
  return { origin, destination: params.get('destination') || undefined, key, sig };
}

function quote(v: string): string {
  return `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/** The `Authorization` header value for `req`, signed with our `key`. */
export function signXMatrix(req: SignedRequest, key: SigningKey): string {
  const signed = signJson(req as unknown as JsonObject, req.origin, key);
  const sigs = signed.signatures as Record<string, Record<string, string>>;
  const sig = sigs[req.origin]?.[key.keyId] as string;
  return (
    `X-Matrix origin=${quote(req.origin)},destination=${quote(req.destination)},` +
    `key=${quote(key.keyId)},sig=${quote(sig)}`
  );
}

/** True when `auth.sig` is the origin's signature of `req` with `publicKey`. */
export function verifyXMatrix(req: SignedRequest, auth: XMatrixAuth, publicKey: Uint8Array): boolean {
  const obj = { ...req, signatures: { [auth.origin]: { [auth.key]: auth.sig } } } as unknown as JsonObject;
  return verifyJsonSignature(obj, auth.origin, auth.key, publicKey);
}
