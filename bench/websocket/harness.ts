// Shared helpers for the WebSocket benchmarks: loading Parley's sources, timing, and reporting.
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** The websocket part of @parley/core, loaded from source (so a benchmark never runs a stale build). */
export async function loadCoreWebSocket(): Promise<typeof import('@parley/core')> {
  return import(pathToFileURL(join(ROOT, 'packages/core/src/websocket/index.ts')).href);
}

function newest(dir: string): number {
  let t = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const s = statSync(p);
    t = Math.max(t, s.isDirectory() ? newest(p) : s.mtimeMs);
  }
  return t;
}

/** Any module of Parley's sources, by path from the repository root. */
export async function loadSource<T>(path: string): Promise<T> {
  return import(pathToFileURL(join(ROOT, path)).href) as Promise<T>;
}

/** Path of the built echo server; rebuilds core and server first when their sources are newer. */
export function builtEchoServer(): string {
  const dist = join(ROOT, 'packages/server/dist/ws-echo.js');
  let built = 0;
  try {
    built = statSync(dist).mtimeMs;
  } catch {}
  const src = Math.max(
    newest(join(ROOT, 'packages/core/src/websocket')),
    newest(join(ROOT, 'packages/server/src/websocket')),
  );
  if (built < src) {
    console.log('building @parley/core and @parley/server (sources are newer than dist)…');
    execFileSync('sh', ['scripts/pnpm', '--filter', '@parley/core', '--filter', '@parley/server', 'build'], {
      cwd: ROOT,
      stdio: 'ignore',
    });
  }
  return dist;
}

/** The machine line every result table starts with. */
export function machine(): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  return `${cpus().length}-core ${process.arch} (${cpu}), Node ${process.versions.node}`;
}

/** Milliseconds of CPU time (user + system) this process has used. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * Times `a` and `b` alternately, `trials` times each after a warm-up, each run after its `setup`
 * (untimed). Alternating spreads the noise of a shared machine over both. `clock: 'cpu'` measures
 * this process's CPU time instead of wall time: for synchronous work it is what the wall time would
 * be on an idle machine, and other jobs on the machine barely move it. Returns the median times
 * and the median of the per-trial ratios b/a.
 */
export async function versus(
  trials: number,
  a: () => void | Promise<void>,
  b: () => void | Promise<void>,
  setup?: () => void,
  clock: 'wall' | 'cpu' = 'wall',
): Promise<{ a: number; b: number; ratio: number }> {
  const ta: number[] = [];
  const tb: number[] = [];
  const now = clock === 'cpu' ? cpuMs : () => performance.now();
  const time = async (fn: () => void | Promise<void>) => {
    setup?.();
    const t0 = now();
    await fn();
    return now() - t0;
  };
  for (let i = 0; i < trials + 2; i++) {
    const x = await time(a);
    const y = await time(b);
    if (i >= 2) {
      ta.push(x);
      tb.push(y);
    }
  }
  const mid = (v: number[]) => [...v].sort((p, q) => p - q)[Math.floor(v.length / 2)] as number;
  return { a: mid(ta), b: mid(tb), ratio: mid(tb.map((y, i) => y / (ta[i] as number))) };
}

/** Runs `fn` `trials` times after a warm-up and returns the median duration in ms. */
export async function median(
  trials: number,
  fn: () => void | Promise<void>,
  setup?: () => void,
): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < trials + 2; i++) {
    setup?.();
    const t0 = performance.now();
    await fn();
    const dt = performance.now() - t0;
    if (i >= 2) times.push(dt);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] as number;
}

export function fmt(n: number, digits = 1): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(digits)} G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(digits)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(digits)} k`;
  return n.toFixed(digits);
}

/** Prints a markdown table (for pasting into docs/websocket.md). */
export function table(head: string[], rows: (string | number)[][]): void {
  console.log(`| ${head.join(' | ')} |`);
  console.log(`| ${head.map(() => '---').join(' | ')} |`);
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
}
