import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStorage } from './sqlite-storage.js';

const cleanups: (() => void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) c();
});

async function open(): Promise<{ s: SqliteStorage; path: string }> {
  const d = mkdtempSync(join(tmpdir(), 'parley-rt-storage-'));
  const path = join(d, 'p.db');
  const s = SqliteStorage.open({ path });
  cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  cleanups.unshift(() => void s.close());
  let n = 0;
  for (const name of ['alice', 'bob', 'carol']) {
    await s.createUser({ userId: `@${name}:t`, localpart: name, passwordHash: 'x', createdTs: 0 }, () =>
      (++n).toString(16).padStart(16, '0'),
    );
  }
  return { s, path };
}

describe('SqliteStorage contacts', () => {
  it('adds one-sided contacts, lists both directions with handles, removes', async () => {
    const { s } = await open();
    expect(await s.addContact('@alice:t', '@bob:t', 1, 10)).toBe('added');
    expect(await s.addContact('@alice:t', '@bob:t', 2, 10)).toBe('exists');
    expect(await s.addContact('@carol:t', '@bob:t', 3, 10)).toBe('added');
    expect(await s.getContacts('@alice:t')).toEqual([{ userId: '@bob:t', handle: '0000000000000002' }]);
    expect(await s.getContacts('@bob:t')).toEqual([]);
    expect(await s.getContactOf('@bob:t')).toEqual([
      { userId: '@alice:t', handle: '0000000000000001' },
      { userId: '@carol:t', handle: '0000000000000003' },
    ]);
    expect(await s.removeContact('@alice:t', '@bob:t')).toBe(true);
    expect(await s.removeContact('@alice:t', '@bob:t')).toBe(false);
    expect(await s.getContactOf('@bob:t')).toEqual([{ userId: '@carol:t', handle: '0000000000000003' }]);
  });

  it('refuses a contact past the limit and an unknown user', async () => {
    const { s } = await open();
    expect(await s.addContact('@alice:t', '@bob:t', 1, 1)).toBe('added');
    expect(await s.addContact('@alice:t', '@carol:t', 1, 1)).toBe('full');
    expect(await s.getContacts('@alice:t')).toHaveLength(1);
    await expect(s.addContact('@alice:t', '@nobody:t', 1, 10)).rejects.toThrow(/FOREIGN KEY/);
  });
});

describe('SqliteStorage realtime tickets', () => {
  const alice = { userId: '@alice:t', deviceId: 'D1' };

  it('takes a ticket once, and not after it expired', async () => {
    const { s } = await open();
    expect(await s.addRealtimeTicket('h1', alice, 1000, 0, 10)).toBe(true);
    expect(await s.addRealtimeTicket('h2', alice, 1000, 0, 10)).toBe(true);
    expect(await s.takeRealtimeTicket('h1', 999)).toEqual(alice);
    expect(await s.takeRealtimeTicket('h1', 999)).toBeUndefined();
    expect(await s.takeRealtimeTicket('h2', 1000)).toBeUndefined();
    expect(await s.takeRealtimeTicket('nope', 0)).toBeUndefined();
  });

  it('bounds unexpired tickets per user and prunes expired ones', async () => {
    const { s, path } = await open();
    expect(await s.addRealtimeTicket('a', alice, 100, 0, 2)).toBe(true);
    expect(await s.addRealtimeTicket('b', alice, 100, 0, 2)).toBe(true);
    expect(await s.addRealtimeTicket('c', alice, 100, 0, 2)).toBe(false);
    expect(await s.addRealtimeTicket('d', { userId: '@bob:t', deviceId: 'B' }, 100, 0, 2)).toBe(true);
    // At 100 the first two have expired: they are pruned and make room.
    expect(await s.addRealtimeTicket('e', alice, 200, 100, 2)).toBe(true);
    const db = new Database(path, { readonly: true });
    const rows = db.prepare('SELECT ticket_hash FROM realtime_tickets ORDER BY ticket_hash').all();
    db.close();
    expect(rows).toEqual([{ ticket_hash: 'e' }]);
  });
});
