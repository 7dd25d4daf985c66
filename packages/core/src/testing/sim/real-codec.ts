import {
  authorizeEvent,
  authStateFromAuthEvents,
  computeEventId,
  type PDU,
  type SigningKey,
  signEvent,
  signingKeyFromSeed,
  type UnsignedPDU,
} from '../../events/index.js';
import { createPduVerifier } from '../../fetch/index.js';
import type { Random } from '../../io.js';
import { type SimEvent, type SimEventCodec, simUser } from './codec.js';

/**
 * Real room version 11 events: every simulated server has an ed25519 key drawn from `random`,
 * signs its events, and checks others' with the events module (hashes, signatures, event ids) and
 * the v11 authorization rules (against each event's auth events).
 */
export function realCodec(random: Random): SimEventCodec<PDU> {
  const keys = new Map<string, SigningKey>();
  const keyOf = (server: string): SigningKey => {
    let k = keys.get(server);
    if (k === undefined) {
      k = signingKeyFromSeed(random.bytes(32), 'sim');
      keys.set(server, k);
    }
    return k;
  };
  // Per room: the auth events each user cites (create, power levels, own membership).
  const authOf = new Map<string, string[]>();
  const make = (server: string, unsigned: UnsignedPDU): SimEvent<PDU> => {
    const pdu = signEvent(unsigned, server, keyOf(server));
    return { eventId: computeEventId(pdu), pdu };
  };
  const base = (roomId: string, sender: string, depth: number, prev: string[], ts: number) => ({
    room_id: roomId,
    sender,
    depth,
    prev_events: prev,
    origin_server_ts: ts,
  });
  return {
    verifier: createPduVerifier((server, keyId) => {
      const k = keys.get(server);
      return k !== undefined && k.keyId === keyId ? k.publicKey : undefined;
    }),
    genesis(roomId, servers) {
      const [first, ...rest] = servers as [string, ...string[]];
      const creator = simUser(first);
      const out: SimEvent<PDU>[] = [];
      const add = (
        server: string,
        u: Omit<UnsignedPDU, 'room_id' | 'depth' | 'prev_events' | 'origin_server_ts'>,
      ) => {
        const prev = out.length === 0 ? [] : [(out[out.length - 1] as SimEvent<PDU>).eventId];
        const ev = make(server, {
          ...base(roomId, u.sender as string, out.length + 1, prev, out.length),
          ...u,
        } as UnsignedPDU);
        out.push(ev);
        return ev.eventId;
      };
      const create = add(first, {
        type: 'm.room.create',
        state_key: '',
        sender: creator,
        content: { room_version: '11' },
        auth_events: [],
      });
      const creatorJoin = add(first, {
        type: 'm.room.member',
        state_key: creator,
        sender: creator,
        content: { membership: 'join' },
        auth_events: [create],
      });
      const power = add(first, {
        type: 'm.room.power_levels',
        state_key: '',
        sender: creator,
        content: { users: { [creator]: 100 }, users_default: 0, events_default: 0, state_default: 50 },
        auth_events: [create, creatorJoin],
      });
      const rules = add(first, {
        type: 'm.room.join_rules',
        state_key: '',
        sender: creator,
        content: { join_rule: 'public' },
        auth_events: [create, power, creatorJoin],
      });
      authOf.set(`${roomId}|${creator}`, [create, power, creatorJoin]);
      for (const server of rest) {
        const user = simUser(server);
        const join = add(server, {
          type: 'm.room.member',
          state_key: user,
          sender: user,
          content: { membership: 'join' },
          auth_events: [create, power, rules],
        });
        authOf.set(`${roomId}|${user}`, [create, power, join]);
      }
      return out;
    },
    message(server, roomId, body, prev, ts) {
      const sender = simUser(server);
      return make(server, {
        ...base(
          roomId,
          sender,
          Math.max(0, ...prev.map((p) => p.depth)) + 1,
          prev.map((p) => p.eventId),
          ts,
        ),
        type: 'm.room.message',
        content: { msgtype: 'm.text', body },
        auth_events: authOf.get(`${roomId}|${sender}`) ?? [],
      });
    },
    authorize(pdu, lookup) {
      const entries = [];
      for (const id of pdu.auth_events) {
        const event = lookup(id);
        if (event === undefined) return { ok: false, reason: `auth event ${id} is not stored` };
        entries.push({ eventId: id, event });
      }
      const state = authStateFromAuthEvents(pdu, entries);
      if (!state.ok) return { ok: false, reason: `rule ${state.rule}: ${state.reason}` };
      const r = authorizeEvent(pdu, state.state);
      return r.ok ? { ok: true } : { ok: false, reason: `rule ${r.rule}: ${r.reason}` };
    },
  };
}
