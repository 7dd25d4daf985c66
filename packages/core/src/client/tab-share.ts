import type { Clock, TimerId, Timers } from '../io.js';
import type { RealtimeClientEvent } from '../realtime/client-events.js';
import type { ChannelState } from './client-events.js';
import type { ClientRealtime } from './client-realtime.js';
import type { ParleyClient } from './parley-client.js';
import type { RealtimeAction } from './realtime-actions.js';

/** What `ParleyClient.tabHooks()` gives a {@link TabShare}. */
export interface TabHooks {
  realtime: ClientRealtime;
  /** Another tab logged in: take its session from the shared store and connect. */
  adoptStoredSession(): Promise<void>;
  /** Another tab logged out: forget the session here too. */
  dropSession(): Promise<void>;
}

/** The messages tabs exchange (BroadcastChannel in browsers; structured-cloneable). */
export type TabMessage =
  | { t: 'hello'; from: string }
  | { t: 'leader'; from: string; state: ChannelState; clientId: number }
  | { t: 'event'; from: string; event: RealtimeClientEvent }
  | { t: 'act'; from: string; action: RealtimeAction }
  | { t: 'alive'; from: string }
  | { t: 'bye'; from: string }
  | { t: 'session'; from: string }
  | { t: 'logout'; from: string };

/** A message bus between the tabs of one browser (one origin). */
export interface TabChannel {
  post(message: TabMessage): void;
  onmessage: ((message: TabMessage) => void) | null;
  close(): void;
}

/**
 * Leader election between tabs: `acquire` resolves when this tab becomes the leader and keeps it
 * the leader until `signal` aborts (the Web Locks API does exactly this, and hands the lock to a
 * waiting tab when the leader's page goes away).
 */
export interface LeaderElection {
  acquire(signal: AbortSignal): Promise<void>;
}

/** Options of {@link TabShare}. */
export interface TabShareOptions {
  channel: TabChannel;
  election: LeaderElection;
  clock: Clock;
  timers: Timers;
  /** This tab's id (random, per page). */
  tabId: string;
  /** How often a follower says it is alive. Default 5 s. */
  aliveIntervalMs?: number;
  /** A follower silent this long is gone: its calls end. Default 15 s. */
  tabTimeoutMs?: number;
}

// Events the leader's own connection handles alone (closing, errors) are not relayed.
const RELAYED = new Set(['hello', 'ready', 'own_presence', 'presence', 'in_call', 'rtmsg', 'reject']);

/**
 * One login and one realtime connection for all the tabs of a browser. The leader tab (elected
 * through {@link LeaderElection}) owns the realtime connection, relays its events to the other
 * tabs and carries out their actions; the others relay through it. When the leader's page closes
 * another tab is elected and reconnects, and every tab hands it its calls and presence choice
 * again. A login or logout in one tab is followed by the others. Each tab keeps its own sync
 * session (to-device messages reach every tab through it).
 */
export class TabShare {
  readonly #client: ParleyClient;
  readonly #hooks: TabHooks;
  readonly #o: Required<TabShareOptions>;
  readonly #abort = new AbortController();
  readonly #lastSeen = new Map<string, number>();
  #leader: string | undefined;
  #isLeader = false;
  #timer: TimerId | undefined;
  #quiet = false;
  readonly #onEvent = (e: RealtimeClientEvent): void => {
    if (RELAYED.has(e.type)) this.#post({ t: 'event', from: this.#o.tabId, event: e });
  };
  readonly #onState = (state: ChannelState, clientId: number): void => {
    this.#post({ t: 'leader', from: this.#o.tabId, state, clientId });
  };
  readonly #onSession = (creds: unknown): void => {
    if (!this.#quiet) this.#post({ t: creds ? 'session' : 'logout', from: this.#o.tabId });
  };

  constructor(client: ParleyClient, options: TabShareOptions) {
    this.#client = client;
    this.#hooks = client.tabHooks();
    this.#o = { aliveIntervalMs: 5000, tabTimeoutMs: 15_000, ...options };
  }

  /** True while this tab owns the realtime connection. */
  get isLeader(): boolean {
    return this.#isLeader;
  }

  /** Joins the tabs: relays through the current leader until elected. */
  start(): void {
    this.#o.channel.onmessage = (m) => this.#handle(m);
    this.#client.on('session', this.#onSession);
    this.#hooks.realtime.setRelay({ act: (action) => this.#post({ t: 'act', from: this.#o.tabId, action }) });
    this.#post({ t: 'hello', from: this.#o.tabId });
    this.#tick();
    this.#o.election.acquire(this.#abort.signal).then(
      () => this.#becomeLeader(),
      () => undefined,
    );
  }

  /** Leaves (page closing): says goodbye and lets another tab be elected. */
  stop(): void {
    this.#post({ t: 'bye', from: this.#o.tabId });
    this.#abort.abort();
    if (this.#timer !== undefined) this.#o.timers.clear(this.#timer);
    this.#client.off('session', this.#onSession);
    this.#client.off('realtimeEvent', this.#onEvent);
    this.#client.off('realtimeState', this.#onState);
    this.#o.channel.onmessage = null;
    this.#o.channel.close();
  }

  #becomeLeader(): void {
    if (this.#abort.signal.aborted) return;
    this.#isLeader = true;
    this.#leader = this.#o.tabId;
    this.#client.on('realtimeEvent', this.#onEvent);
    this.#client.on('realtimeState', this.#onState);
    this.#hooks.realtime.setRelay(undefined);
    this.#announce();
  }

  #announce(): void {
    const rt = this.#hooks.realtime;
    this.#post({ t: 'leader', from: this.#o.tabId, state: rt.state ?? 'stopped', clientId: rt.clientId });
    if (rt.state === 'open') for (const event of rt.snapshot()) this.#onEvent(event);
  }

  #handle(m: TabMessage): void {
    if (m.from === this.#o.tabId) return;
    this.#lastSeen.set(m.from, this.#o.clock.now());
    switch (m.t) {
      case 'hello':
        if (this.#isLeader) this.#announce();
        return;
      case 'leader': {
        if (this.#isLeader) return;
        const changed = this.#leader !== m.from;
        this.#leader = m.from;
        this.#hooks.realtime.receive({ state: m.state, clientId: m.clientId });
        // A new leader knows nothing of this tab's calls and presence choice: hand them over.
        if (changed)
          for (const action of this.#hooks.realtime.intents())
            this.#post({ t: 'act', from: this.#o.tabId, action });
        return;
      }
      case 'event':
        if (!this.#isLeader) this.#hooks.realtime.receive({ event: m.event });
        return;
      case 'act':
        if (!this.#isLeader) return;
        try {
          this.#hooks.realtime.apply(m.action, m.from);
        } catch {
          // A message the connection cannot take now (not connected, queue full): dropped, as
          // realtime messages are ephemeral.
        }
        return;
      case 'bye':
        this.#lastSeen.delete(m.from);
        if (this.#isLeader) this.#hooks.realtime.dropTab(m.from);
        return;
      case 'session':
        void this.#quietly(() => this.#hooks.adoptStoredSession());
        return;
      case 'logout':
        void this.#quietly(() => this.#hooks.dropSession());
        return;
      default:
        return;
    }
  }

  /** Followers say they are alive; the leader ends the calls of tabs that went silent. */
  #tick(): void {
    if (this.#abort.signal.aborted) return;
    if (this.#isLeader) {
      const now = this.#o.clock.now();
      for (const [tab, seen] of this.#lastSeen) {
        if (now - seen < this.#o.tabTimeoutMs) continue;
        this.#lastSeen.delete(tab);
        this.#hooks.realtime.dropTab(tab);
      }
    } else {
      this.#post({ t: 'alive', from: this.#o.tabId });
    }
    this.#timer = this.#o.timers.set(() => this.#tick(), this.#o.aliveIntervalMs);
  }

  async #quietly(task: () => Promise<void>): Promise<void> {
    this.#quiet = true;
    try {
      await task();
    } catch {
      // The next sync or login will tell the app what is wrong.
    } finally {
      this.#quiet = false;
    }
  }

  #post(message: TabMessage): void {
    try {
      this.#o.channel.post(message);
    } catch {
      // A closed channel (page unloading): nothing to do.
    }
  }
}
