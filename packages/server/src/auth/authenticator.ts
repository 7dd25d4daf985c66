import type { IncomingMessage } from 'node:http';
import { matrixError } from '../http/matrix-errors.js';
import type { Storage } from '../storage/storage.js';
import { hashAccessToken } from './access-tokens.js';

/** The user and device an access token belongs to. */
export interface Requester {
  userId: string;
  deviceId: string;
  /** The stored form of the token, for logout. */
  tokenHash: string;
}

/** The access token of a request: `Authorization: Bearer …`, else the `access_token` query parameter. */
export function accessTokenOf(req: IncomingMessage, query: URLSearchParams): string | undefined {
  const header = req.headers.authorization;
  if (header !== undefined) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return m ? m[1] : undefined;
  }
  return query.get('access_token') ?? undefined;
}

/**
 * Resolves the requester of a request.
 *
 * @throws `401 M_MISSING_TOKEN` without a token, `401 M_UNKNOWN_TOKEN` for an unknown or
 *   logged-out token.
 */
export async function authenticate(
  storage: Storage,
  req: IncomingMessage,
  query: URLSearchParams,
): Promise<Requester> {
  const token = accessTokenOf(req, query);
  if (token === undefined) throw matrixError('M_MISSING_TOKEN', 'Missing access token');
  const tokenHash = hashAccessToken(token);
  const record = await storage.getAccessToken(tokenHash);
  if (!record) throw matrixError('M_UNKNOWN_TOKEN', 'Unknown access token', { soft_logout: false });
  return { ...record, tokenHash };
}
