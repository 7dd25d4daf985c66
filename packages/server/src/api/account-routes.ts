import { type JsonObject, ParleyError } from '@parley/core';
import { hashAccessToken, newAccessToken } from '../auth/access-tokens.js';
import { hashPassword, verifyPassword } from '../auth/passwords.js';
import type { Handler } from '../http/handler.js';
import { forbidden, invalidParam, matrixError } from '../http/matrix-errors.js';
import type { Router } from '../http/router.js';
import { newDeviceId, newHandle, userIdForRegistration } from '../rooms/ids.js';
import type { ApiDeps } from './api-deps.js';
import { checkLength, optionalObject, optionalString, requireString } from './validate.js';

const V3 = '/_matrix/client/v3';
const MAX_PASSWORD_BYTES = 512;

/** Answers 429 when `key` has used up its login attempts. */
function limit(deps: ApiDeps, key: string): void {
  const r = deps.loginLimiter.take(key);
  if (!r.ok) {
    throw matrixError('M_LIMIT_EXCEEDED', 'Too many login attempts', { retry_after_ms: r.retryAfterMs });
  }
}

function readPassword(body: JsonObject): string {
  const password = requireString(body, 'password');
  if (password === '') throw invalidParam('"password" must not be empty');
  return checkLength(password, 'password', MAX_PASSWORD_BYTES);
}

function readDeviceId(body: JsonObject, deps: ApiDeps): string {
  const given = optionalString(body, 'device_id');
  if (given === undefined) return newDeviceId(deps.random);
  if (given === '') throw invalidParam('"device_id" must not be empty');
  return checkLength(given, 'device_id', 255);
}

/** Issues a new access token for the device and answers the register/login shape. */
async function session(deps: ApiDeps, userId: string, handle: string, deviceId: string) {
  const token = newAccessToken();
  await deps.storage.addAccessToken(hashAccessToken(token), { userId, deviceId }, deps.clock.now());
  return { body: { user_id: userId, access_token: token, device_id: deviceId, user_handle: handle } };
}

/** Registers register, login, logout and whoami. */
export function addAccountRoutes(router: Router<Handler>, deps: ApiDeps): void {
  // Unknown users are checked against this hash so a failed login takes as long either way.
  let dummyHash: Promise<string> | undefined;

  router.add('POST', `${V3}/register`, async (ctx) => {
    const body = await ctx.body();
    limit(deps, `ip:${ctx.ip}`);
    const username = requireString(body, 'username');
    const password = readPassword(body);
    const deviceId = readDeviceId(body, deps);
    const userId = userIdForRegistration(username, deps.serverName);
    if (await deps.storage.getUser(userId)) throw matrixError('M_USER_IN_USE', 'User ID already taken');
    const passwordHash = await hashPassword(password, deps.config.scryptCost);
    const user = await deps.storage.createUser(
      { userId, localpart: username, passwordHash, createdTs: deps.clock.now() },
      () => newHandle(deps.random),
    );
    return session(deps, user.userId, user.handle, deviceId);
  });

  router.add('POST', `${V3}/login`, async (ctx) => {
    const body = await ctx.body();
    limit(deps, `ip:${ctx.ip}`);
    if (body.type !== 'm.login.password') {
      throw new ParleyError('M_UNKNOWN', 'Only "m.login.password" login is supported', { httpStatus: 400 });
    }
    const identifier = optionalObject(body, 'identifier');
    let user: string;
    if (identifier !== undefined) {
      if (identifier.type !== 'm.id.user') throw invalidParam('Only "m.id.user" identifiers are supported');
      user = requireString(identifier, 'user');
    } else {
      user = requireString(body, 'user');
    }
    const password = readPassword(body);
    const deviceId = readDeviceId(body, deps);
    const userId = user.startsWith('@') ? user : `@${user}:${deps.serverName}`;
    limit(deps, `user:${userId}`);
    const record = await deps.storage.getUser(userId);
    let ok = false;
    if (record) {
      ok = await verifyPassword(password, record.passwordHash);
    } else {
      dummyHash ??= hashPassword('parley-dummy', deps.config.scryptCost);
      await verifyPassword(password, await dummyHash);
    }
    if (!record || !ok) throw forbidden('Invalid username or password');
    return session(deps, record.userId, record.handle, deviceId);
  });

  router.add('POST', `${V3}/logout`, async (ctx) => {
    const me = await ctx.auth();
    await deps.storage.deleteAccessToken(me.tokenHash);
    // Its realtime connections and tickets end with it, before the answer.
    await deps.deviceLoggedOut(me.userId, me.deviceId);
    return { body: {} };
  });

  router.add('GET', `${V3}/account/whoami`, async (ctx) => {
    const me = await ctx.auth();
    const user = await deps.storage.getUser(me.userId);
    return { body: { user_id: me.userId, device_id: me.deviceId, user_handle: user?.handle } };
  });
}
