/**
 * Every setting of `parley serve`, with its flag, environment variable, default and limits. This
 * table is the one source the flag parser, the env and file readers, and the docs test use.
 */

import { CLUSTER_OPTIONS, type ClusterConfig } from '../cluster/cluster-options.js';
import { FEDERATION_OPTIONS, type FederationConfig } from '../federation/federation-options.js';

/** Log levels of pino, plus `silent`. */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** The resolved configuration of a Parley server. */
export interface ServerConfig extends FederationConfig, ClusterConfig {
  /** TCP port to listen on; 0 picks a free port. */
  port: number;
  /** Interface to listen on. */
  host: string;
  /** Directory for the SQLite database and the signing key. */
  dataDir: string;
  /** The server name in user and room ids; `HOST:PORT` when not set. */
  serverName: string | undefined;
  /** Database URL: `sqlite:PATH` (default `sqlite:<dataDir>/parley.db`) or `postgres://…`. */
  database: string | undefined;
  /** PostgreSQL connections per server instance; queries beyond it wait for a free one. */
  databasePoolSize: number;
  /** How long a PostgreSQL query may wait for a pooled connection before it fails. */
  databaseConnectTimeoutMs: number;
  /** How long a PostgreSQL query may run (or wait for a silent database) before it fails. */
  databaseQueryTimeoutMs: number;
  /** Redis URL for fan-out between instances (with a PostgreSQL `database`; docs/scale-out.md). */
  redis: string | undefined;
  /** pino log level. */
  logLevel: LogLevel;
  /** Largest accepted request body in bytes (event bodies included). */
  maxBodyBytes: number;
  /** Requests handled at once; more are answered 429 `M_LIMIT_EXCEEDED`. */
  maxInFlight: number;
  /** Open TCP connections at once; more are refused. */
  maxConnections: number;
  /** Time allowed to receive a request's headers. */
  headersTimeoutMs: number;
  /** Time allowed to receive a whole request. */
  requestTimeoutMs: number;
  /** Time an idle keep-alive connection stays open. */
  keepAliveTimeoutMs: number;
  /** Time in-flight requests get to finish on SIGTERM/SIGINT before connections are cut. */
  shutdownTimeoutMs: number;
  /** Login/register attempts an IP or user may make in a burst. */
  loginBurst: number;
  /** Login/register attempts refilled per minute, per IP and per user. */
  loginPerMinute: number;
  /** scrypt cost as log2(N) for new password hashes. */
  scryptCost: number;
  /** SQLite `synchronous` pragma (with WAL). */
  sqliteSynchronous: 'full' | 'normal';
  /** Largest `limit` of `/messages`; larger values are clamped. */
  messagesMaxLimit: number;
  /** Realtime WebSocket connections in total; one more is closed with 1008. */
  realtimeMaxConnections: number;
  /** Realtime connections per user; one more is closed with 1008. */
  realtimeMaxConnectionsPerUser: number;
  /** Realtime commands per second per connection (token bucket refill). */
  realtimeCommandsPerSecond: number;
  /** Realtime token bucket size; past it commands get `OP_REJECT RATE_LIMITED`, far past it close 1008. */
  realtimeCommandBurst: number;
  /** Largest RTMSG payload; larger ones get `OP_REJECT TOO_LARGE`. */
  realtimeMaxRtmsgBytes: number;
  /** Largest inbound realtime WebSocket message; larger ones close the connection with 1009. */
  realtimeMaxMessageBytes: number;
  /** Unsent bytes a realtime connection may hold; a slower reader is closed with 1008. */
  realtimeMaxBufferedBytes: number;
  /** In-call heartbeat timeout. */
  realtimeInCallTimeoutMs: number;
  /** Time a new realtime connection has to send `OP_HELLO`. */
  realtimeHelloTimeoutMs: number;
  /** Silence after which a realtime connection is closed (0 = never). */
  realtimeClientTimeoutMs: number;
  /** Contacts one user may add. */
  maxContactsPerUser: number;
  /** A sync session unused this long expires. */
  syncSessionIdleMs: number;
  /** Sync sessions per device; one more expires the least recently used. */
  syncSessionsPerDevice: number;
  /** Sync sessions in all; one more expires the least recently used. */
  syncSessionsTotal: number;
  /** The cap on a sync request's long-poll `timeout`. */
  syncMaxTimeoutMs: number;
  /** The cap on `p.limit` of a paginated sync stream. */
  syncMaxPageLimit: number;
  /** The longest a typing notice lasts (and its default `timeout`). */
  typingMaxTimeoutMs: number;
  /** Messages one `sendToDevice` request may hold, `"*"` expanded. */
  toDeviceMaxMessages: number;
  /** Undeleted to-device messages one device may hold. */
  toDeviceMaxQueued: number;
}

/** How a setting is parsed and checked. */
export type OptionKind =
  | { type: 'int'; min: number; max: number }
  | { type: 'string' }
  | { type: 'enum'; values: readonly string[] };

/** One row of the settings table. */
export interface OptionSpec {
  key: keyof ServerConfig;
  /** The long flag without `--`, when the setting has one. */
  flag?: string;
  env: string;
  kind: OptionKind;
  default: ServerConfig[keyof ServerConfig];
}

const int = (min: number, max: number): OptionKind => ({ type: 'int', min, max });
const str: OptionKind = { type: 'string' };
const DAY_MS = 86_400_000;

/** The settings table, in the order the docs list it. */
export const OPTIONS: readonly OptionSpec[] = [
  { key: 'port', flag: 'port', env: 'PARLEY_PORT', kind: int(0, 65535), default: 8008 },
  { key: 'host', flag: 'host', env: 'PARLEY_HOST', kind: str, default: '127.0.0.1' },
  { key: 'dataDir', flag: 'data-dir', env: 'PARLEY_DATA_DIR', kind: str, default: './data' },
  { key: 'serverName', flag: 'server-name', env: 'PARLEY_SERVER_NAME', kind: str, default: undefined },
  { key: 'database', flag: 'database', env: 'PARLEY_DATABASE', kind: str, default: undefined },
  { key: 'databasePoolSize', env: 'PARLEY_DATABASE_POOL_SIZE', kind: int(1, 1000), default: 10 },
  {
    key: 'databaseConnectTimeoutMs',
    env: 'PARLEY_DATABASE_CONNECT_TIMEOUT_MS',
    kind: int(100, DAY_MS),
    default: 10_000,
  },
  {
    key: 'databaseQueryTimeoutMs',
    env: 'PARLEY_DATABASE_QUERY_TIMEOUT_MS',
    kind: int(100, DAY_MS),
    default: 30_000,
  },
  { key: 'redis', flag: 'redis', env: 'PARLEY_REDIS', kind: str, default: undefined },
  {
    key: 'logLevel',
    flag: 'log-level',
    env: 'PARLEY_LOG_LEVEL',
    kind: { type: 'enum', values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] },
    default: 'info',
  },
  { key: 'maxBodyBytes', env: 'PARLEY_MAX_BODY_BYTES', kind: int(1024, 64 * 1024 * 1024), default: 65_536 },
  { key: 'maxInFlight', env: 'PARLEY_MAX_IN_FLIGHT', kind: int(1, 1_000_000), default: 256 },
  { key: 'maxConnections', env: 'PARLEY_MAX_CONNECTIONS', kind: int(1, 1_000_000), default: 1024 },
  { key: 'headersTimeoutMs', env: 'PARLEY_HEADERS_TIMEOUT_MS', kind: int(100, DAY_MS), default: 10_000 },
  { key: 'requestTimeoutMs', env: 'PARLEY_REQUEST_TIMEOUT_MS', kind: int(100, DAY_MS), default: 30_000 },
  { key: 'keepAliveTimeoutMs', env: 'PARLEY_KEEP_ALIVE_TIMEOUT_MS', kind: int(0, DAY_MS), default: 5_000 },
  { key: 'shutdownTimeoutMs', env: 'PARLEY_SHUTDOWN_TIMEOUT_MS', kind: int(0, DAY_MS), default: 10_000 },
  { key: 'loginBurst', env: 'PARLEY_LOGIN_BURST', kind: int(1, 1_000_000), default: 10 },
  { key: 'loginPerMinute', env: 'PARLEY_LOGIN_PER_MINUTE', kind: int(1, 1_000_000), default: 12 },
  { key: 'scryptCost', env: 'PARLEY_SCRYPT_COST', kind: int(10, 17), default: 15 },
  {
    key: 'sqliteSynchronous',
    env: 'PARLEY_SQLITE_SYNCHRONOUS',
    kind: { type: 'enum', values: ['full', 'normal'] },
    default: 'full',
  },
  { key: 'messagesMaxLimit', env: 'PARLEY_MESSAGES_MAX_LIMIT', kind: int(1, 10_000), default: 100 },
  {
    key: 'realtimeMaxConnections',
    env: 'PARLEY_REALTIME_MAX_CONNECTIONS',
    kind: int(1, 1_000_000),
    default: 10_000,
  },
  {
    key: 'realtimeMaxConnectionsPerUser',
    env: 'PARLEY_REALTIME_MAX_CONNECTIONS_PER_USER',
    kind: int(1, 100_000),
    default: 16,
  },
  {
    key: 'realtimeCommandsPerSecond',
    env: 'PARLEY_REALTIME_COMMANDS_PER_SECOND',
    kind: int(1, 10_000_000),
    default: 50,
  },
  {
    key: 'realtimeCommandBurst',
    env: 'PARLEY_REALTIME_COMMAND_BURST',
    kind: int(1, 10_000_000),
    default: 100,
  },
  {
    key: 'realtimeMaxRtmsgBytes',
    env: 'PARLEY_REALTIME_MAX_RTMSG_BYTES',
    kind: int(1, 0xffffff),
    default: 65_536,
  },
  {
    key: 'realtimeMaxMessageBytes',
    env: 'PARLEY_REALTIME_MAX_MESSAGE_BYTES',
    kind: int(1024, 64 * 1024 * 1024),
    default: 1024 * 1024,
  },
  {
    key: 'realtimeMaxBufferedBytes',
    env: 'PARLEY_REALTIME_MAX_BUFFERED_BYTES',
    kind: int(64 * 1024, 1024 * 1024 * 1024),
    default: 1024 * 1024,
  },
  {
    key: 'realtimeInCallTimeoutMs',
    env: 'PARLEY_REALTIME_IN_CALL_TIMEOUT_MS',
    kind: int(100, DAY_MS),
    default: 10_000,
  },
  {
    key: 'realtimeHelloTimeoutMs',
    env: 'PARLEY_REALTIME_HELLO_TIMEOUT_MS',
    kind: int(100, DAY_MS),
    default: 10_000,
  },
  {
    key: 'realtimeClientTimeoutMs',
    env: 'PARLEY_REALTIME_CLIENT_TIMEOUT_MS',
    kind: int(0, DAY_MS),
    default: 60_000,
  },
  { key: 'maxContactsPerUser', env: 'PARLEY_MAX_CONTACTS_PER_USER', kind: int(1, 1_000_000), default: 1000 },
  {
    key: 'syncSessionIdleMs',
    env: 'PARLEY_SYNC_SESSION_IDLE_MS',
    kind: int(100, DAY_MS),
    default: 1_800_000,
  },
  { key: 'syncSessionsPerDevice', env: 'PARLEY_SYNC_SESSIONS_PER_DEVICE', kind: int(1, 1000), default: 10 },
  { key: 'syncSessionsTotal', env: 'PARLEY_SYNC_SESSIONS_TOTAL', kind: int(1, 10_000_000), default: 50_000 },
  { key: 'syncMaxTimeoutMs', env: 'PARLEY_SYNC_MAX_TIMEOUT_MS', kind: int(0, 300_000), default: 30_000 },
  { key: 'syncMaxPageLimit', env: 'PARLEY_SYNC_MAX_PAGE_LIMIT', kind: int(1, 10_000), default: 100 },
  {
    key: 'typingMaxTimeoutMs',
    env: 'PARLEY_TYPING_MAX_TIMEOUT_MS',
    kind: int(100, 600_000),
    default: 30_000,
  },
  { key: 'toDeviceMaxMessages', env: 'PARLEY_TO_DEVICE_MAX_MESSAGES', kind: int(1, 100_000), default: 1000 },
  { key: 'toDeviceMaxQueued', env: 'PARLEY_TO_DEVICE_MAX_QUEUED', kind: int(1, 10_000_000), default: 10_000 },
  ...FEDERATION_OPTIONS,
  ...CLUSTER_OPTIONS,
];

/** The defaults of every setting. */
export function defaultConfig(): ServerConfig {
  const config: Record<string, unknown> = {};
  for (const o of OPTIONS) config[o.key] = o.default;
  return config as unknown as ServerConfig;
}
