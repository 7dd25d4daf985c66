import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import type { Clock, Random, SigningKey } from '@parley/core';
import { nodeClock, nodeRandom } from '@parley/transport-node';
import type { Logger } from 'pino';
import { addAccountRoutes } from './api/account-routes.js';
import type { ApiDeps } from './api/api-deps.js';
import { addOpsRoutes } from './api/ops-routes.js';
import { addRoomRoutes } from './api/room-routes.js';
import { authenticate } from './auth/authenticator.js';
import type { Fanout } from './cluster/fanout.js';
import { checkClusterConfig, openFanout } from './cluster/open-fanout.js';
import { defaultConfig, type ServerConfig } from './config/options.js';
import { ConfigError } from './config/resolve-config.js';
import { installFederation } from './federation/federation.js';
import type { Handler } from './http/handler.js';
import { HttpApp } from './http/http-app.js';
import { Router } from './http/router.js';
import { TokenBucketLimiter } from './http/token-bucket.js';
import { type UpgradeHandler, UpgradeRegistry } from './http/upgrade-registry.js';
import { loadOrCreateSigningKey } from './keys/signing-key-file.js';
import { createLogger } from './observability/logger.js';
import { ServerMetrics } from './observability/metrics.js';
import { installRealtime } from './realtime/index.js';
import { RoomService } from './rooms/room-service.js';
import { openStorage } from './storage/open-storage.js';
import type { Storage } from './storage/storage.js';
import { installSync } from './sync/index.js';
import { installWebApp } from './web/index.js';

/** Called when a device logs out: see {@link ParleyServer.onDeviceLoggedOut}. */
export type DeviceLoggedOutHook = (userId: string, deviceId: string) => void | Promise<void>;

/** Options of {@link startServer}: any settings (the rest take their defaults) and test seams. */
export interface StartServerOptions extends Partial<ServerConfig> {
  /** A logger to use instead of one made from `logLevel`. */
  logger?: Logger;
  clock?: Clock;
  random?: Random;
}

/** A running Parley server. */
export interface ParleyServer {
  /** `http://host:port` it listens on. */
  readonly url: string;
  readonly port: number;
  readonly serverName: string;
  readonly config: Readonly<ServerConfig>;
  readonly storage: Storage;
  readonly rooms: RoomService;
  readonly metrics: ServerMetrics;
  readonly logger: Logger;
  /** The ed25519 key the server signs events (and later federation requests) with. */
  readonly signingKey: SigningKey;
  /** Adds a route to the client API router (for features added by later modules). */
  route(method: string, pattern: string, handler: Handler): void;
  /** Hands HTTP upgrade requests for `path` (e.g. a WebSocket endpoint) to `handler`. */
  onUpgrade(path: string, handler: UpgradeHandler): void;
  /** Runs `hook` at shutdown, while in-flight requests drain (e.g. to close WebSockets). */
  onClose(hook: () => void | Promise<void>): void;
  /**
   * Runs `hook` when a device logs out (`POST /logout`), after its access token is deleted and
   * before the logout is answered (the realtime channel closes the device's connections and
   * drops its tickets). Hooks run together; a failing one is logged and does not fail the logout.
   */
  onDeviceLoggedOut(hook: DeviceLoggedOutHook): void;
  /**
   * Graceful shutdown: stops accepting connections, lets in-flight requests finish (up to
   * `shutdownTimeoutMs`, then cuts them), runs the close hooks and closes the database.
   */
  close(): Promise<void>;
}

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

function checkTimeouts(c: ServerConfig): void {
  // Node refuses a headers timeout longer than the request timeout.
  if (c.headersTimeoutMs > c.requestTimeoutMs) {
    throw new ConfigError(
      `headersTimeoutMs (${c.headersTimeoutMs}) must not be larger than requestTimeoutMs (${c.requestTimeoutMs})`,
    );
  }
}

async function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  server.listen(port, host);
  await once(server, 'listening');
  return server.address() as AddressInfo;
}

/**
 * Starts a Parley server: opens (and migrates) the database (embedded SQLite in `dataDir`, or
 * PostgreSQL for a `postgres://` `database`), loads or creates the signing key, and listens.
 *
 * With `redis` it joins the other instances on the same PostgreSQL database (docs/scale-out.md).
 *
 * @throws {@link ConfigError} for settings this version cannot run with (`redis` without a
 *   PostgreSQL `database`, a server name other than the one the database was created with).
 */
export async function startServer(options: StartServerOptions = {}): Promise<ParleyServer> {
  const { logger: givenLogger, clock = nodeClock, random = nodeRandom, ...settings } = options;
  const config: ServerConfig = { ...defaultConfig(), ...settings };
  config.dataDir = resolve(config.dataDir);
  checkTimeouts(config);
  checkClusterConfig(config);
  const logger = givenLogger ?? createLogger(config.logLevel);
  const storage = await openStorage(config);
  let http: Server | undefined;
  let fanout: Fanout | undefined;
  try {
    const { key } = loadOrCreateSigningKey(config.dataDir, random);
    const metrics = new ServerMetrics();
    const router = new Router<Handler>();
    const limiter = new TokenBucketLimiter({
      burst: config.loginBurst,
      perMinute: config.loginPerMinute,
      maxKeys: 10_000,
      clock,
    });
    const app = new HttpApp({
      router,
      logger,
      metrics,
      maxBodyBytes: config.maxBodyBytes,
      maxInFlight: config.maxInFlight,
      authenticate: (req, query) => authenticate(storage, req, query),
    });
    const upgrades = new UpgradeRegistry(logger);
    http = createServer({
      headersTimeout: config.headersTimeoutMs,
      requestTimeout: config.requestTimeoutMs,
      keepAliveTimeout: config.keepAliveTimeoutMs,
      // Node checks the two timeouts above only this often (30 s by default), which would make
      // short timeouts meaningless.
      connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(config.headersTimeoutMs / 2))),
    });
    http.maxConnections = config.maxConnections;
    http.on('upgrade', upgrades.handle);
    const address = await listen(http, config.port, config.host);
    const serverName = config.serverName ?? `${formatHost(config.host)}:${address.port}`;
    const stored = await storage.getMeta('server_name');
    if (stored !== undefined && stored !== serverName) {
      throw new ConfigError(
        `the data dir ${config.dataDir} belongs to server name "${stored}", not "${serverName}": ` +
          `start with --server-name ${stored}`,
      );
    }
    if (stored === undefined) await storage.setMeta('server_name', serverName);

    const logoutHooks: DeviceLoggedOutHook[] = [];
    const deviceLoggedOut = async (userId: string, deviceId: string): Promise<void> => {
      const results = await Promise.allSettled(logoutHooks.map(async (h) => h(userId, deviceId)));
      for (const r of results)
        if (r.status === 'rejected') logger.error({ err: r.reason, userId, deviceId }, 'logout hook failed');
    };
    const rooms = new RoomService({ storage, serverName, key, clock, random });
    rooms.onEventStored((e) => metrics.eventsStored.inc({ type: e.event.type }));
    const deps: ApiDeps = {
      config,
      serverName,
      storage,
      rooms,
      metrics,
      clock,
      random,
      loginLimiter: limiter,
      deviceLoggedOut,
    };
    addOpsRoutes(router, deps);
    addAccountRoutes(router, deps);
    addRoomRoutes(router, deps);
    // Attached last, once every route exists; nothing could be received in between because no
    // await above waited on IO after `listening`.
    http.on('request', app.handle);

    const server = http;
    const hooks: (() => void | Promise<void>)[] = [];
    let closing: Promise<void> | undefined;
    const shutdown = async (): Promise<void> => {
      app.startDraining();
      upgrades.close();
      const closed = once(server, 'close');
      server.close();
      server.closeIdleConnections();
      const deadline = new Promise<void>((r) => setTimeout(r, config.shutdownTimeoutMs).unref());
      const hooksDone = Promise.allSettled(hooks.map(async (h) => h()));
      await Promise.race([Promise.all([app.waitIdle(), hooksDone]), deadline]);
      if (app.inFlight > 0)
        logger.warn({ inFlight: app.inFlight }, 'shutdown deadline passed; cutting requests');
      server.closeAllConnections();
      await closed;
      await storage.close();
      logger.info('server stopped');
    };
    const url = `http://${formatHost(address.address)}:${address.port}`;
    logger.info({ url, serverName, dataDir: config.dataDir }, 'server started');
    const parley: ParleyServer = {
      url,
      port: address.port,
      serverName,
      config,
      storage,
      rooms,
      metrics,
      logger,
      signingKey: key,
      route: (method, pattern, handler) => router.add(method, pattern, handler),
      onUpgrade: (path, handler) => upgrades.add(path, handler),
      onClose: (hook) => {
        hooks.push(hook);
      },
      onDeviceLoggedOut: (hook) => {
        logoutHooks.push(hook);
      },
      close: () => {
        closing ??= shutdown();
        return closing;
      },
    };
    fanout = await openFanout({
      config,
      storage,
      rooms,
      clock,
      random,
      logger,
      registry: metrics.registry,
      // The instance cannot go on without its slot (client ids would clash): it stops, and its
      // supervisor starts it anew.
      onFatal: (err) => {
        logger.fatal({ err }, 'cluster: stopping this instance');
        void parley.close();
      },
    });
    const fan = fanout;
    installRealtime(parley, { clock, random, fanout: fan });
    await installSync(parley, { clock, random, fanout: fan });
    installWebApp(parley);
    installFederation(parley, { clock, random });
    // Last: every listener of other instances' news is attached now.
    fan.start();
    parley.onClose(() => fan.close());
    return parley;
  } catch (err) {
    await fanout?.close();
    if (http?.listening) {
      http.closeAllConnections();
      http.close();
    }
    await storage.close();
    throw err;
  }
}
