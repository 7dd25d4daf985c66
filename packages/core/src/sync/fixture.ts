import { FakeClock } from '../testing/fake-clock.js';
import { SeededRandom } from '../testing/seeded-random.js';
import { SyncEngine, type SyncOutcome } from './engine.js';
import type { SyncLimits } from './limits.js';
import { MemorySyncDataSource } from './memory-data-source.js';
import type { SyncResponseBody } from './types.js';

/**
 * An engine over an in-memory source with a fake clock and seeded randomness, for the sync tests
 * and benchmarks. Not exported from the package.
 */
export function syncFixture(options: { limits?: Partial<SyncLimits>; seed?: number } = {}) {
  const clock = new FakeClock(1_000_000);
  const random = new SeededRandom(options.seed ?? 1);
  const source = new MemorySyncDataSource({ now: () => clock.now() });
  const errors: unknown[] = [];
  const engine = new SyncEngine({
    source,
    random,
    limits: options.limits ?? {},
    onError: (e) => errors.push(e),
  });
  const request = (
    userId: string,
    deviceId: string,
    since: string | undefined,
    body: unknown = {},
    timeout?: number,
    signal?: AbortSignal,
  ): Promise<SyncOutcome> =>
    engine.handleRequest(
      clock.now(),
      {
        userId,
        deviceId,
        body,
        ...(since === undefined ? {} : { since }),
        ...(timeout === undefined ? {} : { timeout }),
      },
      signal === undefined ? {} : { signal },
    );
  /** A request that must answer at once. */
  const sync = async (
    userId: string,
    deviceId: string,
    since: string | undefined,
    body: unknown = {},
  ): Promise<SyncResponseBody> => {
    const out = await request(userId, deviceId, since, body);
    if (out.kind !== 'response') throw new Error('expected an immediate response');
    return out.body;
  };
  return { clock, random, source, engine, errors, request, sync };
}
