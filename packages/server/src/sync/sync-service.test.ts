import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeClock, nodeRandom, nodeTimers } from '@parley/transport-node';
import { afterEach, describe, expect, it } from 'vitest';
import { loadOrCreateSigningKey } from '../keys/signing-key-file.js';
import { createLogger } from '../observability/logger.js';
import { RoomService } from '../rooms/room-service.js';
import { SqliteStorage } from '../storage/sqlite/sqlite-storage.js';
import type { Storage } from '../storage/storage.js';
import { SyncService } from './sync-service.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const settings = { limits: {}, typingMaxTimeoutMs: 30_000, toDeviceMaxMessages: 100, toDeviceMaxQueued: 100 };

describe('SyncService.start', () => {
  it('indexes events stored while it reads the storage (a networked database answers later)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-sync-start-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const sqlite = SqliteStorage.open({ path: join(dir, 'p.db') });
    cleanups.push(() => sqlite.close());
    const { key } = loadOrCreateSigningKey(dir, nodeRandom);
    const alice = '@alice:hs';
    const deps = { serverName: 'hs', key, clock: nodeClock, random: nodeRandom };
    const before = await new RoomService({ storage: sqlite, ...deps }).createRoom(alice, {
      preset: 'private_chat',
      name: 'before',
      invite: [],
    });
    // The room heads arrive late, as from PostgreSQL under load.
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const slow = new Proxy(sqlite, {
      get(target, prop, receiver) {
        if (prop === 'getRoomHeads') return async () => gate.then(() => target.getRoomHeads());
        const v = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    }) as Storage;
    const rooms = new RoomService({ storage: slow, ...deps });
    const starting = SyncService.start({
      storage: slow,
      rooms,
      ...deps,
      timers: nodeTimers,
      logger: createLogger('silent'),
      settings,
    });
    const during = await rooms.createRoom(alice, { preset: 'private_chat', name: 'during', invite: [] });
    release();
    const sync = await starting;
    cleanups.push(() => sync.close());
    const body = await sync.sync({
      userId: alice,
      deviceId: 'D',
      body: { room_list: { p: { since: '1' } } },
    });
    const names = (body.room_list?.rooms ?? []).map((r) => ('name' in r ? r.name : undefined));
    expect(names).toEqual(['during', 'before']);
    expect(body.room_list?.rooms.map((r) => r.room_id)).toEqual([during.roomId, before.roomId]);
  });
});
