// Builds what the end-to-end tests run when the build is missing or older than the sources:
// `parley serve` from dist (with its dependencies' dist) and the web app in dist/web.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const REPO = join(import.meta.dirname, '../../../..');
const SOURCES = [
  'packages/core/src',
  'packages/transport-node/src',
  'packages/transport-browser/src',
  'packages/server/src',
  'packages/server/web',
];
const OUTPUTS = [
  'packages/core/dist/index.js',
  'packages/transport-node/dist/index.js',
  'packages/server/dist/cli.js',
  'packages/server/dist/web/app.js',
];

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    // tsc -b output (`.tsbuild`, `*.tsbuildinfo`, written after the build by `npm run check`) is no source.
    if (e.name.startsWith('.') || e.name === 'node_modules' || e.name.endsWith('.tsbuildinfo')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newest(p));
    else if (!e.name.endsWith('.test.ts')) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

export default function setup(): void {
  const built = OUTPUTS.map((f) => join(REPO, f));
  const oldestOutput = Math.min(...built.map((f) => (existsSync(f) ? statSync(f).mtimeMs : 0)));
  const newestSource = Math.max(...SOURCES.map((d) => newest(join(REPO, d))));
  if (newestSource <= oldestOutput) return;
  process.stderr.write(
    'e2e: building the server and the web app (dist is missing or older than the sources)\n',
  );
  execFileSync('sh', ['scripts/pnpm', '--filter', '@parley/server...', 'run', 'build'], {
    cwd: REPO,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}
