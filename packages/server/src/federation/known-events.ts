import type { Storage } from '../storage/storage.js';

/**
 * Event ids known to be stored or rejected, in a bounded LRU, so the fetch scheduler's synchronous
 * `has()` never waits on storage. Filled by {@link prime} before every input that may cite events,
 * and by every store. A miss is never wrong, only costly: the scheduler fetches the event again and
 * the store skips it as a duplicate.
 */
export class KnownEvents {
  readonly #max: number;
  readonly #ids = new Map<string, true>();

  constructor(max: number) {
    this.#max = max;
  }

  has(id: string): boolean {
    return this.#ids.has(id);
  }

  add(id: string): void {
    this.#ids.delete(id);
    this.#ids.set(id, true);
    if (this.#ids.size > this.#max) this.#ids.delete(this.#ids.keys().next().value as string);
  }

  delete(id: string): void {
    this.#ids.delete(id);
  }

  get size(): number {
    return this.#ids.size;
  }

  /** Looks up in storage the ids not known yet and remembers those that are stored or rejected. */
  async prime(storage: Storage, ids: Iterable<string>): Promise<void> {
    const unknown = [...new Set(ids)].filter((id) => typeof id === 'string' && !this.#ids.has(id));
    if (unknown.length === 0) return;
    const { stored, rejected } = await storage.getEventStatus(unknown);
    for (const id of stored) this.add(id);
    for (const id of rejected) this.add(id);
  }
}

/** The ids a PDU-shaped value cites (prev and auth events), tolerating any shape. */
export function citedIds(pdu: unknown): string[] {
  if (typeof pdu !== 'object' || pdu === null) return [];
  const p = pdu as { prev_events?: unknown; auth_events?: unknown };
  const out: string[] = [];
  for (const list of [p.prev_events, p.auth_events]) {
    if (!Array.isArray(list)) continue;
    for (const id of list.slice(0, 20)) if (typeof id === 'string') out.push(id);
  }
  return out;
}

/** The server of a PDU-shaped value's sender, if it has one. */
export function senderServer(pdu: unknown): string | undefined {
  const sender = (pdu as { sender?: unknown } | null)?.sender;
  if (typeof sender !== 'string') return undefined;
  const colon = sender.indexOf(':');
  return colon < 0 ? undefined : sender.slice(colon + 1);
}

/**
 * The `(server, key id)` pairs a PDU-shaped value is signed with by its sender's server (at most
 * 3), so that a key the cache lacks (a new one) is fetched before the event is verified.
 */
export function signingKeysOf(pdu: unknown): Array<[string, string]> {
  const server = senderServer(pdu);
  if (server === undefined) return [];
  const sigs = (pdu as { signatures?: unknown }).signatures;
  if (typeof sigs !== 'object' || sigs === null) return [];
  const mine = (sigs as Record<string, unknown>)[server];
  if (typeof mine !== 'object' || mine === null) return [];
  return Object.keys(mine)
    .slice(0, 3)
    .map((keyId): [string, string] => [server, keyId]);
}

/** The PDU-shaped values of a federation answer (`pdus`, `events`, `auth_chain`, `state`). */
export function pdusOf(body: unknown): unknown[] {
  if (typeof body !== 'object' || body === null) return [];
  const out: unknown[] = [];
  for (const f of ['pdus', 'events', 'auth_chain', 'state']) {
    const v = (body as Record<string, unknown>)[f];
    if (Array.isArray(v)) out.push(...v.slice(0, 10_000));
  }
  return out;
}
