// Waiting long-polls do not hold `maxInFlight` slots: idle clients cannot starve other requests.
import { afterEach, describe, expect, it } from 'vitest';
import { syncServiceOf } from '../../src/sync/index.js';
import { type Answer, call, register, startTestServer, V3 } from '../helpers.js';
import { sync, syncCall } from './sync-helpers.js';

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s();
});

async function eventually(check: () => boolean, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('long-polls and maxInFlight', () => {
  it('serves other requests while more long-polls than maxInFlight wait', async () => {
    const t = await startTestServer({ maxInFlight: 2 });
    stops.push(t.stop);
    const base = t.server.url;
    const engine = syncServiceOf(t.server)!.engine;
    const alice = await register(base, 'alice');
    const aborts: AbortController[] = [];
    const polls: Promise<Answer>[] = [];
    for (let i = 1; i <= 3; i++) {
      // A new session each time (no `since`), then its long-poll, which has nothing to wake it.
      const first = await sync(base, alice, undefined, { to_device: {} });
      const abort = new AbortController();
      aborts.push(abort);
      polls.push(syncCall(base, alice, first.next, {}, { timeout: 25_000, signal: abort.signal }));
      polls.at(-1)?.catch(() => {}); // aborted at the end
      await eventually(() => engine.waitingCount === i);
    }
    // Three long-polls wait with maxInFlight 2; ordinary requests are still answered.
    const versions = await call(base, 'GET', '/_matrix/client/versions');
    expect(versions.status, versions.text).toBe(200);
    const whoami = await call(base, 'GET', `${V3}/account/whoami`, { token: alice.token });
    expect(whoami.status, whoami.text).toBe(200);
    expect(whoami.json.user_id).toBe(alice.userId);
    expect(engine.waitingCount).toBe(3);
    for (const a of aborts) a.abort();
  });
});
