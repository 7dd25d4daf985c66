import { expect } from 'vitest';
import { type Answer, call, roomPath, type TestUser, V3 } from '../helpers.js';

/** One `POST /sync`. */
export function syncCall(
  base: string,
  who: TestUser,
  since: string | undefined,
  body: unknown = {},
  options: { timeout?: number; signal?: AbortSignal } = {},
): Promise<Answer> {
  const q = new URLSearchParams();
  if (since !== undefined) q.set('since', since);
  if (options.timeout !== undefined) q.set('timeout', String(options.timeout));
  const qs = q.size === 0 ? '' : `?${q}`;
  if (options.signal === undefined) return call(base, 'POST', `${V3}/sync${qs}`, { token: who.token, body });
  return fetch(`${base}${V3}/sync${qs}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${who.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: options.signal,
  }).then(async (res) => {
    const text = await res.text();
    return { status: res.status, json: JSON.parse(text), text, headers: res.headers };
  });
}

/** A sync that must succeed; returns its body. */
// biome-ignore lint/suspicious/noExplicitAny: test convenience for reading JSON answers
export async function sync(base: string, who: TestUser, since?: string, body: unknown = {}): Promise<any> {
  const r = await syncCall(base, who, since, body);
  expect(r.status, r.text).toBe(200);
  return r.json;
}

/** Creates a room (name optional); returns its id. */
export async function createRoom(
  base: string,
  who: TestUser,
  body: Record<string, unknown> = {},
): Promise<string> {
  const r = await call(base, 'POST', `${V3}/createRoom`, { token: who.token, body });
  expect(r.status, r.text).toBe(200);
  return r.json.room_id;
}

/** Invites (when `inviter` is given) and joins `who` to the room. */
export async function join(base: string, who: TestUser, roomId: string, inviter?: TestUser): Promise<void> {
  if (inviter !== undefined) {
    const inv = await call(base, 'POST', roomPath(roomId, 'invite'), {
      token: inviter.token,
      body: { user_id: who.userId },
    });
    expect(inv.status, inv.text).toBe(200);
  }
  const r = await call(base, 'POST', roomPath(roomId, 'join'), { token: who.token });
  expect(r.status, r.text).toBe(200);
}

let txn = 0;

/** Sends an `m.room.message`; returns its event id. */
export async function send(base: string, who: TestUser, roomId: string, body: string): Promise<string> {
  const r = await call(base, 'PUT', roomPath(roomId, `send/m.room.message/t${++txn}`), {
    token: who.token,
    body: { msgtype: 'm.text', body },
  });
  expect(r.status, r.text).toBe(200);
  return r.json.event_id;
}

/** `PUT /rooms/{roomId}/typing/{userId}`. */
export function typing(
  base: string,
  who: TestUser,
  roomId: string,
  body: unknown,
  userId = who.userId,
): Promise<Answer> {
  return call(base, 'PUT', roomPath(roomId, `typing/${encodeURIComponent(userId)}`), {
    token: who.token,
    body,
  });
}

/** `PUT /sendToDevice/{type}/{txnId}`. */
export function sendToDevice(
  base: string,
  who: TestUser,
  txnId: string,
  messages: unknown,
  type = 'm.test',
): Promise<Answer> {
  return call(base, 'PUT', `${V3}/sendToDevice/${encodeURIComponent(type)}/${encodeURIComponent(txnId)}`, {
    token: who.token,
    body: { messages },
  });
}

/** Logs `who` in again with another device id. */
export async function loginDevice(
  base: string,
  who: TestUser,
  username: string,
  deviceId: string,
): Promise<TestUser> {
  const r = await call(base, 'POST', `${V3}/login`, {
    body: {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: username },
      password: `pw-${username}`,
      device_id: deviceId,
    },
  });
  expect(r.status, r.text).toBe(200);
  return { ...who, token: r.json.access_token, deviceId: r.json.device_id };
}
