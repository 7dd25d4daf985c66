import type { FetchOptions } from '../../fetch/index.js';
import type { Random } from '../../io.js';
import type { SimEvent, SimEventCodec } from './codec.js';
import { SimNetwork } from './network.js';
import type { StatePdu } from './room-store.js';
import { type SimFetcherFactory, SimServer, schedulerFactory } from './server.js';

/** A room shared by simulated servers. */
export interface SimRoom<P extends StatePdu> {
  net: SimNetwork;
  roomId: string;
  servers: Record<string, SimServer<P>>;
  genesis: SimEvent<P>[];
  /** The codec the servers make and check events with. */
  codec: SimEventCodec<P>;
}

/**
 * Builds a simulation: a network from `seed`, one {@link SimServer} per name, and a room created by
 * the first server that every server has joined (the genesis events are held by all).
 */
export function simulateRoom<P extends StatePdu>(init: {
  seed: number;
  servers: readonly string[];
  codec: (random: Random) => SimEventCodec<P>;
  roomId?: string;
  latencyMs?: number;
  jitterMs?: number;
  options?: Partial<FetchOptions>;
  factory?: SimFetcherFactory<P>;
  trace?: boolean;
}): SimRoom<P> {
  const net = new SimNetwork({
    seed: init.seed,
    ...(init.latencyMs === undefined ? {} : { latencyMs: init.latencyMs }),
    ...(init.jitterMs === undefined ? {} : { jitterMs: init.jitterMs }),
    ...(init.trace === undefined ? {} : { trace: init.trace }),
  });
  const codec = init.codec(net.random);
  const roomId = init.roomId ?? `!sim:${init.servers[0]}`;
  const genesis = codec.genesis(roomId, init.servers);
  const factory = init.factory ?? schedulerFactory<P>(init.options ?? {});
  const servers: Record<string, SimServer<P>> = {};
  for (const name of init.servers) {
    const s = new SimServer<P>(net, name, codec, factory);
    s.join(roomId, init.servers, genesis);
    servers[name] = s;
  }
  return { net, roomId, servers, genesis, codec };
}

/** True when every running server holds the same timeline events of the room. */
export function converged<P extends StatePdu>(room: SimRoom<P>): boolean {
  const views = Object.values(room.servers)
    .filter((s) => s.up)
    .map((s) => s.store.timelineIds(room.roomId).join(','));
  return views.every((v) => v === views[0]);
}
