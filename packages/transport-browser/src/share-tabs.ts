import {
  type LeaderElection,
  type ParleyClient,
  type TabChannel,
  type TabMessage,
  TabShare,
} from '@parley/core';
import { browserClock, browserTimers } from './platform.js';

/** Options of {@link shareTabs}. */
export interface ShareTabsOptions {
  /** Tabs with the same name share (use the IndexedDB database name). Default `parley`. */
  name?: string;
}

/** The part of the Web Locks API used for the election. */
interface LocksWithSignal {
  request(
    name: string,
    options: { signal?: AbortSignal },
    callback: () => Promise<unknown>,
  ): Promise<unknown>;
}

/**
 * Makes the tabs of this browser share one login and one realtime connection: a leader elected
 * through the Web Locks API owns the connection, the others relay through it over a
 * `BroadcastChannel`, and when the leader's page closes the lock passes to another tab, which
 * takes over. Returns the running {@link TabShare}, or `undefined` when the browser lacks
 * `BroadcastChannel` or Web Locks (then each tab keeps its own connection).
 */
export function shareTabs(client: ParleyClient, options: ShareTabsOptions = {}): TabShare | undefined {
  const locks = (globalThis.navigator as { locks?: LocksWithSignal } | undefined)?.locks;
  const BC = globalThis.BroadcastChannel;
  if (!locks || !BC) return undefined;
  const name = options.name ?? 'parley';
  const bc = new BC(`parley-tabs:${name}`);
  const channel: TabChannel = {
    onmessage: null,
    post: (m: TabMessage) => bc.postMessage(m),
    close: () => bc.close(),
  };
  bc.onmessage = (e: MessageEvent<TabMessage>) => channel.onmessage?.(e.data);
  const election: LeaderElection = {
    acquire: (signal) =>
      new Promise<void>((resolve, reject) => {
        locks
          .request(`parley-leader:${name}`, { signal }, () => {
            resolve();
            // Held until this tab stops sharing (or its page goes away).
            return new Promise<void>((release) =>
              signal.addEventListener('abort', () => release(), { once: true }),
            );
          })
          .catch(reject);
      }),
  };
  const tabId = Array.from(globalThis.crypto.getRandomValues(new Uint8Array(8)), (b) =>
    b.toString(16).padStart(2, '0'),
  ).join('');
  const share = new TabShare(client, {
    channel,
    election,
    clock: browserClock,
    timers: browserTimers,
    tabId,
  });
  share.start();
  globalThis.addEventListener?.('pagehide', () => share.stop(), { once: true });
  return share;
}
