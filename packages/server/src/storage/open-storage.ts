import { resolve } from 'node:path';
import { ConfigError } from '../config/resolve-config.js';
import { PostgresStorage } from './postgres/postgres-storage.js';
import { SqliteStorage } from './sqlite/sqlite-storage.js';
import type { Storage } from './storage.js';

/** What {@link openStorage} needs from the configuration. */
export interface StorageConfig {
  dataDir: string;
  database: string | undefined;
  sqliteSynchronous: 'full' | 'normal';
  /** PostgreSQL pool size (default 10). */
  databasePoolSize?: number;
  /** How long a PostgreSQL query waits for a pooled connection (default 10 s). */
  databaseConnectTimeoutMs?: number;
  /** How long a PostgreSQL query may take (default 30 s). */
  databaseQueryTimeoutMs?: number;
}

/** The URL with its password (if any) replaced, for messages and logs. */
export function redactDatabaseUrl(url: string): string {
  return url.replace(/^(postgres(?:ql)?:\/\/[^:/@]*:)[^@/]*@/, '$1***@');
}

/**
 * Opens the storage the configuration names: embedded SQLite at `<dataDir>/parley.db` by
 * default, or at the path of a `sqlite:PATH` URL (relative to `dataDir`), or PostgreSQL for a
 * `postgres://` URL. Pending migrations are applied before it resolves.
 *
 * @throws {@link ConfigError} for an unknown URL scheme; an `Error` naming the database when it
 *   cannot be opened.
 */
export async function openStorage(config: StorageConfig): Promise<Storage> {
  const url = config.database;
  if (url === undefined) {
    return SqliteStorage.open({
      path: resolve(config.dataDir, 'parley.db'),
      synchronous: config.sqliteSynchronous,
    });
  }
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length).replace(/^\/\//, '');
    if (path === '') throw new ConfigError('database sqlite: URL has no path');
    return SqliteStorage.open({ path: resolve(config.dataDir, path), synchronous: config.sqliteSynchronous });
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    try {
      return await PostgresStorage.open({
        url,
        poolSize: config.databasePoolSize,
        connectTimeoutMs: config.databaseConnectTimeoutMs,
        queryTimeoutMs: config.databaseQueryTimeoutMs,
      });
    } catch (err) {
      throw new Error(
        `cannot open PostgreSQL database ${redactDatabaseUrl(url)}: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
  }
  throw new ConfigError(`database ${JSON.stringify(url)}: expected sqlite:PATH or postgres://…`);
}
