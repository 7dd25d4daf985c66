import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { isParleyError, ParleyError, type Store } from '@parley/core';

/** Options of {@link FileStore}. */
export interface FileStoreOptions {
  /**
   * Call `fsync` on each file and on the directory after the rename, so a write survives power
   * loss and not only a crash of the process. Default true.
   */
  durable?: boolean;
}

// Keys become file names: hex of the UTF-8 bytes (safe on case-insensitive file systems), or a
// hash when that would be too long for a file name. Each file holds its key, so hashed names
// still list correctly.
const MAX_HEX_NAME = 200;
const TMP_SUFFIX = '.tmp';
const STALE_TMP_MS = 60_000;

function fileName(key: string): string {
  const hex = Buffer.from(key, 'utf8').toString('hex');
  if (hex.length <= MAX_HEX_NAME) return `k-${hex}.json`;
  return `h-${createHash('sha256').update(key).digest('hex')}.json`;
}

function keyFromName(name: string): string | undefined {
  const m = /^k-([0-9a-f]*)\.json$/.exec(name);
  return m ? Buffer.from(m[1] as string, 'hex').toString('utf8') : undefined;
}

/**
 * A {@link Store} in a directory, one JSON file per key. Every write goes to a temporary file
 * that is flushed (`fsync`) and then renamed over the old one, so a crash at any moment leaves
 * either the old value or the new one, never a torn file. Writes to one key are applied in call
 * order. Left-over temporary files of a crashed write are ignored and removed on first use.
 */
export class FileStore implements Store {
  readonly dir: string;
  readonly #durable: boolean;
  #ready: Promise<void> | undefined;
  readonly #queues = new Map<string, Promise<void>>();
  #tmpCounter = 0;

  constructor(dir: string, options: FileStoreOptions = {}) {
    this.dir = dir;
    this.#durable = options.durable ?? true;
  }

  async get<T = unknown>(key: string): Promise<T | undefined> {
    await this.#init();
    await this.#queues.get(key);
    let raw: string;
    try {
      raw = await readFile(join(this.dir, fileName(key)), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new ParleyError('store_io', `Cannot read ${key}: ${(e as Error).message}`, { cause: e });
    }
    try {
      return (JSON.parse(raw) as { v: T }).v;
    } catch (e) {
      throw new ParleyError('store_corrupt', `The stored value of ${key} is not JSON`, { cause: e });
    }
  }

  set(key: string, value: unknown): Promise<void> {
    const text = JSON.stringify({ k: key, v: value });
    return this.#enqueue(key, () => this.#write(fileName(key), text));
  }

  delete(key: string): Promise<void> {
    return this.#enqueue(key, async () => {
      await rm(join(this.dir, fileName(key)), { force: true });
    });
  }

  async keys(prefix: string): Promise<string[]> {
    await this.#init();
    await Promise.all(this.#queues.values());
    const out: string[] = [];
    for (const name of await readdir(this.dir)) {
      let key = keyFromName(name);
      if (key === undefined && name.startsWith('h-') && name.endsWith('.json')) {
        try {
          key = (JSON.parse(await readFile(join(this.dir, name), 'utf8')) as { k: string }).k;
        } catch {
          continue;
        }
      }
      if (key?.startsWith(prefix)) out.push(key);
    }
    return out.sort();
  }

  /** Writes `text` as `name` atomically: temp file, fsync, rename, fsync of the directory. */
  async #write(name: string, text: string): Promise<void> {
    const tmp = join(
      this.dir,
      `${name}.${process.pid}.${this.#tmpCounter++}.${randomBytes(4).toString('hex')}${TMP_SUFFIX}`,
    );
    const handle = await open(tmp, 'w');
    try {
      await handle.writeFile(text, 'utf8');
      if (this.#durable) await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await rename(tmp, join(this.dir, name));
    } catch (e) {
      await unlink(tmp).catch(() => undefined);
      throw e;
    }
    if (this.#durable) await this.#syncDir();
  }

  async #syncDir(): Promise<void> {
    // Makes the rename itself durable; some platforms cannot open a directory, which is fine.
    try {
      const dir = await open(this.dir, 'r');
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
    } catch {
      /* not supported here */
    }
  }

  #enqueue(key: string, op: () => Promise<void>): Promise<void> {
    const previous = this.#queues.get(key) ?? Promise.resolve();
    const run = previous.then(async () => {
      await this.#init();
      await op();
    });
    const settled = run.catch(() => undefined);
    this.#queues.set(key, settled);
    void settled.then(() => {
      if (this.#queues.get(key) === settled) this.#queues.delete(key);
    });
    return run.catch((e: unknown) => {
      throw isParleyError(e)
        ? e
        : new ParleyError('store_io', `Cannot write ${key}: ${String(e)}`, { cause: e });
    });
  }

  #init(): Promise<void> {
    this.#ready ??= (async () => {
      await mkdir(this.dir, { recursive: true });
      // Temporary files are only left by a write that crashed before its rename. Young ones may
      // belong to another process writing right now, so only stale ones are removed.
      for (const name of await readdir(this.dir)) {
        if (!name.endsWith(TMP_SUFFIX)) continue;
        const path = join(this.dir, name);
        const info = await stat(path).catch(() => undefined);
        if (info && Date.now() - info.mtimeMs > STALE_TMP_MS) await rm(path, { force: true });
      }
    })();
    return this.#ready;
  }
}
