import type { Random } from '../io.js';
import { randomIndex } from './random.js';

/** The server part of a user, room or (room v1-v3) event id: everything after the first `:`. */
export function serverOf(id: string): string | undefined {
  const colon = id.indexOf(':');
  return colon < 0 || colon === id.length - 1 ? undefined : id.slice(colon + 1);
}

/** What {@link chooseOrigin} needs to know about servers at the moment of choosing. */
export interface OriginContext {
  /** Our own server name: never asked. */
  self: string;
  /** Servers already tried for this request. */
  tried: ReadonlySet<string>;
  /** True when the server is in backoff or marked as a liar. */
  avoided(server: string): boolean;
  /** True when another request to the server fits in the per-destination cap. */
  hasCapacity(server: string): boolean;
  /** True when the server recently left an attempt unanswered past the hedge delay. */
  slow?(server: string): boolean;
}

/** The outcome of {@link chooseOrigin}. */
export type OriginChoice =
  | { kind: 'chosen'; server: string }
  /** Eligible servers exist but all are at their per-destination cap: wait for capacity. */
  | { kind: 'busy' }
  /** No eligible server now; `later` when some untried server is only avoided for a while. */
  | { kind: 'none'; later: boolean };

/**
 * Picks the server to ask next: the preferred servers in order (the hint, then the server of the
 * event id or sender), then a random server of the room; never ourselves, never one already tried,
 * never one in backoff or marked as a liar. A server that recently left an attempt unanswered past
 * the hedge delay (`slow`) is asked only when no brisk one is free, preferred or not. A preferred
 * server at its cap is passed over for an idle one, so that one busy server does not hold every
 * fetch.
 */
export function chooseOrigin(
  preferred: readonly string[],
  roomServers: readonly string[],
  random: Random,
  ctx: OriginContext,
): OriginChoice {
  let busy = false;
  let later = false;
  const eligible = (s: string): boolean => {
    if (s === ctx.self || s === '' || ctx.tried.has(s)) return false;
    if (ctx.avoided(s)) {
      later = true;
      return false;
    }
    if (!ctx.hasCapacity(s)) {
      busy = true;
      return false;
    }
    return true;
  };
  const seen = new Set<string>();
  const first: string[] = [];
  for (const s of preferred) {
    if (seen.has(s)) continue;
    seen.add(s);
    if (eligible(s)) first.push(s);
  }
  const rest: string[] = [];
  for (const s of roomServers) {
    if (seen.has(s)) continue;
    seen.add(s);
    if (eligible(s)) rest.push(s);
  }
  // A server that needed hedging lately comes after every brisk one, preferred or not.
  const isSlow = (s: string): boolean => ctx.slow?.(s) ?? false;
  const pick = (pool: string[]): string | undefined =>
    pool.length === 0 ? undefined : (pool[randomIndex(random, pool.length)] as string);
  const server =
    first.find((s) => !isSlow(s)) ?? pick(rest.filter((s) => !isSlow(s))) ?? first[0] ?? pick(rest);
  if (server !== undefined) return { kind: 'chosen', server };
  if (busy) return { kind: 'busy' };
  return { kind: 'none', later };
}
