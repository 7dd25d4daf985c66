import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** The built CLI the end-to-end tests run (`npm start` runs the same file). */
export const CLI = join(import.meta.dirname, '../../dist/cli.js');

/** A free TCP port on 127.0.0.1 (kept for the restarts of one test run). */
export async function freePort(): Promise<number> {
  const s = createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address() as { port: number };
  s.close();
  await once(s, 'close');
  return port;
}

/**
 * `parley serve` as a child process on a fixed port and data dir, so a test can stop it and start
 * it again on the same address (a real restart: sessions and sockets are lost, data is kept).
 * Its output goes to `logFile`.
 */
export class ServeProcess {
  readonly url: string;
  readonly #args: string[];
  readonly #log: WriteStream;
  #child: ChildProcess | undefined;

  constructor(options: { port: number; dataDir: string; serverName: string; logFile: string }) {
    this.url = `http://127.0.0.1:${options.port}`;
    this.#args = [
      ...[CLI, 'serve', '--host', '127.0.0.1', '--port', String(options.port)],
      ...['--data-dir', options.dataDir, '--server-name', options.serverName, '--log-level', 'info'],
    ];
    // One log per run (restarts append to it), replaced by the next run.
    this.#log = createWriteStream(options.logFile);
  }

  /** Starts the server and resolves once it listens. */
  async start(timeoutMs = 30_000): Promise<void> {
    if (this.#child) throw new Error('already running');
    this.#log.write(`--- start ${new Date().toISOString()}\n`);
    // A cheap password hash: registering is not what these tests measure.
    const env = { ...process.env, PARLEY_SCRYPT_COST: '10' };
    const child = spawn(process.execPath, this.#args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    child.stderr.pipe(this.#log, { end: false });
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => fail(new Error(`parley serve did not listen within ${timeoutMs} ms`)),
        timeoutMs,
      );
      const fail = (e: Error): void => {
        clearTimeout(timer);
        reject(e);
      };
      child.stdout.on('data', (chunk: Buffer) => {
        this.#log.write(chunk);
        out += chunk.toString();
        if (out.includes('listening on')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => fail(new Error(`parley serve exited with ${code} (see the server log)`)));
    });
  }

  /** SIGTERM (graceful shutdown), then SIGKILL if it does not exit within `timeoutMs`. */
  async stop(timeoutMs = 20_000): Promise<void> {
    const child = this.#child;
    if (!child) return;
    this.#child = undefined;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(timer);
    this.#log.write(`--- stopped ${new Date().toISOString()}\n`);
  }

  async close(): Promise<void> {
    await this.stop();
    await new Promise<void>((r) => this.#log.end(r));
  }
}
