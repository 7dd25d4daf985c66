import { ALLOW, type AuthResult, reject } from './auth-result.js';
import { isJsonObject, type JsonObject, type JsonValue } from './json.js';
import { isUserId, type PDU } from './pdu.js';
import { getStateEvent, powerLevelOfUser, type RoomState } from './room-state.js';

const LEVEL_KEYS = [
  'users_default',
  'events_default',
  'state_default',
  'ban',
  'redact',
  'kick',
  'invite',
] as const;
const MAP_KEYS = ['events', 'notifications'] as const;

/** Rule 9 of room version 11: what an `m.room.power_levels` event may change. */
export function authorizePowerLevels(event: PDU, state: RoomState): AuthResult {
  const content = event.content;
  for (const key of LEVEL_KEYS) {
    if (content[key] !== undefined && !isInt(content[key])) {
      return reject('9.1', `power_levels "${key}" must be an integer`);
    }
  }
  for (const key of MAP_KEYS) {
    const map = content[key];
    if (map !== undefined && !(isJsonObject(map) && Object.values(map).every(isInt))) {
      return reject('9.2', `power_levels "${key}" must be an object of integers`);
    }
  }
  const users = content.users;
  if (users !== undefined) {
    if (!isJsonObject(users)) return reject('9.3', 'power_levels "users" must be an object');
    for (const [userId, level] of Object.entries(users)) {
      if (!isUserId(userId))
        return reject('9.3', `power_levels "users" key ${JSON.stringify(userId)} is not a user id`);
      if (!isInt(level)) return reject('9.3', `power_levels level of ${userId} must be an integer`);
    }
  }

  const previous = getStateEvent(state, 'm.room.power_levels');
  if (previous === undefined) return ALLOW; // 9.4
  const old = previous.content;
  const senderLevel = powerLevelOfUser(event.sender, state);

  for (const key of LEVEL_KEYS) {
    const before = old[key];
    const after = content[key];
    if (sameLevel(before, after)) continue;
    if (isInt(before) && before > senderLevel) {
      return reject(
        '9.5.1',
        `cannot change "${key}" from ${before}, above the sender's level ${senderLevel}`,
      );
    }
    if (isInt(after) && after > senderLevel) {
      return reject('9.5.2', `cannot set "${key}" to ${after}, above the sender's level ${senderLevel}`);
    }
  }

  for (const key of MAP_KEYS) {
    const before = objectOrEmpty(old[key]);
    const after = objectOrEmpty(content[key]);
    for (const name of unionKeys(before, after)) {
      const b = own(before, name);
      const a = own(after, name);
      if (sameLevel(b, a)) continue;
      if (isInt(b) && b > senderLevel) {
        return reject(
          '9.6.1',
          `cannot change ${key}[${JSON.stringify(name)}] from ${b}, above the sender's level`,
        );
      }
      if (isInt(a) && a > senderLevel) {
        return reject(
          '9.7.1',
          `cannot set ${key}[${JSON.stringify(name)}] to ${a}, above the sender's level`,
        );
      }
    }
  }

  const usersBefore = objectOrEmpty(old.users);
  const usersAfter = objectOrEmpty(users);
  for (const userId of unionKeys(usersBefore, usersAfter)) {
    const b = own(usersBefore, userId);
    const a = own(usersAfter, userId);
    if (sameLevel(b, a)) continue;
    if (userId !== event.sender && isInt(b) && b >= senderLevel) {
      return reject('9.8.1', `cannot change the level of ${userId} (${b}), not below the sender's level`);
    }
    if (isInt(a) && a > senderLevel) {
      return reject('9.9.1', `cannot give ${userId} level ${a}, above the sender's level ${senderLevel}`);
    }
  }
  return ALLOW; // 9.10
}

function isInt(v: JsonValue | undefined): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

function sameLevel(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  return a === b;
}

function objectOrEmpty(v: JsonValue | undefined): JsonObject {
  return isJsonObject(v) ? v : {};
}

function own(obj: JsonObject, key: string): JsonValue | undefined {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

function unionKeys(a: JsonObject, b: JsonObject): Set<string> {
  return new Set([...Object.keys(a), ...Object.keys(b)]);
}
