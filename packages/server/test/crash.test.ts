import { afterAll, describe, expect, it } from 'vitest';
import { call, type ServerProcess, spawnServer, tempDir, V3 } from './helpers.js';

/**
 * Durability: everything the server acknowledged survives SIGKILL (no shutdown code runs) and a
 * restart on the same data dir.
 */
describe('crash and restart', () => {
  const t = tempDir('parley-crash-');
  const running: ServerProcess[] = [];
  afterAll(() => {
    for (const p of running) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    t.cleanup();
  });
  const args = ['--data-dir', t.dir, '--server-name', 'crash.test'];

  it('keeps every acknowledged user, token, room, handle and event', async () => {
    const first = await spawnServer(args);
    running.push(first);
    const base = first.url;
    const reg = async (username: string) =>
      (await call(base, 'POST', `${V3}/register`, { body: { username, password: `pw-${username}` } })).json;
    const alice = await reg('alice');
    const bob = await reg('bob');
    const room = (
      await call(base, 'POST', `${V3}/createRoom`, {
        token: alice.access_token,
        body: { invite: [bob.user_id] },
      })
    ).json;
    const roomPath = `${V3}/rooms/${encodeURIComponent(room.room_id)}`;
    expect((await call(base, 'POST', `${roomPath}/join`, { token: bob.access_token })).status).toBe(200);
    const sent: string[] = [];
    for (let i = 0; i < 30; i++) {
      const who = i % 2 === 0 ? alice : bob;
      const r = await call(base, 'PUT', `${roomPath}/send/m.room.message/txn${i}`, {
        token: who.access_token,
        body: { msgtype: 'm.text', body: `message ${i}` },
      });
      expect(r.status).toBe(200);
      sent.push(r.json.event_id);
    }
    const before = (
      await call(base, 'GET', `${roomPath}/messages?dir=f&limit=100`, { token: alice.access_token })
    ).json;
    // Kill right after the last acknowledgement: no graceful shutdown, no WAL checkpoint.
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');

    const second = await spawnServer(args);
    running.push(second);
    const b2 = second.url;
    expect(b2).not.toBe(base);
    for (const u of [alice, bob]) {
      const who = await call(b2, 'GET', `${V3}/account/whoami`, { token: u.access_token });
      expect(who.json).toEqual({ user_id: u.user_id, device_id: u.device_id, user_handle: u.user_handle });
    }
    const relog = await call(b2, 'POST', `${V3}/login`, {
      body: { type: 'm.login.password', identifier: { type: 'm.id.user', user: 'bob' }, password: 'pw-bob' },
    });
    expect(relog.json.user_handle).toBe(bob.user_handle);
    // Read by the same device as before: its own events carry their txn ids, which survive too.
    const after = (
      await call(b2, 'GET', `${roomPath}/messages?dir=f&limit=100`, { token: alice.access_token })
    ).json;
    expect(after.chunk).toEqual(before.chunk);
    expect(after.chunk.filter((e: { unsigned?: unknown }) => e.unsigned !== undefined)).toHaveLength(15);
    expect(
      after.chunk
        .filter((e: { type: string }) => e.type === 'm.room.message')
        .map((e: { event_id: string }) => e.event_id),
    ).toEqual(sent);
    const rejoin = await call(b2, 'POST', `${roomPath}/join`, { token: bob.access_token });
    expect(rejoin.json.room_handle).toBe(room.room_handle);
    // The transaction ids survived too: a retried send is the same event.
    const retry = await call(b2, 'PUT', `${roomPath}/send/m.room.message/txn29`, {
      token: bob.access_token,
      body: { msgtype: 'm.text', body: 'message 29' },
    });
    expect(retry.json.event_id).toBe(sent[29]);
    // And new events continue the DAG.
    const next = await call(b2, 'PUT', `${roomPath}/send/m.room.message/txn-new`, {
      token: alice.access_token,
      body: { msgtype: 'm.text', body: 'after the crash' },
    });
    expect(next.status).toBe(200);

    second.child.kill('SIGTERM');
    expect(await second.exited).toEqual({ code: 0, signal: null });
  });

  it('refuses a data dir created under another server name', async () => {
    const other = await spawnServer(['--data-dir', t.dir, '--server-name', 'other.test']).catch(
      (e: Error) => e,
    );
    expect(other).toBeInstanceOf(Error);
    expect(String(other)).toMatch(/belongs to server name "crash.test"/);
    expect(String(other)).toMatch(/exited \(2\)/);
  });
});
