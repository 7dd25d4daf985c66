import { ParleyError } from '../errors.js';
import { MinHeap } from './heap.js';
import type { FetchPdu } from './types.js';

/**
 * How an event takes part in evaluation:
 * - `timeline`: part of the room DAG; waits for its `prev_events` and `auth_events`.
 * - `backfill`: history paged in; waits for the prev events of its own batch and its auth events,
 *   and records older missing prev events as backward extremities.
 * - `outlier`: state or requested on its own; waits for its `auth_events` only.
 */
export type EvalMode = 'timeline' | 'backfill' | 'outlier';

/** An event held until what it depends on is decided. */
export interface EvalNode<P extends FetchPdu> {
  readonly eventId: string;
  readonly roomId: string;
  readonly pdu: P;
  readonly mode: EvalMode;
  readonly redacted: boolean;
  /** The server that gave us the event, if known. */
  readonly source: string | undefined;
  /** Dependencies not decided yet. */
  readonly waitingOn: Set<string>;
  /** `prev_events` given up (beyond the walk limit or unobtainable). */
  readonly missingPrevs: string[];
  /** An `auth_events` entry was given up: the event cannot be authorized. */
  authMissing: boolean;
  readonly listeners: Array<(accepted: boolean) => void>;
}

/** A dependency that is neither stored nor held: somebody has to fetch it (or give it up). */
export interface MissingDep {
  id: string;
  /** True when a timeline event needs it (the gap walk fetches it); false: fetched on its own. */
  timeline: boolean;
}

function lessNode<P extends FetchPdu>(a: EvalNode<P>, b: EvalNode<P>): boolean {
  return a.pdu.depth < b.pdu.depth || (a.pdu.depth === b.pdu.depth && a.eventId < b.eventId);
}

/**
 * The evaluation queue: verified events wait here until every event they depend on has been
 * decided (evaluated, rejected or given up), and leave in topological order (prev events before the
 * events citing them, the auth chain before what it authorizes), shallowest first among the ready.
 */
export class EvalGraph<P extends FetchPdu> {
  readonly #max: number;
  readonly #isStored: (id: string) => boolean;
  readonly #nodes = new Map<string, EvalNode<P>>();
  readonly #dependents = new Map<string, Set<string>>();
  /** Missing dependency → room and whether a timeline event waits on it. */
  readonly #missing = new Map<string, { roomId: string; timeline: boolean }>();
  readonly #ready = new MinHeap<EvalNode<P>>(lessNode);
  /** Decided here but maybe not stored by the host (rejected) or given up: bounded memory of both. */
  readonly #recent = new Map<string, 'rejected' | 'given_up'>();
  readonly #maxRecent: number;

  constructor(maxPending: number, maxRecent: number, isStored: (id: string) => boolean) {
    this.#max = maxPending;
    this.#maxRecent = maxRecent;
    this.#isStored = isStored;
  }

  /** Events held. */
  get size(): number {
    return this.#nodes.size;
  }

  /** True when no more events fit. */
  get full(): boolean {
    return this.#nodes.size >= this.#max;
  }

  /** True when the event is held here. */
  has(id: string): boolean {
    return this.#nodes.has(id);
  }

  /** True when the event is stored or was decided here: it needs no fetch. */
  isDecided(id: string): boolean {
    return this.#isStored(id) || this.#recent.get(id) === 'rejected';
  }

  /** True when the id was given up recently (beyond a walk limit, or nobody had it). */
  isGivenUp(id: string): boolean {
    return this.#recent.get(id) === 'given_up' && !this.#isStored(id);
  }

  /**
   * Holds an event and returns the dependencies that must be fetched.
   *
   * @throws {@link ParleyError} `fetch_queue_full` when `maxPendingEvents` are held already.
   */
  add(eventId: string, pdu: P, mode: EvalMode, redacted: boolean, source?: string): MissingDep[] {
    if (this.#nodes.has(eventId)) return [];
    if (this.full) {
      throw new ParleyError('fetch_queue_full', `${this.#max} events are waiting for evaluation`, {
        httpStatus: 503,
      });
    }
    const node: EvalNode<P> = {
      eventId,
      roomId: pdu.room_id,
      pdu,
      mode,
      redacted,
      source,
      waitingOn: new Set(),
      missingPrevs: [],
      authMissing: false,
      listeners: [],
    };
    this.#nodes.set(eventId, node);
    this.#missing.delete(eventId);
    if (this.#recent.get(eventId) === 'given_up') this.#recent.delete(eventId);
    const out: MissingDep[] = [];
    const need = (id: string, asPrev: boolean): void => {
      if (id === eventId || node.waitingOn.has(id) || this.isDecided(id)) return;
      const held = this.#nodes.has(id);
      if (!held && this.isGivenUp(id)) {
        if (asPrev) node.missingPrevs.push(id);
        else node.authMissing = true;
        return;
      }
      if (!held && asPrev && mode === 'backfill') {
        node.missingPrevs.push(id); // older than the batch: a backward extremity, not fetched now
        return;
      }
      node.waitingOn.add(id);
      let deps = this.#dependents.get(id);
      if (deps === undefined) {
        deps = new Set();
        this.#dependents.set(id, deps);
      }
      deps.add(eventId);
      if (!held) {
        const timeline = mode === 'timeline';
        const m = this.#missing.get(id);
        if (m === undefined) {
          this.#missing.set(id, { roomId: node.roomId, timeline });
          out.push({ id, timeline });
        } else if (timeline && !m.timeline) {
          m.timeline = true;
          out.push({ id, timeline });
        }
      }
    };
    if (mode !== 'outlier') for (const id of pdu.prev_events) need(id, true);
    for (const id of pdu.auth_events) need(id, false);
    if (node.waitingOn.size === 0) this.#ready.push(node);
    return out;
  }

  /** The held event `id` and the server it came from, if it is held. */
  held(id: string): { pdu: P; source: string | undefined } | undefined {
    return this.#nodes.get(id);
  }

  /** Registers a callback for when the held event is decided; false when it is not held. */
  onDecided(id: string, listener: (accepted: boolean) => void): boolean {
    const node = this.#nodes.get(id);
    if (node === undefined) return false;
    node.listeners.push(listener);
    return true;
  }

  /** The held events that wait on `id`. */
  dependentsOf(id: string): string[] {
    return [...(this.#dependents.get(id) ?? [])];
  }

  /** Missing dependencies of timeline events in `roomId`, in id order (the gap frontier). */
  frontier(roomId: string): string[] {
    const out: string[] = [];
    for (const [id, m] of this.#missing) if (m.roomId === roomId && m.timeline) out.push(id);
    return out.sort();
  }

  /** True when some held event still waits on the missing `id`. */
  isMissing(id: string): boolean {
    return this.#missing.has(id);
  }

  /**
   * Gives up a missing dependency: events citing it as a prev event go on without it (it becomes a
   * backward extremity); events citing it as an auth event will be rejected.
   */
  giveUp(id: string): void {
    if (this.#nodes.has(id)) return;
    this.#missing.delete(id);
    this.#remember(id, 'given_up');
    for (const depId of this.#dependents.get(id) ?? []) {
      const node = this.#nodes.get(depId);
      if (node === undefined) continue;
      if (node.pdu.prev_events.includes(id) && node.mode !== 'outlier') node.missingPrevs.push(id);
      if (node.pdu.auth_events.includes(id)) node.authMissing = true;
      this.#resolve(node, id);
    }
    this.#dependents.delete(id);
  }

  /** The next event ready for evaluation, shallowest first. It stays held until {@link decided}. */
  nextReady(): EvalNode<P> | undefined {
    return this.#ready.pop();
  }

  /** Records the evaluation of a node taken from {@link nextReady} and releases its dependents. */
  decided(node: EvalNode<P>, accepted: boolean): void {
    this.#nodes.delete(node.eventId);
    if (!accepted) this.#remember(node.eventId, 'rejected');
    else this.#recent.delete(node.eventId);
    for (const depId of this.#dependents.get(node.eventId) ?? []) {
      const dep = this.#nodes.get(depId);
      if (dep !== undefined) this.#resolve(dep, node.eventId);
    }
    this.#dependents.delete(node.eventId);
    for (const l of node.listeners) l(accepted);
  }

  #resolve(node: EvalNode<P>, id: string): void {
    if (node.waitingOn.delete(id) && node.waitingOn.size === 0) this.#ready.push(node);
  }

  #remember(id: string, what: 'rejected' | 'given_up'): void {
    this.#recent.delete(id);
    this.#recent.set(id, what);
    if (this.#recent.size > this.#maxRecent) {
      const oldest = this.#recent.keys().next().value;
      if (oldest !== undefined) this.#recent.delete(oldest);
    }
  }
}
