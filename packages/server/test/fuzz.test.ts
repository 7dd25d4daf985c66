import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParleyServer } from '../src/index.js';
import { call, register, roomPath, startTestServer, type TestUser, V3 } from './helpers.js';

const TYPES = [
  'm.room.message',
  'm.room.member',
  'm.room.create',
  'm.room.power_levels',
  'm.room.join_rules',
  'm.room.name',
  'm.room.third_party_invite',
  'x.custom',
];

const json = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.constantFrom('join', 'invite', 'leave', 'ban', 'knock', 'public', 100, -1, '@bob:test.local'),
    fc.array(tie('value'), { maxLength: 3 }),
    tie('object'),
  ),
  object: fc.dictionary(
    fc.oneof(
      fc.string(),
      fc.constantFrom('membership', 'join_rule', 'users', 'events', 'ban', 'users_default'),
    ),
    tie('value'),
    { maxKeys: 4 },
  ),
}));

/**
 * Whatever content, type and state key a member or a stranger sends, the answer is a success or
 * a Matrix client error: never a 5xx, never a hang.
 */
describe('random events through the API', () => {
  let server: ParleyServer;
  let stop: () => Promise<void>;
  let alice: TestUser;
  let bob: TestUser;
  let roomId: string;
  beforeAll(async () => {
    const t = await startTestServer();
    server = t.server;
    stop = t.stop;
    alice = await register(server.url, 'alice');
    bob = await register(server.url, 'bob');
    roomId = (
      await call(server.url, 'POST', `${V3}/createRoom`, {
        token: alice.token,
        body: { preset: 'public_chat' },
      })
    ).json.room_id;
  });
  afterAll(() => stop());

  it('never answers 5xx', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('alice', 'bob'),
        fc.constantFrom(...TYPES),
        fc.option(
          fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('', '@alice:test.local', '@bob:test.local')),
        ),
        json.object,
        async (who, type, stateKey, content) => {
          const token = who === 'alice' ? alice.token : bob.token;
          const path =
            stateKey === null
              ? roomPath(roomId, `send/${encodeURIComponent(type)}/fuzz${n++}`)
              : roomPath(roomId, `state/${encodeURIComponent(type)}/${encodeURIComponent(stateKey)}`);
          const r = await call(server.url, 'PUT', path, { token, body: content });
          expect([200, 400, 403, 413]).toContain(r.status);
          if (r.status !== 200) expect(r.json.errcode).toMatch(/^M_/);
        },
      ),
      { numRuns: 150, seed: 2024 },
    );
    // The room still works afterwards.
    expect((await call(server.url, 'GET', '/health')).status).toBe(200);
    const page = await call(server.url, 'GET', roomPath(roomId, 'messages?limit=5'), { token: alice.token });
    expect([200, 403]).toContain(page.status);
  });
});
