// Builds the demo web app into dist/web: one minified ESM file (app.js) with
// @parley/transport-browser and its dependencies bundled, plus index.html and app.css.
// The server package does not depend on the browser transport, so workspace packages are taken
// from their sources (the `@parley/source` condition) and other bare imports are resolved through
// node_modules with the browser's export conditions, CommonJS files (eventemitter3's ESM entry
// wraps one) turned into ESM by esbuild: a small resolver instead of two more plugins.
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { transform } from 'esbuild';
import esbuild, { minify } from 'rollup-plugin-esbuild';

const CONDITIONS = ['@parley/source', 'browser', 'import', 'module', 'default'];

/** The target of an `exports` entry under {@link CONDITIONS}. */
function pickTarget(entry) {
  if (typeof entry === 'string') return entry;
  if (Array.isArray(entry)) return entry.map(pickTarget).find((t) => t !== undefined);
  if (entry && typeof entry === 'object') {
    for (const [cond, value] of Object.entries(entry)) {
      if (!CONDITIONS.includes(cond)) continue;
      const t = pickTarget(value);
      if (t !== undefined) return t;
    }
  }
  return undefined;
}

/** The file `subpath` (`.` or `./x.js`) of the package in `dir` maps to. */
function packageEntry(dir, subpath) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const { exports } = pkg;
  if (exports !== undefined) {
    const map =
      typeof exports === 'string' || !Object.keys(exports)[0]?.startsWith('.') ? { '.': exports } : exports;
    let target = map[subpath] !== undefined ? pickTarget(map[subpath]) : undefined;
    for (const [key, value] of Object.entries(map)) {
      if (target !== undefined) break;
      const star = key.indexOf('*');
      if (star < 0 || !subpath.startsWith(key.slice(0, star)) || !subpath.endsWith(key.slice(star + 1)))
        continue;
      const hole = subpath.slice(star, subpath.length - (key.length - star - 1));
      target = pickTarget(value)?.replace('*', hole);
    }
    if (target === undefined) throw new Error(`${pkg.name} does not export ${subpath}`);
    return resolve(dir, target);
  }
  if (subpath !== '.') return resolve(dir, subpath);
  return resolve(dir, pkg.module ?? pkg.main ?? 'index.js');
}

/** Resolves bare imports: `node_modules` lookup from the importer, then the `exports` map. */
function browserResolve(repoRoot) {
  return {
    name: 'parley-browser-resolve',
    resolveId(source, importer) {
      if (!importer || /^[./\0]/.test(source) || source.includes(':')) return null;
      const parts = source.split('/');
      const name = source.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
      const rest = parts.slice(name.split('/').length).join('/');
      const subpath = rest === '' ? '.' : `./${rest}`;
      if (name.startsWith('@parley/')) {
        return packageEntry(join(repoRoot, 'packages', name.slice('@parley/'.length)), subpath);
      }
      for (let dir = dirname(importer); ; dir = dirname(dir)) {
        const candidate = join(dir, 'node_modules', name);
        if (existsSync(join(candidate, 'package.json')))
          return packageEntry(realpathSync(candidate), subpath);
        if (dirname(dir) === dir) throw new Error(`cannot resolve ${source} from ${importer}`);
      }
    },
    async load(id) {
      if (!id.includes('/node_modules/') || !/\.c?js$/.test(id)) return null;
      const code = readFileSync(id, 'utf8');
      const isCommonJs =
        /\bmodule\.exports\b|\bexports\.\w/.test(code) && !/^\s*(import|export)\b/m.test(code);
      return isCommonJs ? (await transform(code, { format: 'esm', target: 'es2022' })).code : null;
    },
  };
}

/** Copies index.html, app.css and favicon.svg next to the bundle and prints the sizes (docs/demo.md lists them). */
function staticFiles(webDir) {
  return {
    name: 'parley-web-static',
    generateBundle() {
      for (const fileName of ['index.html', 'app.css', 'favicon.svg']) {
        this.emitFile({ type: 'asset', fileName, source: readFileSync(join(webDir, fileName)) });
      }
    },
    writeBundle(_options, bundle) {
      for (const [fileName, out] of Object.entries(bundle)) {
        const data = out.type === 'chunk' ? out.code : out.source;
        const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
        process.stderr.write(
          `web: ${fileName} ${kib(Buffer.byteLength(data))} (${kib(gzipSync(data).length)} gzip)\n`,
        );
      }
    },
  };
}

/** The rollup config of the web app of the server package in `serverDir`. */
export function webConfig(serverDir) {
  const webDir = join(serverDir, 'web');
  return {
    input: join(webDir, 'src', 'main.ts'),
    plugins: [
      browserResolve(resolve(serverDir, '../..')),
      esbuild({ target: 'es2022', tsconfig: join(webDir, 'tsconfig.json') }),
      minify({ target: 'es2022' }),
      staticFiles(webDir),
    ],
    output: {
      dir: join(serverDir, 'dist', 'web'),
      format: 'esm',
      entryFileNames: 'app.js',
      sourcemap: false,
    },
  };
}
