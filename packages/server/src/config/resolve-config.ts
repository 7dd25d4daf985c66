import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ParleyError } from '@parley/core';
import { defaultConfig, OPTIONS, type OptionSpec, type ServerConfig } from './options.js';

/**
 * A bad flag, environment variable or config file value. The CLI prints the message and exits
 * with code 2.
 */
export class ConfigError extends ParleyError {
  constructor(message: string, cause?: unknown) {
    super('config', message, { cause });
    this.name = 'ConfigError';
  }
}

/** What {@link resolveConfig} reads. */
export interface ConfigSources {
  /** The arguments after `serve`. */
  argv: readonly string[];
  /** Environment variables; only `PARLEY_*` ones are read. */
  env: Readonly<Record<string, string | undefined>>;
  /** Directory relative paths are resolved against. */
  cwd: string;
}

/** The result of {@link resolveConfig}. */
export interface ResolvedConfig {
  config: ServerConfig;
  /** True when `--help` was given. */
  help: boolean;
}

/** A setting's value before it is checked, and where it came from (for the error message). */
interface RawValue {
  value: unknown;
  source: string;
  /** Flags and env vars are text; a file value must have the JSON type of the setting. */
  typed: boolean;
}

/**
 * Builds the configuration from flags, `PARLEY_*` environment variables, a JSON config file
 * (`--config FILE` or `PARLEY_CONFIG`) and the defaults, in that order of precedence.
 *
 * @throws {@link ConfigError} on an unknown flag, a bad value or an unreadable config file.
 */
export function resolveConfig(sources: ConfigSources): ResolvedConfig {
  const flags = parseFlags(sources.argv);
  const help = flags.help === true;
  const configPath = (flags.config as string | undefined) ?? sources.env.PARLEY_CONFIG;
  const file = configPath === undefined ? {} : readConfigFile(resolve(sources.cwd, configPath));

  const config = defaultConfig() as unknown as Record<string, unknown>;
  for (const spec of OPTIONS) {
    const raw = pick(spec, flags, sources.env, file, configPath);
    if (raw !== undefined) config[spec.key] = checkValue(spec, raw);
  }
  const result = config as unknown as ServerConfig;
  result.dataDir = resolve(sources.cwd, result.dataDir);
  checkUrls(result);
  return { config: result, help };
}

function parseFlags(argv: readonly string[]): Record<string, string | boolean | undefined> {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
    config: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  };
  for (const o of OPTIONS) if (o.flag) options[o.flag] = { type: 'string' };
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new ConfigError((err as Error).message, err);
  }
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as Error).message}`, err);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`config file ${path} is not valid JSON: ${(err as Error).message}`, err);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`config file ${path} must hold a JSON object`);
  }
  const known = new Set<string>(OPTIONS.map((o) => o.key));
  for (const key of Object.keys(parsed)) {
    // A typo in a file key would otherwise be silently ignored.
    if (!known.has(key)) throw new ConfigError(`config file ${path}: unknown key "${key}"`);
  }
  return parsed as Record<string, unknown>;
}

function pick(
  spec: OptionSpec,
  flags: Record<string, string | boolean | undefined>,
  env: ConfigSources['env'],
  file: Record<string, unknown>,
  configPath: string | undefined,
): RawValue | undefined {
  const flag = spec.flag === undefined ? undefined : flags[spec.flag];
  if (flag !== undefined) return { value: flag, source: `--${spec.flag}`, typed: false };
  const fromEnv = env[spec.env];
  if (fromEnv !== undefined && fromEnv !== '') return { value: fromEnv, source: spec.env, typed: false };
  if (Object.hasOwn(file, spec.key)) {
    return { value: file[spec.key], source: `config file ${configPath}: "${spec.key}"`, typed: true };
  }
  return undefined;
}

function checkValue(spec: OptionSpec, raw: RawValue): unknown {
  const { value, source } = raw;
  const kind = spec.kind;
  if (kind.type === 'int') {
    const n = !raw.typed && typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < kind.min || n > kind.max) {
      throw new ConfigError(
        `${source}: expected an integer from ${kind.min} to ${kind.max}, got ${JSON.stringify(value)}`,
      );
    }
    return n;
  }
  if (typeof value !== 'string' || value === '') {
    throw new ConfigError(`${source}: expected a non-empty string, got ${JSON.stringify(value)}`);
  }
  if (kind.type === 'enum' && !kind.values.includes(value)) {
    throw new ConfigError(
      `${source}: expected one of ${kind.values.join(', ')}, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

const SERVER_NAME = /^(\[[0-9A-Fa-f:.]+\]|[0-9A-Za-z.-]{1,255})(:\d{1,5})?$/;

function checkUrls(config: ServerConfig): void {
  if (config.serverName !== undefined && !SERVER_NAME.test(config.serverName)) {
    throw new ConfigError(
      `server name ${JSON.stringify(config.serverName)} is not a valid Matrix server name (host[:port])`,
    );
  }
  const db = config.database;
  if (db !== undefined && !/^(sqlite:|postgres:\/\/|postgresql:\/\/)/.test(db)) {
    throw new ConfigError(`database ${JSON.stringify(db)}: expected sqlite:PATH or postgres://…`);
  }
  if (config.redis !== undefined && !/^rediss?:\/\//.test(config.redis)) {
    throw new ConfigError(`redis ${JSON.stringify(config.redis)}: expected redis://… or rediss://…`);
  }
}
