import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, register, startTestServer, TEST_SERVER_NAME, V3 } from './helpers.js';
import { queryRows } from './test-database.js';

describe('accounts: register, login, logout, whoami', () => {
  let base: string;
  let dir: string;
  let stop: () => Promise<void>;
  beforeAll(async () => {
    const t = await startTestServer();
    base = t.server.url;
    dir = t.dir;
    stop = t.stop;
  });
  afterAll(() => stop());

  it('registers a user with a token, a device and a handle', async () => {
    const r = await call(base, 'POST', `${V3}/register`, { body: { username: 'alice', password: 'secret' } });
    expect(r.status).toBe(200);
    expect(r.json.user_id).toBe(`@alice:${TEST_SERVER_NAME}`);
    expect(r.json.access_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(r.json.device_id).toMatch(/^[A-Z]{10}$/);
    expect(r.json.user_handle).toMatch(/^[0-9a-f]{16}$/);
    expect(r.json.user_handle).not.toBe('0000000000000000');
    const who = await call(base, 'GET', `${V3}/account/whoami`, { token: r.json.access_token });
    expect(who.json).toEqual({
      user_id: r.json.user_id,
      device_id: r.json.device_id,
      user_handle: r.json.user_handle,
    });
  });

  it('keeps the given device_id', async () => {
    const u = await register(base, 'dev-given', 'MYPHONE');
    expect(u.deviceId).toBe('MYPHONE');
  });

  it('logs in by localpart or full user id, with a new token each time', async () => {
    const u = await register(base, 'bob');
    const byLocal = await call(base, 'POST', `${V3}/login`, {
      body: { type: 'm.login.password', identifier: { type: 'm.id.user', user: 'bob' }, password: 'pw-bob' },
    });
    expect(byLocal.status).toBe(200);
    expect(byLocal.json.user_id).toBe(u.userId);
    expect(byLocal.json.user_handle).toBe(u.handle);
    expect(byLocal.json.access_token).not.toBe(u.token);
    const byId = await call(base, 'POST', `${V3}/login`, {
      body: {
        type: 'm.login.password',
        identifier: { type: 'm.id.user', user: u.userId },
        password: 'pw-bob',
        device_id: 'LAPTOP',
      },
    });
    expect(byId.status).toBe(200);
    expect(byId.json.device_id).toBe('LAPTOP');
    // Both tokens work side by side.
    for (const token of [u.token, byLocal.json.access_token, byId.json.access_token]) {
      expect((await call(base, 'GET', `${V3}/account/whoami`, { token })).status).toBe(200);
    }
  });

  it('refuses a wrong password and an unknown user alike', async () => {
    await register(base, 'carol');
    for (const [user, password] of [
      ['carol', 'wrong'],
      ['nobody', 'pw-nobody'],
    ]) {
      const r = await call(base, 'POST', `${V3}/login`, {
        body: { type: 'm.login.password', identifier: { type: 'm.id.user', user }, password },
      });
      expect(r.status).toBe(403);
      expect(r.json).toEqual({ errcode: 'M_FORBIDDEN', error: 'Invalid username or password' });
    }
  });

  it('logout invalidates only that token', async () => {
    const u = await register(base, 'dave');
    const second = await call(base, 'POST', `${V3}/login`, {
      body: {
        type: 'm.login.password',
        identifier: { type: 'm.id.user', user: 'dave' },
        password: 'pw-dave',
      },
    });
    const out = await call(base, 'POST', `${V3}/logout`, { token: u.token });
    expect(out.status).toBe(200);
    const after = await call(base, 'GET', `${V3}/account/whoami`, { token: u.token });
    expect(after.status).toBe(401);
    expect(after.json.errcode).toBe('M_UNKNOWN_TOKEN');
    expect(
      (await call(base, 'GET', `${V3}/account/whoami`, { token: second.json.access_token })).status,
    ).toBe(200);
  });

  it('stores tokens hashed and passwords as salted scrypt', async () => {
    const u1 = await register(base, 'erin');
    const u2 = await call(base, 'POST', `${V3}/register`, {
      body: { username: 'frank', password: 'pw-erin' },
    });
    const tokens = await queryRows<{ token_hash: string }>(dir, 'SELECT token_hash FROM access_tokens');
    expect(tokens.length).toBeGreaterThan(0);
    expect(tokens.some((t) => t.token_hash === u1.token)).toBe(false);
    expect(tokens.every((t) => /^[0-9a-f]{64}$/.test(t.token_hash))).toBe(true);
    const hashes = await queryRows<{ password_hash: string }>(
      dir,
      'SELECT password_hash FROM users WHERE localpart IN (?, ?)',
      'erin',
      'frank',
    );
    expect(hashes).toHaveLength(2);
    for (const h of hashes) expect(h.password_hash).toMatch(/^scrypt\$10\$8\$1\$/);
    // Same password, different salt: different hashes.
    expect(hashes[0]!.password_hash).not.toBe(hashes[1]!.password_hash);
    expect(u2.status).toBe(200);
  });

  it('hands out distinct handles', async () => {
    const handles = new Set<string>();
    for (let i = 0; i < 20; i++) handles.add((await register(base, `many${i}`)).handle);
    expect(handles.size).toBe(20);
  });
});

describe('login rate limit', () => {
  it('answers 429 M_LIMIT_EXCEEDED with retry_after_ms once the bucket is empty', async () => {
    const { server, stop } = await startTestServer({ loginBurst: 3, loginPerMinute: 1 });
    try {
      const login = () =>
        call(server.url, 'POST', `${V3}/login`, {
          body: { type: 'm.login.password', identifier: { type: 'm.id.user', user: 'x' }, password: 'y' },
        });
      const statuses = [];
      for (let i = 0; i < 5; i++) statuses.push(await login());
      expect(statuses.map((s) => s.status)).toEqual([403, 403, 403, 429, 429]);
      expect(statuses[3]!.json.errcode).toBe('M_LIMIT_EXCEEDED');
      expect(statuses[3]!.json.retry_after_ms).toBeGreaterThan(50_000);
      expect(statuses[3]!.json.retry_after_ms).toBeLessThanOrEqual(60_000);
    } finally {
      await stop();
    }
  });
});
