import { ParleyError } from '../errors.js';
import { RealtimeClient } from '../realtime/client.js';
import type { RealtimeClientEvent } from '../realtime/client-events.js';
import type { HandleHex } from '../realtime/handle.js';
import type { ClientApi } from './client-api.js';
import type { ChannelState, ParleyClientEvents } from './client-events.js';
import type { ParleyClientOptions } from './client-options.js';
import { PresenceBook } from './presence-book.js';
import { applyRealtimeAction, type RealtimeAction } from './realtime-actions.js';
import { dispatchRealtimeEvent, InCallBook } from './realtime-events.js';
import { RealtimeLink } from './realtime-link.js';
import type { ReconnectPolicy } from './reconnect-policy.js';
import type { RoomList } from './room-list.js';

/** Where actions go when another tab owns the realtime connection. */
export interface RealtimeRelay {
  act(action: RealtimeAction): void;
}

type Emit = <K extends keyof ParleyClientEvents>(
  event: K,
  ...args: Parameters<ParleyClientEvents[K]>
) => void;

const SELF = '';

/**
 * The client's realtime channel: a `RealtimeClient` on a {@link RealtimeLink} of its own, or, in
 * a browser tab that is not the leader, a relay to the tab that owns the shared connection (the
 * leader feeds its events back through {@link receive}). Either way the app's calls and presence
 * choice are remembered here, so they survive reconnects and a change of leader.
 */
export class ClientRealtime {
  readonly #o: ParleyClientOptions;
  readonly #api: ClientApi;
  readonly #policy: ReconnectPolicy;
  readonly #rooms: RoomList;
  readonly #emit: Emit;
  readonly #onState: () => void;
  readonly #onUnauthorized: (e: ParleyError) => void;
  machine: RealtimeClient | undefined;
  link: RealtimeLink | undefined;
  #relay: RealtimeRelay | undefined;
  #relayed: { state: ChannelState; clientId: number } = { state: 'stopped', clientId: 0 };
  #running = false;
  /** Calls per tab ('' = this one); the connection is in a room's call while any tab is. */
  readonly #calls = new Map<string, Set<HandleHex>>();
  #presenceChoice: number | undefined;
  ownPresence = 0;
  readonly presence = new PresenceBook();
  readonly inCall = new InCallBook();

  constructor(deps: {
    options: ParleyClientOptions;
    api: ClientApi;
    policy: ReconnectPolicy;
    rooms: RoomList;
    emit: Emit;
    onState: () => void;
    onUnauthorized: (e: ParleyError) => void;
  }) {
    this.#o = deps.options;
    this.#api = deps.api;
    this.#policy = deps.policy;
    this.#rooms = deps.rooms;
    this.#emit = deps.emit;
    this.#onState = deps.onState;
    this.#onUnauthorized = deps.onUnauthorized;
  }

  get enabled(): boolean {
    return this.#o.realtime?.enabled !== false;
  }

  /** `undefined` when realtime is disabled. */
  get state(): ChannelState | undefined {
    if (!this.enabled) return undefined;
    if (this.#relay) return this.#running ? this.#relayed.state : 'stopped';
    return this.link?.state ?? 'stopped';
  }

  get clientId(): number {
    return this.#relay ? this.#relayed.clientId : (this.machine?.clientId ?? 0);
  }

  /** True while another tab owns the connection. */
  get relayed(): boolean {
    return this.#relay !== undefined;
  }

  start(): void {
    if (!this.enabled || this.#running) return;
    this.#running = true;
    if (!this.#relay) this.#startLink();
    this.#onState();
  }

  stop(): void {
    this.#running = false;
    this.link?.stop();
    this.link = undefined;
    this.#onState();
  }

  /** Forgets everything (logout). */
  forget(): void {
    this.stop();
    this.machine = undefined;
    this.ownPresence = 0;
    this.presence.clear();
    this.inCall.flags.clear();
    this.#calls.clear();
    this.#presenceChoice = undefined;
  }

  /**
   * An action of this tab's app. `requireOpen` actions (realtime messages) throw `not_connected`
   * while the channel is down; the others are remembered and apply on reconnect.
   */
  act(action: RealtimeAction, requireOpen: boolean): void {
    if (!this.enabled) throw new ParleyError('not_connected', 'Realtime is disabled for this client');
    if (requireOpen && this.state !== 'open') {
      throw new ParleyError('not_connected', 'The realtime channel is not connected');
    }
    if (action.kind === 'presence') {
      const p = action.presence;
      if (!Number.isInteger(p) || p < 0 || p > 127) {
        throw new ParleyError('invalid_argument', `presence must be an integer 0 .. 127, got ${p}`);
      }
      this.#presenceChoice = p;
    }
    if (this.#relay) {
      if (action.kind === 'call') this.#track(SELF, action.room, action.inCall);
      this.#relay.act(action);
      return;
    }
    this.apply(action, SELF);
  }

  /** Applies an action on the local connection; `tab` names the tab it came from (for calls). */
  apply(action: RealtimeAction, tab: string): void {
    const m = this.#ensureMachine();
    if (action.kind === 'call') {
      this.#track(tab, action.room, action.inCall);
      m.setInCall(action.room, this.#anyTabIn(action.room), this.#o.clock.now());
    } else {
      applyRealtimeAction(m, action, this.#o.clock.now());
    }
    this.link?.pump();
  }

  /** A tab went away: its calls end (unless another tab is in them). */
  dropTab(tab: string): void {
    const rooms = this.#calls.get(tab);
    this.#calls.delete(tab);
    for (const room of rooms ?? []) if (this.machine) this.apply({ kind: 'call', room, inCall: false }, tab);
  }

  /**
   * What a tab that starts relaying needs to know: a login dump of the current state (client
   * id, presences, in-call flags, own presence), as realtime events.
   */
  snapshot(): RealtimeClientEvent[] {
    const out: RealtimeClientEvent[] = [{ type: 'hello', clientId: this.clientId }];
    for (const [user, presence] of this.presence.entries()) out.push({ type: 'presence', user, presence });
    for (const room of this.inCall.flags.keys()) out.push({ type: 'in_call', room, flag: true });
    out.push({ type: 'own_presence', presence: this.ownPresence }, { type: 'ready' });
    return out;
  }

  /** This tab's own lasting wishes (calls, presence choice), to hand to a new leader. */
  intents(): RealtimeAction[] {
    const out: RealtimeAction[] = [...(this.#calls.get(SELF) ?? [])].map((room) => ({
      kind: 'call',
      room,
      inCall: true,
    }));
    if (this.#presenceChoice !== undefined) out.push({ kind: 'presence', presence: this.#presenceChoice });
    return out;
  }

  /**
   * Switches between owning the connection (`undefined`) and relaying to the tab that does. On
   * becoming the owner, this tab's calls and presence choice are applied to its own connection.
   */
  setRelay(relay: RealtimeRelay | undefined): void {
    if (relay === this.#relay) return;
    this.#relay = relay;
    if (relay) {
      this.link?.stop();
      this.link = undefined;
      this.#calls.forEach((_rooms, tab) => {
        if (tab !== SELF) this.#calls.delete(tab);
      });
    } else {
      this.#relayed = { state: 'stopped', clientId: 0 };
      for (const a of this.intents()) this.apply(a, SELF);
      if (this.#running) this.#startLink();
    }
    this.#onState();
  }

  /** Input from the leader tab: one of its realtime events, or its channel state. */
  receive(input: { event?: RealtimeClientEvent; state?: ChannelState; clientId?: number }): void {
    if (!this.#relay) return;
    if (input.state !== undefined || input.clientId !== undefined) {
      this.#relayed = {
        state: input.state ?? this.#relayed.state,
        clientId: input.clientId ?? this.#relayed.clientId,
      };
      this.#onState();
    }
    if (input.event) this.#dispatch(input.event);
  }

  #startLink(): void {
    const o = this.#o;
    this.link = new RealtimeLink({
      api: this.#api,
      webSocket: o.webSocket,
      machine: this.#ensureMachine(),
      clock: o.clock,
      timers: o.timers,
      policy: this.#policy,
      stableAfterMs: o.stableAfterMs,
      hooks: {
        event: (e) => {
          this.#dispatch(e);
          this.#emit('realtimeEvent', e);
        },
        state: (s) => {
          this.#onState();
          this.#emit('realtimeState', s, this.clientId);
        },
        unauthorized: this.#onUnauthorized,
        warning: (e) => this.#emit('warning', e),
      },
    });
    this.link.start();
  }

  #ensureMachine(): RealtimeClient {
    const r = this.#o.realtime ?? {};
    this.machine ??= new RealtimeClient({
      presence: r.presence ?? 2,
      idlePresence: r.idlePresence ?? 1,
      idleAfterMs: r.idleAfterMs ?? 300_000,
    });
    return this.machine;
  }

  #dispatch(e: RealtimeClientEvent): void {
    dispatchRealtimeEvent(e, {
      rooms: this.#rooms,
      presence: this.presence,
      inCall: this.inCall,
      emit: this.#emit,
      setOwnPresence: (p) => {
        this.ownPresence = p;
      },
    });
  }

  #track(tab: string, room: HandleHex, inCall: boolean): void {
    const set = this.#calls.get(tab) ?? new Set<HandleHex>();
    if (inCall) set.add(room);
    else set.delete(room);
    if (set.size > 0) this.#calls.set(tab, set);
    else this.#calls.delete(tab);
  }

  #anyTabIn(room: HandleHex): boolean {
    for (const rooms of this.#calls.values()) if (rooms.has(room)) return true;
    return false;
  }
}
