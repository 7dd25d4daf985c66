import type { Store } from '@parley/core';

const PREFIX = 'sync/tab/';
const LOCK_PREFIX = 'parley-tab-';

/** The part of the Web Locks API (`navigator.locks`) used here. */
export interface LockManagerLike {
  request(name: string, callback: () => Promise<unknown>): Promise<unknown>;
  query(): Promise<{ held?: Array<{ name?: string }> }>;
}

/**
 * A sync session store key of this page's own, so that two tabs sharing one IndexedDB do not cut
 * each other's long-polls short (sync v3 answers a waiting request when another request of the
 * same session arrives). The page holds a Web Lock named after its key for as long as it lives;
 * keys whose lock nobody holds belong to closed pages and are deleted, which bounds them to the
 * open tabs. Without the Web Locks API, every page uses the one shared key.
 */
export function tabSyncKey(
  store: Store,
  locks: LockManagerLike | undefined = webLocks(),
): string | undefined {
  if (!locks) return undefined;
  const id = Array.from(globalThis.crypto.getRandomValues(new Uint8Array(8)), (b) =>
    b.toString(16).padStart(2, '0'),
  ).join('');
  // Held until the page goes away: the callback's promise never settles.
  void locks.request(`${LOCK_PREFIX}${id}`, () => new Promise(() => undefined)).catch(() => undefined);
  void removeClosedTabSessions(store, locks, id).catch(() => undefined);
  return `${PREFIX}${id}`;
}

/** Deletes the sync sessions of pages that no longer hold their lock. */
export async function removeClosedTabSessions(
  store: Store,
  locks: LockManagerLike,
  ownId: string,
): Promise<void> {
  const held = new Set(((await locks.query()).held ?? []).map((l) => l.name));
  for (const key of await store.keys(PREFIX)) {
    const id = key.slice(PREFIX.length);
    if (id !== ownId && !held.has(`${LOCK_PREFIX}${id}`)) await store.delete(key);
  }
}

function webLocks(): LockManagerLike | undefined {
  return (globalThis.navigator as { locks?: LockManagerLike } | undefined)?.locks;
}
