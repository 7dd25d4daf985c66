import { type FakePdu, fakeEvent } from './fake-events.js';

/** An event with its id, as tests pass them around. */
export interface IdPdu<P> {
  eventId: string;
  pdu: P;
}

/**
 * A linear chain of `n` fake messages in `roomId` by `sender`, each citing the one before; the
 * first cites `parent` (or nothing). Depths continue from `parentDepth`.
 */
export function fakeChain(
  roomId: string,
  sender: string,
  n: number,
  parent?: { eventId: string; depth: number },
): IdPdu<FakePdu>[] {
  const out: IdPdu<FakePdu>[] = [];
  let prev = parent;
  for (let i = 0; i < n; i++) {
    const depth = (prev?.depth ?? 0) + 1;
    const ev = fakeEvent({
      roomId,
      sender,
      depth,
      prevEvents: prev === undefined ? [] : [prev.eventId],
      content: { body: `message ${depth}` },
    });
    out.push(ev);
    prev = { eventId: ev.eventId, depth };
  }
  return out;
}
