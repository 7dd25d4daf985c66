import { type JsonObject, ParleyError } from '@parley/core';
import type { RequestContext } from '../http/handler.js';
import { readJsonObject } from '../http/read-body.js';
import type { KeyRing } from './keys/key-ring.js';
import { isServerName } from './server-name.js';
import { parseXMatrix, verifyXMatrix } from './x-matrix.js';

/** A federation request whose X-Matrix signature checked out. */
export interface FederationRequester {
  origin: string;
  /** The JSON body, for requests that have one. */
  body: JsonObject | undefined;
}

/**
 * Largest federation request body: a transaction of 50 PDUs of up to 65,536 bytes each, with room
 * to spare. Fixed, because every server must accept what a conforming peer sends.
 */
export const FEDERATION_MAX_BODY_BYTES = 4 * 1024 * 1024;

/** `401 M_UNAUTHORIZED`. */
export const unauthorized = (message: string): ParleyError =>
  ParleyError.matrix('M_UNAUTHORIZED', message, 401);

/**
 * Checks the `Authorization: X-Matrix …` header of a federation request: present and well formed,
 * addressed to us, from another server, signed over the canonical JSON of `{method, uri, origin,
 * destination, content}` with a current key of the origin (fetched on demand).
 *
 * @throws `401 M_UNAUTHORIZED` for every failure, the body's errors (`400`, `413`) when reading it.
 */
export async function authenticateFederation(
  ctx: RequestContext,
  deps: { serverName: string; keys: KeyRing },
  options: { body: boolean },
): Promise<FederationRequester> {
  const auth = parseXMatrix(ctx.req.headers.authorization);
  if (auth === undefined) throw unauthorized('Missing or malformed X-Matrix Authorization header');
  if (auth.destination !== undefined && auth.destination !== deps.serverName) {
    throw unauthorized(`This request is for ${auth.destination}, not for this server`);
  }
  if (!isServerName(auth.origin) || auth.origin === deps.serverName) {
    throw unauthorized('Invalid origin');
  }
  const body = options.body ? await readJsonObject(ctx.req, { limit: FEDERATION_MAX_BODY_BYTES }) : undefined;
  if (!(await deps.keys.ensure(auth.origin, auth.key))) {
    throw unauthorized(`Unknown key ${auth.key} of ${auth.origin}`);
  }
  const publicKey = deps.keys.lookupCurrent(auth.origin, auth.key);
  const ok =
    publicKey !== undefined &&
    verifyXMatrix(
      {
        method: ctx.req.method ?? 'GET',
        uri: ctx.req.url ?? '/',
        origin: auth.origin,
        destination: deps.serverName,
        ...(body === undefined ? {} : { content: body }),
      },
      auth,
      publicKey,
    );
  if (!ok) throw unauthorized('Invalid X-Matrix signature');
  return { origin: auth.origin, body };
}
