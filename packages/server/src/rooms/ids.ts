import type { Random } from '@parley/core';
import { matrixError } from '../http/matrix-errors.js';

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const ROOM_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

function randomString(random: Random, alphabet: string, length: number): string {
  // Rejection sampling keeps every character equally likely.
  const limit = 256 - (256 % alphabet.length);
  let out = '';
  while (out.length < length) {
    for (const b of random.bytes(length)) {
      if (b < limit && out.length < length) out += alphabet[b % alphabet.length];
    }
  }
  return out;
}

/** A new room id, `!<18 random letters>:<serverName>`. */
export function newRoomId(random: Random, serverName: string): string {
  return `!${randomString(random, ROOM_CHARS, 18)}:${serverName}`;
}

/** A new device id: 10 random capital letters, as Synapse makes them. */
export function newDeviceId(random: Random): string {
  return randomString(random, LETTERS, 10);
}

/** A new user or room handle: 8 random bytes as 16 lowercase hex digits, never all zero. */
export function newHandle(random: Random): string {
  for (;;) {
    const bytes = random.bytes(8);
    if (bytes.some((b) => b !== 0)) return Buffer.from(bytes).toString('hex');
  }
}

// The user id grammar of the Matrix spec (appendices, "User Identifiers") for new accounts.
const LOCALPART = /^[a-z0-9._=\-/+]+$/;

/**
 * The user id for a new account's `username` on `serverName`.
 *
 * @throws `400 M_INVALID_USERNAME` when the localpart breaks the Matrix grammar or the id is
 *   longer than 255 bytes.
 */
export function userIdForRegistration(username: string, serverName: string): string {
  if (!LOCALPART.test(username)) {
    throw matrixError(
      'M_INVALID_USERNAME',
      'User ID may only contain the characters a-z, 0-9, ".", "_", "=", "-", "/" and "+"',
    );
  }
  const userId = `@${username}:${serverName}`;
  if (Buffer.byteLength(userId) > 255)
    throw matrixError('M_INVALID_USERNAME', 'User ID is longer than 255 bytes');
  return userId;
}

/** The server name of a Matrix id (`@local:server`, `!opaque:server`): everything after the first `:`. */
export function serverNameOf(id: string): string {
  const colon = id.indexOf(':');
  return colon < 0 ? '' : id.slice(colon + 1);
}
