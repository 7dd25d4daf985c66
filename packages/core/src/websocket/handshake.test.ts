import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../testing/seeded-random.js';
import { base64Encode } from './base64.js';
import { buildWsUpgradeRequest, checkWsUpgradeResponse, createWsClientKey } from './client-handshake.js';
import { acceptWsHandshake, wsAcceptKey } from './handshake.js';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const good = (extra: string[] = []) => ({
  method: 'GET',
  rawHeaders: [
    'Host',
    'example.com',
    'Upgrade',
    'websocket',
    'Connection',
    'keep-alive, Upgrade',
    'Sec-WebSocket-Key',
    KEY,
    'Sec-WebSocket-Version',
    '13',
    ...extra,
  ],
});

describe('Sec-WebSocket-Accept', () => {
  it('matches the example of RFC 6455 section 1.3', () => {
    expect(wsAcceptKey(KEY)).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });

  it('matches node:crypto on random keys', () => {
    const r = new SeededRandom(3);
    for (let i = 0; i < 50; i++) {
      const key = createWsClientKey(r);
      const want = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
      expect(wsAcceptKey(key)).toBe(want);
    }
  });

  it('base64 matches Buffer for every length', () => {
    const r = new SeededRandom(4);
    for (let n = 0; n < 40; n++) {
      const b = r.bytes(n);
      expect(base64Encode(b)).toBe(Buffer.from(b).toString('base64'));
    }
  });
});

describe('acceptWsHandshake', () => {
  it('accepts a valid request with a 101 and the accept key', () => {
    const r = acceptWsHandshake(good());
    expect(r.ok).toBe(true);
    expect(r.response).toBe(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n',
    );
  });

  it.each([
    ['POST method', { ...good(), method: 'POST' }, 405, 'Allow: GET'],
    ['no Upgrade header', { method: 'GET', rawHeaders: good().rawHeaders.slice(4) }, 400, 'M_INVALID_PARAM'],
    [
      'Connection without upgrade',
      {
        method: 'GET',
        rawHeaders: good().rawHeaders.map((v) => (v === 'keep-alive, Upgrade' ? 'keep-alive' : v)),
      },
      400,
      'Connection: Upgrade',
    ],
    [
      'version 8',
      { method: 'GET', rawHeaders: good().rawHeaders.map((v) => (v === '13' ? '8' : v)) },
      426,
      'Sec-WebSocket-Version: 13',
    ],
    [
      'no version',
      { method: 'GET', rawHeaders: good().rawHeaders.slice(0, -2) },
      426,
      'Sec-WebSocket-Version: 13',
    ],
    [
      'no key',
      { method: 'GET', rawHeaders: good().rawHeaders.filter((v, i, a) => v !== KEY && a[i + 1] !== KEY) },
      400,
      'missing Sec-WebSocket-Key',
    ],
    [
      'a key of 15 bytes',
      { method: 'GET', rawHeaders: good().rawHeaders.map((v) => (v === KEY ? 'dGhlIHNhbXBsZSBub25j' : v)) },
      400,
      'not 16 bytes',
    ],
    ['two keys', good(['Sec-WebSocket-Key', KEY]), 400, 'not 16 bytes'],
    [
      'too many headers',
      good(Array.from({ length: 120 }, (_, i) => (i % 2 ? 'v' : `X-${i}`))),
      431,
      'M_TOO_LARGE',
    ],
    ['headers too big', good(['X-Big', 'x'.repeat(9000)]), 431, 'M_TOO_LARGE'],
    ['a bad protocol token', good(['Sec-WebSocket-Protocol', 'a b']), 400, 'Sec-WebSocket-Protocol'],
  ])('refuses %s', (_name, req, status, mention) => {
    const r = acceptWsHandshake(req);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.status).toBe(status);
    expect(r.response.startsWith(`HTTP/1.1 ${status} `)).toBe(true);
    expect(r.response).toContain(mention);
    const body = r.response.slice(r.response.indexOf('\r\n\r\n') + 4);
    expect(JSON.parse(body)).toMatchObject({ errcode: expect.stringMatching(/^M_/), error: r.reason });
    expect(r.response).toContain(`Content-Length: ${Buffer.byteLength(body)}`);
  });

  it('applies the header limits it is given', () => {
    expect(acceptWsHandshake(good(), { maxHeaderCount: 4 }).ok).toBe(false);
    expect(acceptWsHandshake(good(), { maxHeaderBytes: 40 }).ok).toBe(false);
    expect(acceptWsHandshake(good(), { maxHeaderCount: 5, maxHeaderBytes: 200 }).ok).toBe(true);
  });

  it('selects the server-preferred subprotocol among those offered', () => {
    const req = good(['Sec-WebSocket-Protocol', 'chat, parley.v2', 'Sec-WebSocket-Protocol', 'parley.v1']);
    const r = acceptWsHandshake(req, { protocols: ['parley.v1', 'parley.v2'] });
    expect(r.ok && r.protocol).toBe('parley.v1');
    expect(r.response).toContain('Sec-WebSocket-Protocol: parley.v1\r\n');
    const none = acceptWsHandshake(req, { protocols: ['other'] });
    expect(none.ok && none.protocol).toBeUndefined();
    expect(none.response).not.toContain('Sec-WebSocket-Protocol');
    const picked = acceptWsHandshake(req, { selectProtocol: (offered) => offered.at(-1) });
    expect(picked.ok && picked.protocol).toBe('parley.v1');
    const bogus = acceptWsHandshake(req, { selectProtocol: () => 'not-offered' });
    expect(bogus.ok && bogus.protocol).toBeUndefined();
  });
});

describe('client side of the handshake', () => {
  it('builds a request the server accepts, and checks the answer', () => {
    const key = createWsClientKey(new SeededRandom(9));
    const head = buildWsUpgradeRequest({ host: 'h:1', path: '/x?y=1', key, protocols: ['a', 'b'] });
    const lines = head.split('\r\n');
    expect(lines[0]).toBe('GET /x?y=1 HTTP/1.1');
    const rawHeaders = lines
      .slice(1)
      .filter(Boolean)
      .flatMap((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]);
    const r = acceptWsHandshake({ method: 'GET', rawHeaders }, { protocols: ['b'] });
    expect(r.ok).toBe(true);
    const headers = {
      upgrade: 'websocket',
      connection: 'Upgrade',
      'sec-websocket-accept': wsAcceptKey(key),
      'sec-websocket-protocol': 'b',
    };
    expect(checkWsUpgradeResponse(101, headers, key, ['a', 'b'])).toBe('b');
    expect(() =>
      checkWsUpgradeResponse(101, { ...headers, 'sec-websocket-accept': 'x' }, key, ['a', 'b']),
    ).toThrow(/Accept/);
    expect(() => checkWsUpgradeResponse(101, headers, key, ['a'])).toThrow(/unoffered/);
    expect(() => checkWsUpgradeResponse(400, headers, key, ['b'])).toThrow(/status 400/);
  });
});
