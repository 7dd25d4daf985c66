/**
 * The sync stream position (docs/sync.md, "Positions"). The engine wants one growing integer for
 * every change it reports: room events, typing changes and to-device messages. Events already
 * have a stream ordering from storage, so a position is `ordering × 2^minorBits + minor`: an event
 * takes `ordering × 2^minorBits`, and typing changes and to-device messages take the minors after
 * the newest event. No second sequence has to be stored, a `/messages` token is the ordering of a
 * position, and after a restart the position goes on from the newest stored one.
 */

/** Bits of a position below the event's stream ordering. */
export const DEFAULT_MINOR_BITS = 20;

/** What {@link SyncPositions} is built on. */
export interface SyncPositionsOptions {
  /** The newest position in use at start (from the stored events and to-device messages). */
  start: number;
  /**
   * Takes a stream ordering that no event will get, when the minors after the newest event run
   * out (2^minorBits typing changes and to-device messages without an event in between).
   */
  reserveOrdering: () => Promise<number>;
  minorBits?: number;
}

/**
 * Hands out positions and publishes them. Every change runs in {@link serial}: it takes its
 * position, makes the change visible (storage commit, index update), then {@link publish}es
 * it, so a reader that sees position `p` as current also sees every change at or below `p`.
 */
export class SyncPositions {
  readonly #scale: number;
  readonly #reserve: () => Promise<number>;
  #current: number;
  /** The highest position handed out, published or not (a failed write leaves a gap). */
  #taken: number;
  #chain: Promise<unknown> = Promise.resolve();

  constructor(options: SyncPositionsOptions) {
    this.#scale = 2 ** (options.minorBits ?? DEFAULT_MINOR_BITS);
    this.#reserve = options.reserveOrdering;
    this.#current = options.start;
    this.#taken = options.start;
  }

  /** The newest published position. */
  get current(): number {
    return this.#current;
  }

  /** The position of the event with stream ordering `ordering`. */
  ofOrdering(ordering: number): number {
    return ordering * this.#scale;
  }

  /** The stream ordering of the newest event at or below `position`. */
  orderingAt(position: number): number {
    return Math.floor(position / this.#scale);
  }

  /** The position after `start` stored events and to-device messages, for the constructor. */
  static startAt(maxOrdering: number, maxToDevice: number, minorBits = DEFAULT_MINOR_BITS): number {
    return Math.max(maxOrdering * 2 ** minorBits, maxToDevice);
  }

  /** Runs `task` after every earlier one: changes take and publish positions in order. */
  serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#chain.then(task, task);
    this.#chain = run.catch(() => undefined);
    return run;
  }

  /** The next minor position; call inside {@link serial}. */
  async take(): Promise<number> {
    const next = this.#taken + 1;
    if (next % this.#scale === 0) {
      // `next` would be an event's position: move to a reserved ordering of our own.
      this.#taken = this.ofOrdering(await this.#reserve());
      return this.#taken;
    }
    this.#taken = next;
    return next;
  }

  /** Makes `position` current (never moves back); call inside {@link serial}. */
  publish(position: number): void {
    if (position > this.#current) this.#current = position;
    if (position > this.#taken) this.#taken = position;
  }
}
