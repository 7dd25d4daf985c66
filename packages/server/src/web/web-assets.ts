import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One file of the demo web app, held in memory. */
export interface WebAsset {
  /** The URL path it is served at, e.g. `/app.js`. */
  path: string;
  text: string;
  contentType: string;
}

/** Largest total size of the web app the server loads into memory (the demo is ~0.1 MiB). */
export const MAX_WEB_APP_BYTES = 4 * 1024 * 1024;

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.txt': 'text/plain; charset=utf-8',
  '.json': 'application/json',
};

/**
 * The `dist/web` folder of this package, found from this module's location: the same code runs
 * from `src/web/` (tests, on sources), `dist/` and `dist/chunks/` (bundles), so the package root
 * is looked up rather than assumed. `undefined` when the web app has not been built.
 */
export function findWebDir(from: string = fileURLToPath(import.meta.url)): string | undefined {
  let dir = dirname(from);
  for (let i = 0; i < 6; i++) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      const { name } = JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string };
      if (name === '@parley/server') {
        const web = join(dir, 'dist', 'web');
        return existsSync(join(web, 'index.html')) ? web : undefined;
      }
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return undefined;
}

/**
 * Reads the files directly in `dir` whose type is known (html, js, css, svg, txt, json) into
 * memory. Only these names are ever served, so no request path reaches the file system.
 *
 * @throws Error when the files together exceed `maxBytes`.
 */
export function loadWebAssets(dir: string, maxBytes = MAX_WEB_APP_BYTES): WebAsset[] {
  const assets: WebAsset[] = [];
  let total = 0;
  for (const name of readdirSync(dir).sort()) {
    const contentType = CONTENT_TYPES[extname(name)];
    const file = join(dir, name);
    if (contentType === undefined || !/^[\w.-]+$/.test(name) || !statSync(file).isFile()) continue;
    total += statSync(file).size;
    if (total > maxBytes) throw new Error(`the web app in ${dir} is larger than ${maxBytes} bytes`);
    assets.push({ path: `/${name}`, text: readFileSync(file, 'utf8'), contentType });
  }
  return assets;
}
