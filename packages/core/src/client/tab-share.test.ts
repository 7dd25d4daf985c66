import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../io.js';
import type { ParleyClient } from './parley-client.js';
import { type LeaderElection, type TabChannel, type TabMessage, TabShare } from './tab-share.js';
import { ClientTestWorld } from './testing/harness.js';

const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

/** BroadcastChannel in memory: every other member gets a structured clone, asynchronously. */
class Bus {
  readonly #members = new Set<TabChannel>();
  channel(): TabChannel {
    const ch: TabChannel = {
      onmessage: null,
      post: (m: TabMessage) => {
        if (!this.#members.has(ch)) return; // a closed (crashed) tab says nothing more
        for (const other of this.#members) {
          if (other === ch) continue;
          const copy = structuredClone(m);
          queueMicrotask(() => other.onmessage?.(copy));
        }
      },
      close: () => this.#members.delete(ch),
    };
    this.#members.add(ch);
    return ch;
  }
}

/** Web Locks in memory: one holder, waiters served in order when it lets go. */
class Locks implements LeaderElection {
  #held = false;
  readonly #waiting: Array<() => void> = [];
  acquire(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const grant = (): void => {
        this.#held = true;
        resolve();
        signal.addEventListener('abort', () => this.#release(), { once: true });
      };
      if (!this.#held) grant();
      else this.#waiting.push(grant);
    });
  }
  #release(): void {
    this.#held = false;
    this.#waiting.shift()?.();
  }
}

function browser(w: ClientTestWorld) {
  const store = new MemoryStore();
  const bus = new Bus();
  const locks = new Locks();
  let n = 0;
  const tab = (): { client: ParleyClient; share: TabShare; channel: TabChannel } => {
    const id = `tab${++n}`;
    const client = w.client(store, { sync: { sessionKey: `sync/tab/${id}` } });
    const channel = bus.channel();
    const share = new TabShare(client, {
      channel,
      election: locks,
      clock: w.clock,
      timers: w.clock,
      tabId: id,
    });
    share.start();
    return { client, share, channel };
  };
  return { tab };
}

describe('TabShare: one login and one realtime connection for the tabs of a browser', () => {
  it('shares the login and the connection, relays messages both ways, and hands over when the leader closes', async () => {
    const w = new ClientTestWorld(settle);
    const b = browser(w);
    const t1 = b.tab();
    const t2 = b.tab();
    await w.run(10);
    expect(t1.share.isLeader).toBe(true);
    expect(t2.share.isLeader).toBe(false);

    await t1.client.register({ username: 'alice', password: 'pw' });
    await w.until(() => t2.client.userId === '@alice:mini');
    const bob = w.client();
    await bob.register({ username: 'bob', password: 'pw' });
    const { roomId } = await t1.client.createRoom({ name: 'Tabs' });
    await bob.joinRoom(roomId);
    for (const c of [t1.client, t2.client, bob]) await c.openRoom(roomId);
    await w.until(() => [t1.client, t2.client, bob].every((c) => c.connection === 'online'));
    await w.until(() => [t1.client, t2.client].every((c) => (c.room(roomId)?.members.size ?? 0) === 2));
    // Alice's two tabs use one realtime connection (plus Bob's).
    expect(w.server.realtime.connectionCount).toBe(2);
    expect(t2.client.clientId).toBe(t1.client.clientId);
    await w.until(() => t2.client.presenceOf('@bob:mini') === 2);

    const inbox: string[] = [];
    for (const [name, c] of [
      ['t1', t1.client],
      ['t2', t2.client],
      ['bob', bob],
    ] as const) {
      c.on('rtmsg', (m) => inbox.push(`${name}:${new TextDecoder().decode(m.data)}`));
    }
    bob.sendRealtime({ roomId, msgtype: 1, data: new TextEncoder().encode('to the room') });
    t2.client.sendRealtime({
      roomId,
      userId: '@bob:mini',
      msgtype: 1,
      data: new TextEncoder().encode('from tab 2'),
    });
    await w.run(200);
    expect(inbox.sort()).toEqual(['bob:from tab 2', 't1:to the room', 't2:to the room']);

    // A call joined in the follower tab.
    t2.client.joinCall(roomId);
    bob.joinCall(roomId);
    await w.until(() => bob.room(roomId)?.inCall === true && t2.client.room(roomId)?.inCall === true);

    // The leader tab closes: tab 2 is elected, opens its own connection and keeps the call up.
    t1.share.stop();
    await t1.client.stop();
    await w.until(() => t2.share.isLeader && t2.client.connection === 'online');
    await w.run(30_000);
    expect(w.server.realtime.connectionCount).toBe(2);
    expect(bob.room(roomId)?.inCall).toBe(true);
    expect(t2.client.room(roomId)?.inCall).toBe(true);
    t2.client.leaveCall(roomId);
    await w.until(() => bob.room(roomId)?.inCall === false);
    for (const c of [t2.client, bob]) await c.stop();
  });

  it('ends the calls of a follower tab that went away', async () => {
    const w = new ClientTestWorld(settle);
    const b = browser(w);
    const t1 = b.tab();
    const t2 = b.tab();
    await t1.client.register({ username: 'alice', password: 'pw' });
    const bob = w.client();
    await bob.register({ username: 'bob', password: 'pw' });
    const { roomId } = await t1.client.createRoom({ name: 'R' });
    await bob.joinRoom(roomId);
    await w.until(
      () => t2.client.connection === 'online' && t2.client.room(roomId)?.roomHandle !== undefined,
    );
    t2.client.joinCall(roomId);
    bob.joinCall(roomId);
    await w.until(() => bob.room(roomId)?.inCall === true);
    // Tab 2 vanishes without a goodbye (a crash): its channel goes silent. After tabTimeoutMs
    // (15 s) without its heartbeat the leader ends its call.
    t2.channel.close();
    await t2.client.stop();
    await w.run(10_000);
    expect(bob.room(roomId)?.inCall).toBe(true);
    await w.until(() => bob.room(roomId)?.inCall === false, 60_000);
    for (const c of [t1.client, bob]) await c.stop();
  });

  it('a logout in one tab logs out the others', async () => {
    const w = new ClientTestWorld(settle);
    const b = browser(w);
    const t1 = b.tab();
    const t2 = b.tab();
    await t2.client.register({ username: 'alice', password: 'pw' });
    await w.until(() => t1.client.userId === '@alice:mini' && t1.client.connection === 'online');
    await t2.client.logout();
    await w.until(() => t1.client.credentials === undefined);
    expect(t1.client.connection).toBe('offline');
    expect(t1.client.rooms).toEqual([]);
  });
});
