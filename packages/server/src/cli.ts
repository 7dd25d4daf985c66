/**
 * The `parley` command. `parley serve [flags]` starts a server; see docs/configuration.md.
 * Exit codes: 0 after a clean shutdown, 1 when the server fails, 2 for a bad flag or setting.
 */
import { isParleyError } from '@parley/core';
import { OPTIONS } from './config/options.js';
import { ConfigError, resolveConfig } from './config/resolve-config.js';
import { startServer } from './server.js';

const USAGE = `usage: parley serve [--port 8008] [--host 127.0.0.1] [--data-dir ./data]
                    [--server-name NAME] [--database URL] [--redis URL]
                    [--config FILE] [--log-level LEVEL]

Settings also come from PARLEY_* environment variables and a JSON config file
(precedence: flag > environment > file > default):
${OPTIONS.map((o) => `  ${o.env.padEnd(30)} ${o.flag ? `--${o.flag}` : `"${o.key}"`}`).join('\n')}
`;

function fail(message: string, code: number): never {
  process.stderr.write(`parley: ${message}\n`);
  process.exit(code);
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  if (command !== 'serve') {
    process.stderr.write(command === undefined ? USAGE : `parley: unknown command "${command}"\n${USAGE}`);
    process.exit(2);
  }
  let resolved: ReturnType<typeof resolveConfig>;
  try {
    resolved = resolveConfig({ argv: rest, env: process.env, cwd: process.cwd() });
  } catch (err) {
    if (err instanceof ConfigError) fail(`${err.message}\n(run "parley serve --help" for usage)`, 2);
    throw err;
  }
  if (resolved.help) {
    process.stdout.write(USAGE);
    return;
  }
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer(resolved.config);
  } catch (err) {
    if (isParleyError(err) && err.code === 'config') fail(err.message, 2);
    fail(`failed to start: ${(err as Error).message}`, 1);
  }
  process.stdout.write(`parley: listening on ${server.url} (server name ${server.serverName})\n`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      // A second signal means "now": skip the drain.
      fail(`${signal} again; exiting without waiting`, 1);
    }
    stopping = true;
    process.stdout.write(`parley: ${signal}: shutting down\n`);
    server.close().then(
      () => process.exit(0),
      (err: unknown) => fail(`shutdown failed: ${(err as Error).message}`, 1),
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main(process.argv.slice(2)).catch((err: unknown) =>
  fail(`unexpected error: ${(err as Error).stack ?? err}`, 1),
);
