import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installWebApp } from '../src/web/index.js';
import { startTestServer } from './helpers.js';

// The static handler through the real HTTP stack: headers of a handler result, HEAD, and the
// Matrix 404 for every path the app does not have. (The built app at `/` is covered by test/e2e.)
describe('web app files over HTTP', () => {
  let t: Awaited<ReturnType<typeof startTestServer>>;
  let dir: string;

  beforeAll(async () => {
    t = await startTestServer();
    dir = mkdtempSync(join(tmpdir(), 'parley-web-http-'));
    writeFileSync(join(dir, 'probe-e2e.txt'), 'hello from the web folder');
    installWebApp(t.server, { dir });
  });
  afterAll(async () => {
    await t.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers GET with the file, its type and the static headers', async () => {
    const res = await fetch(`${t.server.url}/probe-e2e.txt`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await res.text()).toBe('hello from the web folder');
  });

  it('answers HEAD without a body', async () => {
    const res = await fetch(`${t.server.url}/probe-e2e.txt`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String('hello from the web folder'.length));
    expect(await res.text()).toBe('');
  });

  it('keeps the Matrix 404 for other paths', async () => {
    for (const path of [
      '/probe-e2e.txt/x',
      '/probe-e2e.txt/',
      '/sub/probe-e2e.txt',
      '/no-such.js',
      '/_matrix/client/v3/x',
    ]) {
      const res = await fetch(`${t.server.url}${path}`);
      expect(res.status, path).toBe(404);
      expect(await res.json()).toEqual({ errcode: 'M_UNRECOGNIZED', error: 'Unrecognized request' });
    }
  });
});
