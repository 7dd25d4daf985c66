import { ParleyError } from '../errors.js';
import type { Timers } from '../io.js';

/**
 * Waits `ms` on the injected timers; rejects with `aborted` as soon as `signal` fires, and
 * clears its timer then so nothing fires later.
 */
export function sleep(timers: Timers, ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(ParleyError.aborted(signal.reason));
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      timers.clear(id);
      reject(ParleyError.aborted(signal?.reason));
    };
    const id = timers.set(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
