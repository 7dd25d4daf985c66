import { type JsonObject, type PDU, signingKeyFromSeed } from '@parley/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakePeer } from './fake-peer.js';
import { createPublicRoom, type FedNode, send, startFedNode } from './fed-helpers.js';

const V1 = '/_matrix/federation/v1';
const enc = encodeURIComponent;

const json = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string({ maxLength: 20 }),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.constantFrom('m.room.message', 'm.room.member', '$abc', '!r:x', '@u:x', 11, -1),
    fc.array(tie('value'), { maxLength: 3 }),
    tie('object'),
  ),
  object: fc.dictionary(
    fc.oneof(
      fc.string({ maxLength: 10 }),
      fc.constantFrom(
        'room_id',
        'sender',
        'type',
        'prev_events',
        'auth_events',
        'depth',
        'content',
        'hashes',
      ),
    ),
    tie('value'),
    { maxKeys: 5 },
  ),
}));

/**
 * Whatever a signed peer sends to the federation endpoints — malformed PDUs (random fields grafted
 * on a real one), odd ids, limits and bodies — the answer is a success or a Matrix 4xx: never a
 * 5xx, never a hang.
 */
describe('federation endpoints under random input (property)', () => {
  let a: FedNode;
  let peer: FakePeer;
  let roomId: string;
  let eventId: string;
  let template: PDU;

  beforeAll(async () => {
    a = await startFedNode('alice');
    peer = await FakePeer.start(21);
    roomId = await createPublicRoom(a);
    eventId = await send(a.url, a.user, roomId, 'x', 'x1');
    const made = await peer.request(a, 'GET', `${V1}/make_join/${enc(roomId)}/${enc(peer.user('p'))}`);
    template = made.json.event;
    const join = peer.sign({ ...template, origin_server_ts: Date.now() });
    await peer.request(
      a,
      'PUT',
      `/_matrix/federation/v2/send_join/${enc(roomId)}/${enc(join.eventId)}`,
      join.pdu as unknown as JsonObject,
    );
  }, 30_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), peer?.close()]);
  });

  const ok = (status: number) => status < 500;

  it('/send with mangled PDUs answers per PDU, never a 5xx', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom(...Object.keys(template)), json.value), { maxLength: 3 }),
        fc.boolean(),
        async (grafts, sign) => {
          const base = { ...template, type: 'm.room.message', content: { body: 'f' } } as Record<
            string,
            unknown
          >;
          delete base.state_key;
          for (const [k, v] of grafts) base[k] = v;
          let pdu: unknown = base;
          if (sign) {
            try {
              pdu = peer.sign(base as never).pdu;
            } catch {
              pdu = base; // not signable (not canonical JSON): sent as is
            }
          }
          const r = await peer.request(a, 'PUT', `${V1}/send/fuzz${n++}`, {
            origin: peer.name,
            origin_server_ts: 1,
            pdus: [pdu, 42, 'x', null] as unknown as JsonObject[],
          });
          expect(ok(r.status), JSON.stringify(r.json)).toBe(true);
          if (r.status === 200) expect(typeof r.json.pdus).toBe('object');
        },
      ),
      { numRuns: 40 },
    );
  }, 60_000);

  it('read endpoints with random ids, limits and bodies answer 2xx/4xx', async () => {
    const idish = fc.oneof(
      fc.string({ maxLength: 50 }),
      fc.constant(eventId),
      fc.constant(roomId),
      fc.constant('$'),
    );
    await fc.assert(
      fc.asyncProperty(idish, idish, fc.string({ maxLength: 12 }), json.object, async (x, y, limit, body) => {
        const results = await Promise.all([
          peer.request(a, 'GET', `${V1}/event/${enc(x)}`),
          peer.request(a, 'GET', `${V1}/state_ids/${enc(y)}?event_id=${enc(x)}`),
          peer.request(a, 'GET', `${V1}/backfill/${enc(roomId)}?v=${enc(x)}&limit=${enc(limit)}`),
          peer.request(a, 'GET', `${V1}/event_auth/${enc(y)}/${enc(x)}`),
          peer.request(a, 'POST', `${V1}/get_missing_events/${enc(roomId)}`, body as JsonObject),
          peer.request(a, 'GET', `${V1}/make_join/${enc(y)}/${enc(x)}`),
          peer.request(
            a,
            'PUT',
            `/_matrix/federation/v2/send_join/${enc(roomId)}/${enc(x)}`,
            body as JsonObject,
          ),
        ]);
        for (const r of results) expect(ok(r.status), JSON.stringify(r.json)).toBe(true);
      }),
      { numRuns: 25 },
    );
  }, 60_000);

  it('a signature by a key the origin never published is 401 whatever the request', async () => {
    const stranger = signingKeyFromSeed(new Uint8Array(32).fill(5), 'zz');
    const r = await peer.request(a, 'PUT', `${V1}/send/k`, { pdus: [] }, { key: stranger });
    expect(r.status).toBe(401);
  });
});
