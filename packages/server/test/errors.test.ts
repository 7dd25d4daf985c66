import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParleyServer } from '../src/index.js';
import { type CallOptions, call, register, roomPath, startTestServer, type TestUser, V3 } from './helpers.js';

/** One bad request and the Matrix error it must get. */
interface Row {
  name: string;
  method: string;
  path: (f: Fixture) => string;
  options?: (f: Fixture) => CallOptions;
  status: number;
  errcode: string;
}

interface Fixture {
  alice: TestUser;
  outsider: TestUser;
  roomId: string;
}

const room = (f: Fixture, rest: string) => roomPath(f.roomId, rest);
const as =
  (who: keyof Pick<Fixture, 'alice' | 'outsider'>, extra: CallOptions = {}) =>
  (f: Fixture) => ({
    token: f[who].token,
    ...extra,
  });
const login = (body: unknown): CallOptions => ({ body });

const ROWS: Row[] = [
  // Tokens
  {
    name: 'no token',
    method: 'GET',
    path: () => `${V3}/joined_rooms`,
    status: 401,
    errcode: 'M_MISSING_TOKEN',
  },
  {
    name: 'unknown token',
    method: 'GET',
    path: () => `${V3}/joined_rooms`,
    options: () => ({ token: 'not-a-token' }),
    status: 401,
    errcode: 'M_UNKNOWN_TOKEN',
  },
  {
    name: 'unknown token in the query',
    method: 'GET',
    path: () => `${V3}/joined_rooms?access_token=nope`,
    status: 401,
    errcode: 'M_UNKNOWN_TOKEN',
  },
  {
    name: 'non-Bearer authorization',
    method: 'POST',
    path: () => `${V3}/createRoom`,
    options: () => ({ headers: { authorization: 'Basic YTpi' }, body: {} }),
    status: 401,
    errcode: 'M_MISSING_TOKEN',
  },
  // Bodies
  {
    name: 'not JSON',
    method: 'POST',
    path: () => `${V3}/register`,
    options: () => ({ raw: '{username:' }),
    status: 400,
    errcode: 'M_NOT_JSON',
  },
  {
    name: 'empty body where one is required',
    method: 'POST',
    path: () => `${V3}/register`,
    status: 400,
    errcode: 'M_NOT_JSON',
  },
  {
    name: 'invalid UTF-8',
    method: 'POST',
    path: () => `${V3}/register`,
    options: () => ({ raw: new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]) }),
    status: 400,
    errcode: 'M_NOT_JSON',
  },
  {
    name: 'a JSON array instead of an object',
    method: 'POST',
    path: () => `${V3}/register`,
    options: () => ({ raw: '[1,2]' }),
    status: 400,
    errcode: 'M_BAD_JSON',
  },
  {
    name: 'duplicate keys',
    method: 'POST',
    path: () => `${V3}/register`,
    options: () => ({ raw: '{"username":"a","username":"b","password":"p"}' }),
    status: 400,
    errcode: 'M_BAD_JSON',
  },
  {
    name: 'a float in event content',
    method: 'PUT',
    path: (f) => room(f, 'send/m.room.message/float'),
    options: as('alice', { raw: '{"body":"x","n":1.5}' }),
    status: 400,
    errcode: 'M_BAD_JSON',
  },
  {
    name: 'username of the wrong type',
    method: 'POST',
    path: () => `${V3}/register`,
    options: () => ({ body: { username: 42, password: 'p' } }),
    status: 400,
    errcode: 'M_BAD_JSON',
  },
  {
    name: 'missing password',
    method: 'POST',
    path: () => `${V3}/register`,
    options: () => ({ body: { username: 'nopass' } }),
    status: 400,
    errcode: 'M_BAD_JSON',
  },
  {
    name: 'username against the grammar',
    method: 'POST',
    path: () => `${V3}/register`,
    options: () => ({ body: { username: 'Bad Name', password: 'p' } }),
    status: 400,
    errcode: 'M_INVALID_USERNAME',
  },
  {
    name: 'user taken',
    method: 'POST',
    path: () => `${V3}/register`,
    options: () => ({ body: { username: 'alice', password: 'p' } }),
    status: 400,
    errcode: 'M_USER_IN_USE',
  },
  {
    name: 'bad login',
    method: 'POST',
    path: () => `${V3}/login`,
    options: () =>
      login({ type: 'm.login.password', identifier: { type: 'm.id.user', user: 'alice' }, password: 'x' }),
    status: 403,
    errcode: 'M_FORBIDDEN',
  },
  {
    name: 'unknown login type',
    method: 'POST',
    path: () => `${V3}/login`,
    options: () => login({ type: 'm.login.token', token: 'x' }),
    status: 400,
    errcode: 'M_UNKNOWN',
  },
  {
    name: 'invite list of the wrong type',
    method: 'POST',
    path: () => `${V3}/createRoom`,
    options: as('alice', { body: { invite: '@bob:test.local' } }),
    status: 400,
    errcode: 'M_BAD_JSON',
  },
  {
    name: 'unknown preset',
    method: 'POST',
    path: () => `${V3}/createRoom`,
    options: as('alice', { body: { preset: 'party' } }),
    status: 400,
    errcode: 'M_INVALID_PARAM',
  },
  {
    name: 'unsupported room version',
    method: 'POST',
    path: () => `${V3}/createRoom`,
    options: as('alice', { body: { room_version: '1' } }),
    status: 400,
    errcode: 'M_UNSUPPORTED_ROOM_VERSION',
  },
  {
    name: 'invitee without an account',
    method: 'POST',
    path: () => `${V3}/createRoom`,
    options: as('alice', { body: { invite: ['@ghost:test.local'] } }),
    status: 404,
    errcode: 'M_NOT_FOUND',
  },
  {
    name: 'invitee on another server',
    method: 'POST',
    path: (f) => room(f, 'invite'),
    options: as('alice', { body: { user_id: '@bob:elsewhere.example' } }),
    status: 400,
    errcode: 'M_INVALID_PARAM',
  },
  {
    name: 'user_id that is not a user id',
    method: 'POST',
    path: (f) => room(f, 'invite'),
    options: as('alice', { body: { user_id: 'bob' } }),
    status: 400,
    errcode: 'M_INVALID_PARAM',
  },
  // Sizes
  {
    name: 'body too large (Content-Length)',
    method: 'PUT',
    path: (f) => room(f, 'send/m.room.message/big'),
    options: as('alice', { body: { body: 'x'.repeat(70_000) } }),
    status: 413,
    errcode: 'M_TOO_LARGE',
  },
  {
    name: 'event too large once signed',
    method: 'PUT',
    path: (f) => room(f, 'send/m.room.message/almost'),
    options: as('alice', { body: { body: 'x'.repeat(65_400) } }),
    status: 413,
    errcode: 'M_TOO_LARGE',
  },
  // Rooms
  {
    name: 'unknown room',
    method: 'PUT',
    path: () => roomPath('!nosuchroom:test.local', 'send/m.room.message/1'),
    options: as('alice', { body: { body: 'x' } }),
    status: 404,
    errcode: 'M_NOT_FOUND',
  },
  {
    name: 'unknown room on join',
    method: 'POST',
    path: () => `${V3}/join/${encodeURIComponent('!nosuchroom:test.local')}`,
    options: as('alice'),
    status: 404,
    errcode: 'M_NOT_FOUND',
  },
  {
    name: 'room of another server',
    method: 'POST',
    path: () => `${V3}/join/${encodeURIComponent('!abc:elsewhere.example')}`,
    options: as('alice'),
    status: 404,
    errcode: 'M_NOT_FOUND',
  },
  {
    name: 'malformed room id',
    method: 'GET',
    path: () => roomPath('not-a-room', 'messages'),
    options: as('alice'),
    status: 400,
    errcode: 'M_INVALID_PARAM',
  },
  {
    name: 'not a member: send',
    method: 'PUT',
    path: (f) => room(f, 'send/m.room.message/x'),
    options: as('outsider', { body: { body: 'let me in' } }),
    status: 403,
    errcode: 'M_FORBIDDEN',
  },
  {
    name: 'not a member: messages',
    method: 'GET',
    path: (f) => room(f, 'messages'),
    options: as('outsider'),
    status: 403,
    errcode: 'M_FORBIDDEN',
  },
  {
    name: 'not a member: invite',
    method: 'POST',
    path: (f) => room(f, 'invite'),
    options: (f) => ({ token: f.outsider.token, body: { user_id: f.outsider.userId } }),
    status: 403,
    errcode: 'M_FORBIDDEN',
  },
  {
    name: 'not allowed: join an invite-only room',
    method: 'POST',
    path: (f) => room(f, 'join'),
    options: as('outsider'),
    status: 403,
    errcode: 'M_FORBIDDEN',
  },
  {
    name: 'not allowed: state needing power 100',
    method: 'PUT',
    path: (f) => room(f, 'state/m.room.create/'),
    options: as('alice', { body: { room_version: '11' } }),
    status: 403,
    errcode: 'M_FORBIDDEN',
  },
  {
    name: 'bad dir',
    method: 'GET',
    path: (f) => room(f, 'messages?dir=up'),
    options: as('alice'),
    status: 400,
    errcode: 'M_INVALID_PARAM',
  },
  {
    name: 'bad limit',
    method: 'GET',
    path: (f) => room(f, 'messages?limit=-3'),
    options: as('alice'),
    status: 400,
    errcode: 'M_INVALID_PARAM',
  },
  {
    name: 'forged pagination token',
    method: 'GET',
    path: (f) => room(f, 'messages?from=s_forged'),
    options: as('alice'),
    status: 400,
    errcode: 'M_INVALID_PARAM',
  },
  {
    name: 'missing state event',
    method: 'GET',
    path: (f) => room(f, 'state/m.room.topic/'),
    options: as('alice'),
    status: 404,
    errcode: 'M_NOT_FOUND',
  },
  // Routing
  {
    name: 'unknown endpoint',
    method: 'GET',
    path: () => '/_matrix/client/v3/nope',
    status: 404,
    errcode: 'M_UNRECOGNIZED',
  },
  {
    name: 'wrong method',
    method: 'GET',
    path: () => `${V3}/register`,
    status: 405,
    errcode: 'M_UNRECOGNIZED',
  },
  {
    name: 'malformed percent-encoding',
    method: 'GET',
    path: () => `${V3}/rooms/%E0%A4%A/messages`,
    status: 400,
    errcode: 'M_INVALID_PARAM',
  },
];

describe('every bad input gets a Matrix error', () => {
  let server: ParleyServer;
  let stop: () => Promise<void>;
  let f: Fixture;
  beforeAll(async () => {
    const t = await startTestServer();
    server = t.server;
    stop = t.stop;
    const alice = await register(server.url, 'alice');
    const outsider = await register(server.url, 'outsider');
    const created = await call(server.url, 'POST', `${V3}/createRoom`, { token: alice.token, body: {} });
    f = { alice, outsider, roomId: created.json.room_id };
  });
  afterAll(() => stop());

  it.each(ROWS)('$name → $status $errcode', async (row) => {
    const r = await call(server.url, row.method, row.path(f), row.options?.(f));
    expect(r.status).toBe(row.status);
    expect(r.headers.get('content-type')).toBe('application/json');
    expect(r.json.errcode).toBe(row.errcode);
    expect(typeof r.json.error).toBe('string');
    expect(r.json.error.length).toBeGreaterThan(0);
  });

  it('answers a handler that throws with 500 M_UNKNOWN and keeps serving', async () => {
    server.route('GET', '/test/boom', async () => {
      throw new TypeError('boom');
    });
    const r = await call(server.url, 'GET', '/test/boom');
    expect(r.status).toBe(500);
    expect(r.json).toEqual({ errcode: 'M_UNKNOWN', error: 'Internal server error' });
    expect((await call(server.url, 'GET', '/health')).status).toBe(200);
  });

  it('answers CORS preflight for known paths', async () => {
    const r = await call(server.url, 'OPTIONS', `${V3}/createRoom`);
    expect(r.status).toBe(204);
    expect(r.headers.get('access-control-allow-origin')).toBe('*');
    expect(r.headers.get('allow')).toContain('POST');
  });
});
