import { closeSync, fsyncSync, openSync, readFileSync, renameSync, statSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  decodeBase64,
  encodeBase64,
  generateSigningKey,
  type Random,
  type SigningKey,
  signingKeyFromSeed,
} from '@parley/core';

/** The file name of the server's signing key inside the data dir. */
export const SIGNING_KEY_FILE = 'signing.key';

const VERSION_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

function newKeyVersion(random: Random): string {
  const bytes = random.bytes(6);
  return `a_${[...bytes].map((b) => VERSION_CHARS[b % VERSION_CHARS.length]).join('')}`;
}

/**
 * Loads the server's ed25519 signing key from `<dataDir>/signing.key`, creating it (mode 0600)
 * on first start. The file holds one line, `ed25519 <version> <unpadded base64 seed>`, the format
 * Synapse uses, so keys can be moved between servers.
 *
 * @throws when the file exists but is malformed (a silently replaced key would orphan every
 *   event the server signed).
 */
export function loadOrCreateSigningKey(
  dataDir: string,
  random: Random,
): { key: SigningKey; created: boolean } {
  const path = join(dataDir, SIGNING_KEY_FILE);
  let text: string | undefined;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (text !== undefined) return { key: parseSigningKey(text, path), created: false };
  const key = generateSigningKey(random, newKeyVersion(random));
  writeFileDurably(path, `${formatSigningKey(key)}\n`);
  return { key, created: true };
}

/** The one-line file form of a key. */
export function formatSigningKey(key: SigningKey): string {
  const [algorithm, version] = key.keyId.split(':');
  return `${algorithm} ${version} ${encodeBase64(key.seed)}`;
}

function parseSigningKey(text: string, path: string): SigningKey {
  const parts = text.trim().split(/\s+/);
  if (parts.length !== 3 || parts[0] !== 'ed25519' || !/^[A-Za-z0-9_]+$/.test(parts[1]!)) {
    throw new Error(`${path}: expected "ed25519 <version> <base64 seed>"`);
  }
  let seed: Uint8Array;
  try {
    seed = decodeBase64(parts[2]!);
  } catch (err) {
    throw new Error(`${path}: the seed is not base64`, { cause: err });
  }
  if (seed.length !== 32) throw new Error(`${path}: the seed must be 32 bytes, got ${seed.length}`);
  return signingKeyFromSeed(seed, parts[1]!);
}

/** Writes a new file with mode 0600 through a temporary file, fsync and rename. */
function writeFileDurably(path: string, content: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  const dirFd = openSync(dirname(path), 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
  if ((statSync(path).mode & 0o077) !== 0)
    throw new Error(`${path}: could not restrict the key file to 0600`);
}
