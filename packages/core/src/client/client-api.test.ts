import { describe, expect, it } from 'vitest';
import { isParleyError, type ParleyError } from '../errors.js';
import { FakeClock, SeededRandom } from '../testing/index.js';
import { ClientApi } from './client-api.js';
import { queryOf, ScriptedHttp } from './testing/scripted-http.js';

function setup(token: string | null = 'tok') {
  const http = new ScriptedHttp();
  const clock = new FakeClock(0);
  const api = new ClientApi({
    http: http.fetch,
    baseUrl: 'http://hs.test',
    timers: clock,
    random: new SeededRandom(1),
    accessToken: () => token ?? undefined,
  });
  return { http, clock, api };
}

async function rejection(p: Promise<unknown>): Promise<ParleyError> {
  try {
    await p;
  } catch (e) {
    if (isParleyError(e)) return e;
    throw e;
  }
  throw new Error('expected a rejection');
}

/** Lets pending promise callbacks run, so the code under test reaches its next await. */
const flush = async () => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

describe('ClientApi requests', () => {
  it('logs in with the Matrix password shape and returns camelCase credentials', async () => {
    const { http, api } = setup(null);
    http.on('POST', /\/login$/, {
      status: 200,
      json: { user_id: '@a:hs', access_token: 'T', device_id: 'D', user_handle: '00000000000000aa' },
    });
    const creds = await api.login({ user: 'a', password: 'pw', deviceId: 'D' });
    expect(creds).toEqual({
      userId: '@a:hs',
      accessToken: 'T',
      deviceId: 'D',
      userHandle: '00000000000000aa',
    });
    const req = http.requests[0];
    expect(req?.url).toBe('http://hs.test/_matrix/client/v3/login');
    expect(req?.headers.authorization).toBeUndefined();
    expect(JSON.parse(req?.body ?? '')).toEqual({
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: 'a' },
      password: 'pw',
      device_id: 'D',
    });
  });

  it('sends the bearer token and encodes path segments', async () => {
    const { http, api } = setup('secret');
    http.on('PUT', /\/send\//, { status: 200, json: { event_id: '$e1' } });
    const id = await api.sendEvent('!r/1:hs', 'm.room.message', { body: 'hi' }, 'txn 1');
    expect(id).toBe('$e1');
    const req = http.requests[0];
    expect(req?.url).toBe('http://hs.test/_matrix/client/v3/rooms/!r%2F1%3Ahs/send/m.room.message/txn%201');
    expect(req?.headers.authorization).toBe('Bearer secret');
    expect(req?.headers['content-type']).toBe('application/json');
  });

  it('refuses an authenticated call without a token, before any request', async () => {
    const { http, api } = setup(null);
    const e = await rejection(api.leave('!r:hs'));
    expect(e.code).toBe('M_MISSING_TOKEN');
    expect(http.requests).toHaveLength(0);
  });

  it('passes query parameters for join and messages', async () => {
    const { http, api } = setup();
    http.on('POST', /\/join\//, { status: 200, json: { room_id: '!r:remote' } });
    http.on('GET', /\/messages$/, { status: 200, json: { chunk: [], start: 's1' } });
    expect(await api.join('!r:remote', { serverName: 'remote' })).toBe('!r:remote');
    expect(queryOf(http.requests[0]?.url ?? '')).toEqual({ server_name: 'remote' });
    const page = await api.messages('!r:hs', { from: 'p1', limit: 20 });
    expect(page).toEqual({ chunk: [], start: 's1', end: undefined });
    expect(queryOf(http.requests[1]?.url ?? '')).toEqual({ from: 'p1', dir: 'b', limit: '20' });
  });

  it('builds the realtime URL with a ws scheme', () => {
    const { api } = setup();
    expect(api.realtimeUrl('a b')).toBe('ws://hs.test/_parley/v1/realtime?ticket=a%20b');
  });
});

describe('ClientApi error mapping', () => {
  it('keeps the Matrix errcode, message, status and extra fields', async () => {
    const { http, api } = setup();
    http.on('POST', /\/invite$/, {
      status: 403,
      json: { errcode: 'M_FORBIDDEN', error: 'not in room', extra: 1 },
    });
    const e = await rejection(api.invite('!r:hs', '@b:hs'));
    expect(e.code).toBe('M_FORBIDDEN');
    expect(e.message).toBe('not in room');
    expect(e.httpStatus).toBe(403);
    expect(e.data).toEqual({ extra: 1 });
  });

  it('maps a non-Matrix error body to M_UNKNOWN with the status', async () => {
    const { http, api } = setup();
    http.on('POST', /\/leave$/, { status: 502, headers: {}, body: '<html>bad gateway</html>' });
    const e = await rejection(api.leave('!r:hs'));
    expect(e.code).toBe('M_UNKNOWN');
    expect(e.httpStatus).toBe(502);
  });

  it('maps a thrown fetch to network and a 2xx non-JSON body to protocol', async () => {
    const { http, api } = setup();
    http.once('POST', /\/leave$/, { throws: new TypeError('fetch failed') });
    http.once('POST', /\/leave$/, { status: 200, headers: {}, body: 'not json' });
    const e1 = await rejection(api.leave('!r:hs'));
    expect(e1.code).toBe('network');
    expect(e1.cause).toBeInstanceOf(TypeError);
    expect((await rejection(api.leave('!r:hs'))).code).toBe('protocol');
  });

  it('maps an abort during the request to aborted, and refuses an already aborted signal', async () => {
    const { http, api } = setup();
    http.on('POST', /\/createRoom$/, { hang: true });
    const ac = new AbortController();
    const p = rejection(api.createRoom({ name: 'x' }, { signal: ac.signal }));
    await flush();
    ac.abort('bye');
    expect((await p).code).toBe('aborted');
    const before = http.requests.length;
    expect((await rejection(api.createRoom({}, { signal: ac.signal }))).code).toBe('aborted');
    expect(http.requests.length).toBe(before);
  });
});

describe('ClientApi retries', () => {
  it('retries an idempotent send on network errors and 5xx, with the same txnId', async () => {
    const { http, clock, api } = setup();
    http.once('PUT', /\/send\//, { throws: new Error('ECONNRESET') });
    http.once('PUT', /\/send\//, { status: 503, json: { errcode: 'M_UNKNOWN', error: 'busy' } });
    http.on('PUT', /\/send\//, { status: 200, json: { event_id: '$ok' } });
    const p = api.sendEvent('!r:hs', 'm.room.message', { body: 'x' }, 't1');
    for (let i = 0; i < 5; i++) {
      await flush();
      clock.advance(10_000);
    }
    expect(await p).toBe('$ok');
    const urls = http.requests.map((r) => r.url);
    expect(urls).toHaveLength(3);
    expect(new Set(urls).size).toBe(1);
  });

  it('waits the server retry_after_ms on 429 before retrying', async () => {
    const { http, clock, api } = setup();
    http.once('PUT', /\/sendToDevice\//, {
      status: 429,
      json: { errcode: 'M_LIMIT_EXCEEDED', error: 'slow down', retry_after_ms: 3000 },
    });
    http.on('PUT', /\/sendToDevice\//, { status: 200, json: {} });
    const p = api.sendToDevice('m.x', 't', { '@b:hs': { '*': { a: 1 } } });
    await flush();
    expect(http.requests).toHaveLength(1);
    clock.advance(2999);
    await flush();
    expect(http.requests).toHaveLength(1);
    clock.advance(1);
    await p;
    expect(http.requests).toHaveLength(2);
  });

  it('does not retry a non-idempotent call, nor a 4xx', async () => {
    const { http, api } = setup();
    http.on('POST', /\/createRoom$/, { status: 500, json: { errcode: 'M_UNKNOWN', error: 'x' } });
    http.on('PUT', /\/send\//, { status: 400, json: { errcode: 'M_BAD_JSON', error: 'x' } });
    expect((await rejection(api.createRoom())).httpStatus).toBe(500);
    expect((await rejection(api.sendEvent('!r:hs', 't', {}, 'x'))).code).toBe('M_BAD_JSON');
    expect(http.requests).toHaveLength(2);
  });

  it('gives up after maxAttempts with the last error, and stops waiting on abort', async () => {
    const { http, clock, api } = setup();
    http.on('PUT', /\/send\//, { throws: new Error('down') });
    const p = rejection(api.sendEvent('!r:hs', 't', {}, 'x'));
    for (let i = 0; i < 10; i++) {
      await flush();
      clock.advance(10_000);
    }
    expect((await p).code).toBe('network');
    expect(http.requests).toHaveLength(5);

    const ac = new AbortController();
    const q = rejection(api.sendEvent('!r:hs', 't', {}, 'y', { signal: ac.signal }));
    await flush();
    ac.abort();
    expect((await q).code).toBe('aborted');
    expect(clock.pendingCount).toBe(0);
  });
});
