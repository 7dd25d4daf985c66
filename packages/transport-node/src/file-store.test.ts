import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileStore } from './file-store.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'parley-fs-'));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('FileStore', () => {
  it('implements the Store contract: get/set/delete/keys by prefix, in order', async () => {
    const s = new FileStore(join(await tempDir(), 'nested', 'store'));
    expect(await s.get('missing')).toBeUndefined();
    await s.set('outbox/002', { b: 2 });
    await s.set('outbox/001', { a: 1 });
    await s.set('cache/room/!AbC:hs', ['x']);
    await s.set('cache/room/!abc:hs', ['y']);
    expect(await s.keys('outbox/')).toEqual(['outbox/001', 'outbox/002']);
    expect(await s.get('cache/room/!AbC:hs')).toEqual(['x']);
    expect(await s.get('cache/room/!abc:hs')).toEqual(['y']);
    await s.delete('outbox/001');
    await s.delete('never-there');
    expect(await s.keys('')).toEqual(['cache/room/!AbC:hs', 'cache/room/!abc:hs', 'outbox/002']);
  });

  it('handles keys too long for a file name', async () => {
    const s = new FileStore(await tempDir());
    const key = `cache/room/${'x'.repeat(500)}`;
    await s.set(key, 42);
    expect(await s.get(key)).toBe(42);
    expect(await s.keys('cache/')).toEqual([key]);
  });

  it('applies writes to one key in call order', async () => {
    const s = new FileStore(await tempDir(), { durable: false });
    const writes = Array.from({ length: 50 }, (_, i) => s.set('k', i));
    await Promise.all(writes);
    expect(await s.get('k')).toBe(49);
  });

  it('a write that crashed before its rename leaves the old value, and its temp file is ignored', async () => {
    const dir = await tempDir();
    const s = new FileStore(dir);
    await s.set('session', { token: 'old' });
    const [file] = (await readdir(dir)).filter((n) => n.endsWith('.json'));
    // What a crash between "write temp" and "rename" leaves: a half-written temp file.
    const tmp = join(dir, `${file}.999.0.deadbeef.tmp`);
    await writeFile(tmp, '{"k":"session","v":{"tok');
    const old = new Date(Date.now() - 120_000);
    await utimes(tmp, old, old);

    const reopened = new FileStore(dir);
    expect(await reopened.get('session')).toEqual({ token: 'old' });
    expect(await reopened.keys('')).toEqual(['session']);
    expect((await readdir(dir)).some((n) => n.endsWith('.tmp'))).toBe(false);
  });

  it('reports a corrupt file as store_corrupt instead of crashing', async () => {
    const dir = await tempDir();
    const s = new FileStore(dir);
    await s.set('k', 1);
    const [file] = await readdir(dir);
    await writeFile(join(dir, file as string), 'garbage');
    await expect(new FileStore(dir).get('k')).rejects.toMatchObject({ code: 'store_corrupt' });
  });

  it('never leaves a torn file when the writing process is killed mid-write', async () => {
    const dir = await tempDir();
    const script = join(dir, 'writer.mts');
    const src = new URL('./file-store.ts', import.meta.url).pathname;
    await writeFile(
      script,
      `import { FileStore } from ${JSON.stringify(src)};
       const s = new FileStore(${JSON.stringify(join(dir, 'store'))});
       for (let i = 0; ; i++) {
         await s.set('big', { i, pad: 'x'.repeat(200_000 + (i % 7) * 10_000) });
         if (i === 0) process.stdout.write('ready\\n');
       }`,
    );
    for (let round = 0; round < 3; round++) {
      const child = spawn(process.execPath, ['--import', 'tsx', script], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
      await new Promise((r) => setTimeout(r, 30 + round * 40));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      const value = await new FileStore(join(dir, 'store')).get<{ i: number; pad: string }>('big');
      expect(typeof value?.i).toBe('number');
      expect(value?.pad.length).toBe(200_000 + ((value?.i ?? 0) % 7) * 10_000);
      const files = (await readdir(join(dir, 'store'))).filter((n) => n.endsWith('.json'));
      expect(files).toHaveLength(1);
      JSON.parse(await readFile(join(dir, 'store', files[0] as string), 'utf8'));
    }
  }, 30_000);
});
