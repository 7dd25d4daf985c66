// The `ws-echo` command as a separate process (run from source through tsx), driven by the ws client.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

const serverDir = fileURLToPath(new URL('../..', import.meta.url));
let child: ChildProcess | undefined;
afterEach(() => {
  child?.kill();
  child = undefined;
});

function start(args: string[]): Promise<{ port: number } | { code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    child = spawn(
      process.execPath,
      ['--conditions=@parley/source', '--import', 'tsx', 'src/ws-echo.ts', ...args],
      {
        cwd: serverDir,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr?.on('data', (d) => (stderr += d.toString()));
    child.stdout?.on('data', (d) => {
      const m = /listening on ws:\/\/127\.0\.0\.1:(\d+)/.exec(d.toString());
      if (m) resolve({ port: Number(m[1]) });
    });
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

describe('ws-echo command', () => {
  it('serves the echo with the limits given by flags', async () => {
    const started = await start(['--port', '0', '--max-message', '1k', '--max-frame', '512']);
    if (!('port' in started)) throw new Error(`ws-echo did not start: ${JSON.stringify(started)}`);
    const ws = new WebSocket(`ws://127.0.0.1:${started.port}`);
    await new Promise((resolve) => ws.once('open', resolve));
    const echoed = new Promise<string>((resolve) => ws.once('message', (d: Buffer) => resolve(d.toString())));
    ws.send('x'.repeat(512));
    expect(await echoed).toBe('x'.repeat(512));
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.send('x'.repeat(513)); // one byte over --max-frame
    expect(await closed).toBe(1009);
  }, 30_000);

  it('refuses bad flags with exit code 2 and the usage', async () => {
    const r = await start(['--port', '0', '--max-message', 'lots']);
    expect(r).toMatchObject({ code: 2 });
    expect('stderr' in r && r.stderr).toContain('usage: ws-echo');
    const r2 = await start([]);
    expect(r2).toMatchObject({ code: 2 });
  }, 30_000);
});
