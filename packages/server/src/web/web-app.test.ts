import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { Handler } from '../http/handler.js';
import { Router } from '../http/router.js';
import { installWebApp } from './install-web-app.js';
import { findWebDir, loadWebAssets } from './web-assets.js';
import { webRoutes } from './web-routes.js';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'parley-web-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A built app: the three files, and files that must not be served. */
function builtApp(): string {
  const dir = tmp();
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title>');
  writeFileSync(join(dir, 'app.js'), 'console.log(1)');
  writeFileSync(join(dir, 'app.css'), 'body{}');
  writeFileSync(join(dir, 'notes.md'), 'not a served type');
  writeFileSync(join(dir, 'odd name.js'), 'not a plain file name');
  mkdirSync(join(dir, 'sub'));
  writeFileSync(join(dir, 'sub', 'deep.js'), 'not at the top');
  return dir;
}

describe('loadWebAssets', () => {
  it('reads the known file types at the top of the folder only', () => {
    const assets = loadWebAssets(builtApp());
    expect(assets.map((a) => [a.path, a.contentType])).toEqual([
      ['/app.css', 'text/css; charset=utf-8'],
      ['/app.js', 'text/javascript; charset=utf-8'],
      ['/index.html', 'text/html; charset=utf-8'],
    ]);
    expect(assets.find((a) => a.path === '/app.js')?.text).toBe('console.log(1)');
  });

  it('refuses an app larger than the limit', () => {
    expect(() => loadWebAssets(builtApp(), 20)).toThrow(/larger than 20 bytes/);
  });
});

describe('webRoutes', () => {
  it('serves index.html at / too, with no-cache and a same-origin content security policy', async () => {
    const routes = webRoutes(loadWebAssets(builtApp()));
    expect(routes.map((r) => r.path).sort()).toEqual(['/', '/app.css', '/app.js', '/index.html']);
    const root = await routes.find((r) => r.path === '/')!.handler({} as never);
    expect(root.text).toBe('<!doctype html><title>t</title>');
    expect(root.headers).toMatchObject({
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      'content-security-policy': expect.stringContaining("connect-src 'self'"),
    });
  });
});

describe('installWebApp', () => {
  const logger = pino({ level: 'silent' });

  it('adds GET routes and leaves every other path to the Matrix 404', () => {
    const router = new Router<Handler>();
    const n = installWebApp({ logger, route: (m, p, h) => router.add(m, p, h) }, { dir: builtApp() });
    expect(n).toBe(4);
    expect(router.match('GET', '/')).toMatchObject({ kind: 'found', pattern: '/' });
    expect(router.match('GET', '/app.js')).toMatchObject({ kind: 'found' });
    expect(router.match('GET', '/notes.md')).toEqual({ kind: 'not_found' });
    expect(router.match('GET', '/sub/deep.js')).toEqual({ kind: 'not_found' });
    expect(router.match('GET', '/_matrix/client/v3/nothing')).toEqual({ kind: 'not_found' });
    expect(router.match('POST', '/')).toMatchObject({ kind: 'method_not_allowed', allowed: ['GET'] });
  });

  it('serves nothing, and the server still starts, when the folder cannot be loaded', () => {
    const router = new Router<Handler>();
    const n = installWebApp(
      { logger, route: (m, p, h) => router.add(m, p, h) },
      { dir: join(tmp(), 'missing') },
    );
    expect(n).toBe(0);
    expect(router.match('GET', '/')).toEqual({ kind: 'not_found' });
  });
});

describe('findWebDir', () => {
  it('finds dist/web of the @parley/server package from src/, dist/ or dist/chunks/', () => {
    const root = tmp();
    writeFileSync(join(root, 'package.json'), JSON.stringify({ name: '@parley/server' }));
    mkdirSync(join(root, 'dist', 'chunks'), { recursive: true });
    const fromChunk = join(root, 'dist', 'chunks', 'server-abc.js');
    expect(findWebDir(fromChunk)).toBeUndefined(); // not built
    mkdirSync(join(root, 'dist', 'web'));
    writeFileSync(join(root, 'dist', 'web', 'index.html'), '');
    expect(findWebDir(fromChunk)).toBe(join(root, 'dist', 'web'));
    expect(findWebDir(join(root, 'dist', 'cli.js'))).toBe(join(root, 'dist', 'web'));
    expect(findWebDir(join(root, 'src', 'web', 'web-assets.ts'))).toBe(join(root, 'dist', 'web'));
  });

  it('skips package.json files of other packages on the way up', () => {
    const root = tmp();
    writeFileSync(join(root, 'package.json'), JSON.stringify({ name: '@parley/server' }));
    mkdirSync(join(root, 'dist', 'web'), { recursive: true });
    writeFileSync(join(root, 'dist', 'web', 'index.html'), '');
    mkdirSync(join(root, 'nested'));
    writeFileSync(join(root, 'nested', 'package.json'), JSON.stringify({ name: 'other' }));
    expect(findWebDir(join(root, 'nested', 'x.js'))).toBe(join(root, 'dist', 'web'));
  });
});
