/**
 * `parley serve` as a child process from the build (`packages/server/dist/cli.js`), as an
 * operator runs it: for the crash and soak tests, which kill and restart whole processes.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import buildIfStale from '../e2e/global-setup.js';
import { untilListening } from '../helpers.js';

/** The built CLI. */
export const DIST_CLI = join(import.meta.dirname, '../../dist/cli.js');

/** Builds the server (and what it depends on) when dist is missing or older than the sources. */
export function ensureBuilt(): void {
  buildIfStale();
  if (!existsSync(DIST_CLI)) throw new Error(`${DIST_CLI} is missing after the build`);
}

/** A running `parley serve` from dist. */
export interface DistServer {
  child: ChildProcess;
  url: string;
  /** Everything it wrote to stderr (warnings and errors; stdout has the "listening" line). */
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawns `node dist/cli.js serve --port 0 ARGS` and waits for its "listening on" line. */
export async function spawnDist(
  args: string[],
  env: Record<string, string> = {},
  nodeArgs: string[] = [],
): Promise<DistServer> {
  const child = spawn(process.execPath, [...nodeArgs, DIST_CLI, 'serve', '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PARLEY_SCRYPT_COST: '10', PARLEY_LOG_LEVEL: 'warn', ...env },
  });
  const { url, stderr, exited } = await untilListening(child);
  return { child, url, stderr, exited };
}

/** SIGKILL (no shutdown code runs) and wait for the exit. */
export async function kill(s: DistServer): Promise<void> {
  if (s.child.exitCode !== null || s.child.signalCode !== null) return;
  s.child.kill('SIGKILL');
  await s.exited;
}

/** SIGTERM (graceful) and wait; SIGKILL after `ms`. */
export async function stop(s: DistServer, ms = 15_000): Promise<void> {
  if (s.child.exitCode !== null || s.child.signalCode !== null) return;
  s.child.kill('SIGTERM');
  const timer = setTimeout(() => s.child.kill('SIGKILL'), ms);
  await s.exited;
  clearTimeout(timer);
}
