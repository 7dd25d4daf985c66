import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, OPTIONS, resolveConfig } from '../src/index.js';
import { cliArgs, tempDir } from './helpers.js';

const t = tempDir('parley-config-');
afterAll(() => t.cleanup());

function writeConfig(name: string, content: unknown): string {
  const path = join(t.dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

describe('resolveConfig', () => {
  it('uses the defaults without flags, env or file', () => {
    const { config } = resolveConfig({ argv: [], env: {}, cwd: '/srv' });
    expect(config).toMatchObject({ port: 8008, host: '127.0.0.1', dataDir: '/srv/data', logLevel: 'info' });
    expect(config.serverName).toBeUndefined();
    expect(config.maxBodyBytes).toBe(65_536);
  });

  it('takes flag over env over file over default', () => {
    const file = writeConfig('prec.json', {
      port: 1111,
      host: '10.0.0.1',
      dataDir: 'from-file',
      maxInFlight: 7,
    });
    const env = { PARLEY_CONFIG: file, PARLEY_PORT: '2222', PARLEY_HOST: '10.0.0.2' };
    const { config } = resolveConfig({ argv: ['--port', '3333'], env, cwd: '/w' });
    expect(config.port).toBe(3333); // flag
    expect(config.host).toBe('10.0.0.2'); // env
    expect(config.dataDir).toBe('/w/from-file'); // file
    expect(config.maxInFlight).toBe(7); // file
    expect(config.maxConnections).toBe(1024); // default
  });

  it('reads --config over PARLEY_CONFIG', () => {
    const a = writeConfig('a.json', { port: 1 });
    const b = writeConfig('b.json', { port: 2 });
    const { config } = resolveConfig({ argv: ['--config', b], env: { PARLEY_CONFIG: a }, cwd: '/' });
    expect(config.port).toBe(2);
  });

  it('reads every flag of the design', () => {
    const argv = [
      ...['--port', '9', '--host', '::1', '--data-dir', 'd', '--server-name', 'chat.example.org'],
      ...['--database', 'sqlite:x.db', '--redis', 'redis://localhost:6379', '--log-level', 'warn'],
    ];
    const { config } = resolveConfig({ argv, env: {}, cwd: '/c' });
    expect(config).toMatchObject({
      port: 9,
      host: '::1',
      dataDir: '/c/d',
      serverName: 'chat.example.org',
      database: 'sqlite:x.db',
      redis: 'redis://localhost:6379',
      logLevel: 'warn',
    });
  });

  const bad: [string, () => unknown][] = [
    ['unknown flag', () => resolveConfig({ argv: ['--prot', '1'], env: {}, cwd: '/' })],
    ['flag without value', () => resolveConfig({ argv: ['--port'], env: {}, cwd: '/' })],
    ['positional argument', () => resolveConfig({ argv: ['extra'], env: {}, cwd: '/' })],
    ['port not a number', () => resolveConfig({ argv: ['--port', 'http'], env: {}, cwd: '/' })],
    ['port out of range', () => resolveConfig({ argv: ['--port', '70000'], env: {}, cwd: '/' })],
    ['env out of range', () => resolveConfig({ argv: [], env: { PARLEY_MAX_BODY_BYTES: '10' }, cwd: '/' })],
    ['bad log level', () => resolveConfig({ argv: ['--log-level', 'loud'], env: {}, cwd: '/' })],
    ['bad server name', () => resolveConfig({ argv: ['--server-name', 'a b'], env: {}, cwd: '/' })],
    ['bad database URL', () => resolveConfig({ argv: ['--database', 'mysql://x'], env: {}, cwd: '/' })],
    ['bad redis URL', () => resolveConfig({ argv: ['--redis', 'localhost'], env: {}, cwd: '/' })],
    [
      'missing config file',
      () => resolveConfig({ argv: ['--config', '/nonexistent.json'], env: {}, cwd: '/' }),
    ],
    [
      'config file not JSON',
      () => resolveConfig({ argv: ['--config', writeConfig('x', '{')], env: {}, cwd: '/' }),
    ],
    [
      'config file unknown key',
      () => resolveConfig({ argv: ['--config', writeConfig('y', { prot: 1 })], env: {}, cwd: '/' }),
    ],
    [
      'config file wrong type',
      () => resolveConfig({ argv: ['--config', writeConfig('z', { port: '80' })], env: {}, cwd: '/' }),
    ],
  ];
  it.each(bad)('%s is a ConfigError', (_name, fn) => {
    expect(fn).toThrow(ConfigError);
  });

  it('names the source of a bad value', () => {
    expect(() => resolveConfig({ argv: [], env: { PARLEY_PORT: 'x' }, cwd: '/' })).toThrow(/PARLEY_PORT/);
    const file = writeConfig('named.json', { maxInFlight: 0 });
    expect(() => resolveConfig({ argv: ['--config', file], env: {}, cwd: '/' })).toThrow(/maxInFlight/);
  });
});

describe('docs/configuration.md', () => {
  it('documents every setting by env var, file key and flag', () => {
    const doc = readFileSync(resolve(import.meta.dirname, '../../../docs/configuration.md'), 'utf8');
    for (const o of OPTIONS) {
      expect(doc).toContain(o.env);
      expect(doc).toContain(`\`${o.key}\``);
      if (o.flag) expect(doc).toContain(`--${o.flag}`);
    }
  });
});

describe('parley CLI exit codes', () => {
  const run = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, cliArgs(...args), {
      encoding: 'utf8',
      env: { ...process.env, ...env },
      cwd: t.dir,
      timeout: 30_000,
    });

  const cases: [string, string[], Record<string, string>, RegExp][] = [
    ['unknown command', ['start'], {}, /unknown command "start"/],
    ['unknown flag', ['serve', '--bogus'], {}, /Unknown option '--bogus'/],
    ['bad port', ['serve', '--port', 'abc'], {}, /--port: expected an integer/],
    ['bad env value', ['serve'], { PARLEY_LOG_LEVEL: 'chatty' }, /PARLEY_LOG_LEVEL/],
    [
      'redis without PostgreSQL',
      ['serve', '--port', '0', '--redis', 'redis://localhost'],
      {},
      /--redis needs a PostgreSQL --database/,
    ],
  ];
  it.each(cases)('%s exits 2 with a clear message', (_name, args, env, message) => {
    const r = run(args, env);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('exits 1 naming the PostgreSQL it cannot reach, without its password', () => {
    // Port 1 on loopback: nothing listens there, so the connection is refused at once.
    const r = run([
      'serve',
      '--port',
      '0',
      '--data-dir',
      'pg',
      '--database',
      'postgres://u:hunter2@127.0.0.1:1/p',
    ]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /cannot open PostgreSQL database postgres:\/\/u:\*\*\*@127\.0\.0\.1:1\/p: .*ECONNREFUSED/,
    );
    expect(r.stderr).not.toContain('hunter2');
  });

  it('--help exits 0 and lists the settings', () => {
    const r = run(['serve', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('--server-name');
    expect(r.stdout).toContain('PARLEY_MAX_BODY_BYTES');
  });
});
