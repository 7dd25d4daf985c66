import { resolve } from 'node:path';
import { ConfigError } from '../config/resolve-config.js';
import { SqliteStorage } from './sqlite/sqlite-storage.js';
import type { Storage } from './storage.js';

/** What {@link openStorage} needs from the configuration. */
export interface StorageConfig {
  dataDir: string;
  database: string | undefined;
  sqliteSynchronous: 'full' | 'normal';
}

/**
 * Opens the storage the configuration names: embedded SQLite at `<dataDir>/parley.db` by
 * default, or at the path of a `sqlite:PATH` URL (relative to `dataDir`).
 *
 * @throws {@link ConfigError} for `postgres://` URLs, which a later version supports.
 */
export function openStorage(config: StorageConfig): Storage {
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
    throw new ConfigError('--database postgres://… is not supported yet: this version runs on SQLite only');
  }
  throw new ConfigError(`database ${JSON.stringify(url)}: expected sqlite:PATH or postgres://…`);
}
