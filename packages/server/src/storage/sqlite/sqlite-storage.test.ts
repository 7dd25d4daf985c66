import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeRandom } from '@parley/transport-node';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../config/resolve-config.js';
import { loadOrCreateSigningKey } from '../../keys/signing-key-file.js';
import { openStorage } from '../open-storage.js';
import { applyMigrations, MIGRATIONS } from './migrations.js';
import { SqliteStorage } from './sqlite-storage.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});
function dir(): string {
  const d = mkdtempSync(join(tmpdir(), 'parley-sqlite-'));
  cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

describe('SqliteStorage', () => {
  it('opens in WAL mode with synchronous FULL and the newest schema', async () => {
    const path = join(dir(), 'sub', 'p.db');
    const s = SqliteStorage.open({ path });
    await s.close();
    const db = new Database(path);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    const versions = db.prepare('SELECT version FROM schema_migrations ORDER BY version').all();
    expect(versions).toEqual(MIGRATIONS.map((m) => ({ version: m.version })));
    db.close();
    expect(statSync(join(path, '..')).mode & 0o777).toBe(0o700);
  });

  it('applies migrations once, and refuses a database from a newer server', () => {
    const path = join(dir(), 'm.db');
    const db = new Database(path);
    expect(applyMigrations(db)).toBe(MIGRATIONS.length);
    expect(applyMigrations(db)).toBe(MIGRATIONS.length);
    db.prepare('INSERT INTO schema_migrations (version, name, applied_ts) VALUES (?, ?, ?)').run(
      999,
      'future',
      0,
    );
    expect(() => applyMigrations(db)).toThrow(/newer than this server supports/);
    db.close();
  });

  it('rolls back a failing migration as a whole', () => {
    const db = new Database(join(dir(), 'r.db'));
    applyMigrations(db);
    const broken = [
      ...MIGRATIONS,
      { version: MIGRATIONS.length + 1, name: 'ok', sql: 'CREATE TABLE extra (x INTEGER)' },
      { version: MIGRATIONS.length + 2, name: 'bad', sql: 'CREATE TABLE broken (' },
    ];
    expect(() => applyMigrations(db, broken)).toThrow();
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE name = 'extra'").all();
    expect(tables).toEqual([]);
    db.close();
  });

  it('answers M_USER_IN_USE for a taken user id and keeps handles unique', async () => {
    const s = SqliteStorage.open({ path: join(dir(), 'u.db') });
    const user = { userId: '@a:x', localpart: 'a', passwordHash: 'h', createdTs: 1 };
    // A handle factory that repeats itself: the storage must skip the taken value.
    const seq = ['00000000000000aa', '00000000000000aa', '00000000000000bb'];
    const next = () => seq.shift()!;
    expect((await s.createUser(user, next)).handle).toBe('00000000000000aa');
    await expect(s.createUser(user, next)).rejects.toMatchObject({ code: 'M_USER_IN_USE' });
    expect((await s.createUser({ ...user, userId: '@b:x', localpart: 'b' }, next)).handle).toBe(
      '00000000000000bb',
    );
    await expect(
      s.createUser({ ...user, userId: '@c:x', localpart: 'c' }, () => '0000000000000000'),
    ).rejects.toThrow(/handle/);
    await s.close();
  });

  it('keeps data across close and reopen', async () => {
    const path = join(dir(), 'k.db');
    const s = SqliteStorage.open({ path, synchronous: 'normal' });
    await s.createUser(
      { userId: '@a:x', localpart: 'a', passwordHash: 'h', createdTs: 1 },
      () => 'abababababababab',
    );
    await s.addAccessToken('t1', { userId: '@a:x', deviceId: 'D' }, 1);
    await s.setMeta('server_name', 'x');
    await s.close();
    const again = SqliteStorage.open({ path });
    expect(await again.getUser('@a:x')).toMatchObject({ handle: 'abababababababab' });
    expect(await again.getAccessToken('t1')).toEqual({ userId: '@a:x', deviceId: 'D' });
    expect(await again.getMeta('server_name')).toBe('x');
    await again.deleteAccessToken('t1');
    expect(await again.getAccessToken('t1')).toBeUndefined();
    await again.close();
  });
});

describe('openStorage', () => {
  it('opens <dataDir>/parley.db by default and a sqlite: path relative to the data dir', async () => {
    const d = dir();
    await (await openStorage({ dataDir: d, database: undefined, sqliteSynchronous: 'full' })).close();
    expect(statSync(join(d, 'parley.db')).isFile()).toBe(true);
    await (
      await openStorage({ dataDir: d, database: 'sqlite:nested/other.db', sqliteSynchronous: 'full' })
    ).close();
    expect(statSync(join(d, 'nested', 'other.db')).isFile()).toBe(true);
  });

  it('refuses unknown schemes and an empty sqlite: path with a ConfigError', async () => {
    const d = dir();
    await expect(
      openStorage({ dataDir: d, database: 'mysql://x', sqliteSynchronous: 'full' }),
    ).rejects.toThrow(ConfigError);
    await expect(openStorage({ dataDir: d, database: 'sqlite:', sqliteSynchronous: 'full' })).rejects.toThrow(
      /no path/,
    );
  });
});

describe('signing key file', () => {
  it('creates a 0600 key once and loads the same key after', () => {
    const d = dir();
    const first = loadOrCreateSigningKey(d, nodeRandom);
    expect(first.created).toBe(true);
    expect(first.key.keyId).toMatch(/^ed25519:a_[A-Za-z0-9]{6}$/);
    expect(statSync(join(d, 'signing.key')).mode & 0o777).toBe(0o600);
    const second = loadOrCreateSigningKey(d, nodeRandom);
    expect(second.created).toBe(false);
    expect(second.key.keyId).toBe(first.key.keyId);
    expect(second.key.publicKey).toEqual(first.key.publicKey);
  });

  it.each([
    ['garbage', 'not a key'],
    ['wrong algorithm', 'rsa a_abc AAAA'],
    ['short seed', 'ed25519 a_abc AAAA'],
    ['not base64', 'ed25519 a_abc !!!!'],
  ])('refuses a malformed key file (%s) instead of replacing it', (_name, content) => {
    const d = dir();
    writeFileSync(join(d, 'signing.key'), content);
    expect(() => loadOrCreateSigningKey(d, nodeRandom)).toThrow(/signing\.key/);
    expect(readFileSync(join(d, 'signing.key'), 'utf8')).toBe(content);
  });
});
