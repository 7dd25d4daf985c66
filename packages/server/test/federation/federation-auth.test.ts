import { computeEventId, type JsonObject, type PDU, signingKeyFromSeed } from '@parley/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyServerKeyDocument } from '../../src/federation/keys/server-key-document.js';
import { signXMatrix } from '../../src/federation/x-matrix.js';
import { call, roomPath } from '../helpers.js';
import { FakePeer } from './fake-peer.js';
import { createPublicRoom, type FedNode, messageBodies, send, startFedNode, waitFor } from './fed-helpers.js';

const V1 = '/_matrix/federation/v1';
const enc = encodeURIComponent;

describe('federation request authentication and PDU checks (a scripted peer against a real server)', () => {
  let a: FedNode;
  let peer: FakePeer;
  let outsider: FakePeer;
  let roomId: string;
  let firstEventId: string;
  const state: Record<string, string> = {};
  let peerJoin: { eventId: string; pdu: PDU };

  beforeAll(async () => {
    a = await startFedNode('alice');
    peer = await FakePeer.start(7);
    outsider = await FakePeer.start(9);
    roomId = await createPublicRoom(a);
    firstEventId = await send(a.url, a.user, roomId, 'hello', 'h1');
  }, 30_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), peer?.close(), outsider?.close()]);
  });

  it('publishes a self-signed key document with a future valid_until_ts', async () => {
    const r = await call(a.url, 'GET', '/_matrix/key/v2/server');
    expect(r.status).toBe(200);
    expect(r.json.server_name).toBe(a.name);
    expect(r.json.valid_until_ts).toBeGreaterThan(Date.now());
    const checked = verifyServerKeyDocument(a.name, r.json, Date.now());
    expect(checked.ok).toBe(true);
    // A tampered document no longer verifies.
    const tampered = { ...r.json, valid_until_ts: r.json.valid_until_ts + 1 };
    expect(verifyServerKeyDocument(a.name, tampered, Date.now()).ok).toBe(false);
  });

  it('refuses a request without X-Matrix, for another destination, with a bad signature or an unknown key', async () => {
    const path = `${V1}/event/${enc(firstEventId)}`;
    const none = await peer.request(a, 'GET', path, undefined, { unsigned: true });
    expect(none.status).toBe(401);
    expect(none.json.errcode).toBe('M_UNAUTHORIZED');

    const wrongDest = await peer.request(a, 'GET', path, undefined, {
      destination: 'elsewhere.example:8448',
    });
    expect(wrongDest.status).toBe(401);
    expect(wrongDest.json.errcode).toBe('M_UNAUTHORIZED');

    // Same key id, another private key: the signature does not verify with the published key.
    const forger = signingKeyFromSeed(new Uint8Array(32).fill(99), 'peer');
    const badSig = await peer.request(a, 'GET', path, undefined, { key: forger });
    expect(badSig.status).toBe(401);
    expect(badSig.json.errcode).toBe('M_UNAUTHORIZED');

    // A key id the origin does not publish.
    const otherId = signingKeyFromSeed(new Uint8Array(32).fill(7), 'nope');
    const unknownKeyId = await peer.request(a, 'GET', path, undefined, { key: otherId });
    expect(unknownKeyId.status).toBe(401);

    // An origin with no key server at all (nothing listens on port 1).
    const ghost = await peer.request(a, 'GET', path, undefined, { origin: '127.0.0.1:1' });
    expect(ghost.status).toBe(401);
    expect(ghost.json.errcode).toBe('M_UNAUTHORIZED');

    // The body is covered too: a signature over other content fails.
    const signedBody = { earliest_events: [], latest_events: [firstEventId], limit: 5 };
    const r = await fetch(`${a.url}${V1}/get_missing_events/${enc(roomId)}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: signXMatrix(
          {
            method: 'POST',
            uri: `${V1}/get_missing_events/${enc(roomId)}`,
            origin: peer.name,
            destination: a.name,
            content: signedBody,
          },
          peer.key,
        ),
      },
      body: JSON.stringify({ ...signedBody, limit: 6 }),
    });
    expect(r.status).toBe(401);
  });

  it('answers 403 to a server with no member in the room', async () => {
    for (const path of [
      `${V1}/event/${enc(firstEventId)}`,
      `${V1}/state_ids/${enc(roomId)}?event_id=${enc(firstEventId)}`,
      `${V1}/state/${enc(roomId)}?event_id=${enc(firstEventId)}`,
      `${V1}/backfill/${enc(roomId)}?v=${enc(firstEventId)}&limit=10`,
      `${V1}/event_auth/${enc(roomId)}/${enc(firstEventId)}`,
    ]) {
      const r = await outsider.request(a, 'GET', path);
      expect(r.status, path).toBe(403);
      expect(r.json.errcode).toBe('M_FORBIDDEN');
    }
  });

  it('lets the peer join with make_join and send_join (v2)', async () => {
    const user = peer.user('mallory');
    const made = await peer.request(a, 'GET', `${V1}/make_join/${enc(roomId)}/${enc(user)}?ver=11`);
    expect(made.status).toBe(200);
    expect(made.json.room_version).toBe('11');
    // make_join for a user of another server is refused.
    const foreign = await peer.request(a, 'GET', `${V1}/make_join/${enc(roomId)}/${enc('@x:other.example')}`);
    expect(foreign.status).toBe(403);

    peerJoin = peer.sign({ ...made.json.event, origin_server_ts: Date.now() });
    const joined = await peer.request(
      a,
      'PUT',
      `/_matrix/federation/v2/send_join/${enc(roomId)}/${enc(peerJoin.eventId)}`,
      peerJoin.pdu as unknown as JsonObject,
    );
    expect(joined.status).toBe(200);
    for (const e of joined.json.state as PDU[]) {
      if (e.type === 'm.room.create' || e.type === 'm.room.power_levels') {
        state[e.type] = computeEventId(e);
      }
    }
    expect(Object.keys(state).sort()).toEqual(['m.room.create', 'm.room.power_levels']);
    expect(joined.json.auth_chain.length).toBeGreaterThan(0);
    // Now a member: reads are allowed.
    const ev = await peer.request(a, 'GET', `${V1}/event/${enc(firstEventId)}`);
    expect(ev.status).toBe(200);
    expect(ev.json.pdus).toHaveLength(1);
  });

  it('reports forged and unauthorized PDUs in the send results and stores only the good one', async () => {
    const user = peer.user('mallory');
    const base = {
      room_id: roomId,
      sender: user,
      depth: peerJoin.pdu.depth + 1,
      prev_events: [peerJoin.eventId],
      auth_events: [
        state['m.room.create'] as string,
        state['m.room.power_levels'] as string,
        peerJoin.eventId,
      ],
      origin_server_ts: Date.now(),
    };
    const good = peer.sign({ ...base, type: 'm.room.message', content: { msgtype: 'm.text', body: 'good' } });
    const altered = peer.sign({
      ...base,
      type: 'm.room.message',
      content: { msgtype: 'm.text', body: 'orig' },
    });
    const alteredPdu = { ...altered.pdu, content: { msgtype: 'm.text', body: 'altered' } };
    const forger = signingKeyFromSeed(new Uint8Array(32).fill(42), 'peer');
    const badSig = peer.sign(
      { ...base, type: 'm.room.message', content: { msgtype: 'm.text', body: 'bad sig' } },
      forger,
    );
    // The peer's user has power 0: changing the power levels breaks auth rule 9/7.
    const coup = peer.sign({
      ...base,
      type: 'm.room.power_levels',
      state_key: '',
      content: { users: { [user]: 100 } },
    });
    const r = await peer.request(a, 'PUT', `${V1}/send/txn1`, {
      origin: peer.name,
      origin_server_ts: Date.now(),
      pdus: [good.pdu, alteredPdu, badSig.pdu, coup.pdu] as unknown as JsonObject[],
    });
    expect(r.status).toBe(200);
    expect(r.json.pdus[good.eventId]).toEqual({});
    expect(r.json.pdus[altered.eventId]?.error).toMatch(/forged/);
    expect(r.json.pdus[badSig.eventId]?.error).toMatch(/bad_signature/);
    expect(r.json.pdus[coup.eventId]?.error).toMatch(/auth rule/);

    // The good message is in the room; none of the others is stored.
    await waitFor(async () =>
      (await messageBodies(a.url, a.user, roomId)).includes('good') ? true : undefined,
    );
    for (const id of [altered.eventId, badSig.eventId, coup.eventId]) {
      const got = await peer.request(a, 'GET', `${V1}/event/${enc(id)}`);
      expect(got.status, id).toBe(404);
    }
    const pl = await call(a.url, 'GET', roomPath(roomId, 'state/m.room.power_levels'), {
      token: a.user.token,
    });
    expect(pl.json.users[user]).toBeUndefined();

    // The verdicts are counted for Prometheus.
    const metrics = await call(a.url, 'GET', '/metrics');
    expect(metrics.text).toMatch(/parley_federation_pdus_received_total\{outcome="refused"\} 2/);
    expect(metrics.text).toMatch(/parley_federation_pdus_received_total\{outcome="rejected"\} 1/);
    expect(metrics.text).toMatch(/parley_federation_pdus_received_total\{outcome="accepted"\} 1/);

    // A retried transaction gets the same answer.
    const again = await peer.request(a, 'PUT', `${V1}/send/txn1`, {
      origin: peer.name,
      origin_server_ts: Date.now(),
      pdus: [],
    });
    expect(again.json).toEqual(r.json);
  });

  it('a concurrent remote event forks the DAG; the next local event merges the forward extremities', async () => {
    const ext = async () => (await a.server.storage.getForwardExtremities(roomId, 20)).map((e) => e.eventId);
    const [tip] = await ext();
    const tipEvent = (await a.server.storage.getEvent(tip as string))?.event as PDU;
    // A local message and a remote one, both built on the same extremity.
    const local = await send(a.url, a.user, roomId, 'fork local', 'fl');
    const remote = peer.sign({
      room_id: roomId,
      sender: peer.user('mallory'),
      type: 'm.room.message',
      content: { msgtype: 'm.text', body: 'fork remote' },
      depth: tipEvent.depth + 1,
      prev_events: [tip as string],
      auth_events: [
        state['m.room.create'] as string,
        state['m.room.power_levels'] as string,
        peerJoin.eventId,
      ],
      origin_server_ts: Date.now(),
    });
    const r = await peer.request(a, 'PUT', `${V1}/send/fork`, {
      pdus: [remote.pdu] as unknown as JsonObject[],
    });
    expect(r.json.pdus[remote.eventId]).toEqual({});
    expect(new Set(await ext())).toEqual(new Set([local, remote.eventId]));
    const merge = await send(a.url, a.user, roomId, 'merge', 'mg');
    const merged = await a.server.storage.getEvent(merge);
    expect(new Set(merged?.event.prev_events)).toEqual(new Set([local, remote.eventId]));
    expect(merged?.event.depth).toBe(tipEvent.depth + 2);
    expect(await ext()).toEqual([merge]);
  });

  it('keeps the backfill and get_missing_events caps', async () => {
    const bf = await peer.request(
      a,
      'GET',
      `${V1}/backfill/${enc(roomId)}?v=${enc(firstEventId)}&limit=100000`,
    );
    expect(bf.status).toBe(200);
    expect(bf.json.pdus.length).toBeLessThanOrEqual(100);
    const depths = (bf.json.pdus as PDU[]).map((p) => p.depth);
    expect(depths).toEqual([...depths].sort((x, y) => y - x));
    expect(computeEventId(bf.json.pdus[0])).toBe(firstEventId);
    const noLimit = await peer.request(a, 'GET', `${V1}/backfill/${enc(roomId)}?v=${enc(firstEventId)}`);
    expect(noLimit.status).toBe(400);
    const gme = await peer.request(a, 'POST', `${V1}/get_missing_events/${enc(roomId)}`, {
      earliest_events: [],
      latest_events: [peerJoin.eventId],
      limit: 1000,
    });
    expect(gme.status).toBe(200);
    expect(gme.json.events.length).toBeGreaterThan(0);
    expect(gme.json.events.length).toBeLessThanOrEqual(20);
    const bad = await peer.request(a, 'POST', `${V1}/get_missing_events/${enc(roomId)}`, {
      latest_events: 'nope',
    } as unknown as JsonObject);
    expect(bad.status).toBe(400);
  });
});
