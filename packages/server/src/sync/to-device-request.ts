import type { JsonObject } from '@parley/core';
import { checkMatrixId } from '../api/validate.js';
import { badJson, invalidParam, matrixError } from '../http/matrix-errors.js';
import { serverNameOf } from '../rooms/ids.js';

/** One addressee of a `sendToDevice`: a device id, or `"*"` for every device of the user. */
export interface ToDeviceAddressee {
  userId: string;
  deviceId: string;
  content: Record<string, unknown>;
}

const MAX_ID_BYTES = 255;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Reads `{messages: {userId: {deviceId | "*": content}}}`.
 *
 * @throws `400 M_BAD_JSON` for a wrong shape, `400 M_INVALID_PARAM` for a bad or remote user id
 *   (to-device messages to other servers need federation, not supported yet), `413 M_TOO_LARGE`
 *   for more than `maxMessages` addressees before `"*"` is expanded.
 */
export function parseToDeviceBody(
  body: JsonObject,
  serverName: string,
  maxMessages: number,
): ToDeviceAddressee[] {
  const messages = body.messages;
  if (!isObject(messages)) throw badJson('"messages" must be an object of user ids');
  const out: ToDeviceAddressee[] = [];
  for (const [userId, devices] of Object.entries(messages)) {
    checkMatrixId(userId, '@', 'user id');
    if (serverNameOf(userId) !== serverName) {
      throw invalidParam(
        `Cannot send to ${userId}: users of other servers need federation (not supported yet)`,
      );
    }
    if (!isObject(devices)) throw badJson(`"messages.${userId}" must be an object of device ids`);
    for (const [deviceId, content] of Object.entries(devices)) {
      if (deviceId === '' || Buffer.byteLength(deviceId) > MAX_ID_BYTES) {
        throw invalidParam(`A device id of ${userId} is empty or longer than ${MAX_ID_BYTES} bytes`);
      }
      if (!isObject(content)) throw badJson(`The content for ${userId} ${deviceId} must be an object`);
      out.push({ userId, deviceId, content });
      if (out.length > maxMessages) throw tooMany(maxMessages);
    }
  }
  return out;
}

/** `413 M_TOO_LARGE` for a send with more than `max` messages. */
export function tooMany(max: number) {
  return matrixError(
    'M_TOO_LARGE',
    `A sendToDevice may hold at most ${max} messages ("*" counted per device)`,
  );
}

/**
 * Expands `"*"` to the user's devices and drops unknown devices; an explicit device id wins over
 * `"*"` for the same device, so each device gets at most one message per send.
 */
export function expandAddressees(
  addressees: readonly ToDeviceAddressee[],
  devicesOf: ReadonlyMap<string, readonly string[]>,
): ToDeviceAddressee[] {
  const chosen = new Map<string, ToDeviceAddressee>();
  const key = (u: string, d: string): string => JSON.stringify([u, d]);
  for (const a of addressees) {
    if (a.deviceId !== '*') continue;
    for (const d of devicesOf.get(a.userId) ?? []) chosen.set(key(a.userId, d), { ...a, deviceId: d });
  }
  for (const a of addressees) {
    if (a.deviceId === '*') continue;
    if ((devicesOf.get(a.userId) ?? []).includes(a.deviceId)) chosen.set(key(a.userId, a.deviceId), a);
  }
  return [...chosen.values()];
}
