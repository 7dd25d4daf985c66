import type { ParleyClient } from '@parley/core';

/** Options of {@link watchBrowser}. */
export interface WatchBrowserOptions {
  /** Where input events are listened for. Default `window`. */
  target?: EventTarget;
  /** At most one `activity()` per this many ms (input events come in bursts). Default 5000. */
  throttleMs?: number;
}

const INPUT_EVENTS = ['pointerdown', 'keydown', 'wheel', 'touchstart', 'focus'];

/**
 * Connects the page to the client's hooks: user input counts as activity (the idle timer lowers
 * presence only after none for `idleAfterMs`), the tab becoming visible counts too, and the
 * browser's `online` event retries the connection at once. Returns a function that removes the
 * listeners.
 */
export function watchBrowser(client: ParleyClient, options: WatchBrowserOptions = {}): () => void {
  const target = options.target ?? globalThis.window;
  const throttle = options.throttleMs ?? 5000;
  let last = Number.NEGATIVE_INFINITY;
  const activity = (): void => {
    const now = Date.now();
    if (now - last < throttle) return;
    last = now;
    try {
      client.activity();
    } catch {
      // Not logged in yet, or realtime disabled: nothing to tell.
    }
  };
  const visible = (): void => {
    if (globalThis.document?.visibilityState === 'visible') activity();
  };
  const online = (): void => client.reconnectNow();
  for (const e of INPUT_EVENTS) target.addEventListener(e, activity, { passive: true });
  globalThis.document?.addEventListener('visibilitychange', visible);
  target.addEventListener('online', online);
  return () => {
    for (const e of INPUT_EVENTS) target.removeEventListener(e, activity);
    globalThis.document?.removeEventListener('visibilitychange', visible);
    target.removeEventListener('online', online);
  };
}
