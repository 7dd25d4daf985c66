import { createHash, randomBytes } from 'node:crypto';

/** A new access token: 256 random bits, URL-safe base64 (43 characters). */
export function newAccessToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * The form a token is stored and looked up in: its SHA-256 in hex. A leaked database does not
 * give out usable tokens, and 256-bit random tokens need no salt or slow hash.
 */
export function hashAccessToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
