/**
 * Presence of other users as the realtime channel last told it, kept across reconnects. After
 * a reconnect the server's login dump lists every visible user whose presence is not 0; users
 * who went offline meanwhile are simply absent from it, so when the dump completes, whoever
 * was not listed again is set to 0.
 */
export class PresenceBook {
  readonly #values = new Map<string, number>();
  #relisted: Set<string> | undefined;

  /** A new connection started: the next login dump is a full listing. */
  connectionStarted(): void {
    this.#relisted = new Set();
  }

  /** Records a user's presence; returns true when it changed. */
  update(handle: string, presence: number): boolean {
    this.#relisted?.add(handle);
    const old = this.#values.get(handle) ?? 0;
    if (presence === 0) this.#values.delete(handle);
    else this.#values.set(handle, presence);
    return old !== presence;
  }

  /** The login dump is complete; returns the users it did not list again (now 0). */
  dumpComplete(): string[] {
    const relisted = this.#relisted;
    this.#relisted = undefined;
    if (!relisted) return [];
    const gone = [...this.#values.keys()].filter((h) => !relisted.has(h));
    for (const h of gone) this.#values.delete(h);
    return gone;
  }

  /** A user's presence (0 when unknown). */
  get(handle: string): number {
    return this.#values.get(handle) ?? 0;
  }

  /** Every user with a non-zero presence. */
  entries(): IterableIterator<[string, number]> {
    return this.#values.entries();
  }

  clear(): void {
    this.#values.clear();
    this.#relisted = undefined;
  }
}
