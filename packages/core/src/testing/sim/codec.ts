import type { AuthorizeVerdict, PduVerifier } from '../../fetch/index.js';
import { type FakePdu, fakeEvent, fakeVerifier } from './fake-events.js';
import type { StatePdu } from './room-store.js';

/** An event with its id. */
export interface SimEvent<P> {
  eventId: string;
  pdu: P;
}

/**
 * How simulated servers make and check events: fake digests ({@link fakeCodec}) for speed, or real
 * signed room v11 events ({@link realCodec}) for end-to-end runs.
 */
export interface SimEventCodec<P extends StatePdu> {
  readonly verifier: PduVerifier<P>;
  /** The first events of a room in which one user per server has joined. */
  genesis(roomId: string, servers: readonly string[]): SimEvent<P>[];
  /** A message by the user of `server`, following `prev`. */
  message(
    server: string,
    roomId: string,
    body: string,
    prev: readonly { eventId: string; depth: number }[],
    ts: number,
  ): SimEvent<P>;
  /** Authorization of an event whose auth events are stored (`lookup` finds them). */
  authorize(pdu: P, lookup: (eventId: string) => P | undefined): AuthorizeVerdict;
}

/** The user a simulated server sends as. */
export function simUser(server: string): string {
  return `@user:${server}`;
}

/** Fake events: a single root event, messages citing no auth events, everything authorized. */
export const fakeCodec: SimEventCodec<FakePdu> = {
  verifier: fakeVerifier,
  genesis: (roomId, servers) => [
    fakeEvent({
      roomId,
      sender: simUser(servers[0] as string),
      type: 'm.room.create',
      stateKey: '',
      depth: 1,
    }),
  ],
  message: (server, roomId, body, prev, ts) =>
    fakeEvent({
      roomId,
      sender: simUser(server),
      depth: Math.max(0, ...prev.map((p) => p.depth)) + 1,
      prevEvents: prev.map((p) => p.eventId),
      content: { body },
      ts,
    }),
  authorize: () => ({ ok: true }),
};
