import type { RealtimeClientEvent } from '../realtime/client-events.js';
import type { ParleyClientEvents } from './client-events.js';
import type { PresenceBook } from './presence-book.js';
import type { RoomList } from './room-list.js';

type Emit = <K extends keyof ParleyClientEvents>(
  event: K,
  ...args: Parameters<ParleyClientEvents[K]>
) => void;

/** Per-connection bookkeeping of in-call flags, for the same login-dump diff as presence. */
export class InCallBook {
  readonly flags = new Map<string, boolean>();
  #relisted: Set<string> | undefined;

  connectionStarted(): void {
    this.#relisted = new Set();
  }

  /** Returns true when the room's flag changed. */
  update(roomHandle: string, flag: boolean): boolean {
    this.#relisted?.add(roomHandle);
    const old = this.flags.get(roomHandle) ?? false;
    if (flag) this.flags.set(roomHandle, true);
    else this.flags.delete(roomHandle);
    return old !== flag;
  }

  /** The dump lists every room whose flag is up; the others went down while we were away. */
  dumpComplete(): string[] {
    const relisted = this.#relisted;
    this.#relisted = undefined;
    if (!relisted) return [];
    const gone = [...this.flags.keys()].filter((h) => !relisted.has(h));
    for (const h of gone) this.flags.delete(h);
    return gone;
  }
}

/**
 * Turns the `RealtimeClient`'s events into the client's: handles become Matrix ids where known,
 * presence and in-call flags are kept across reconnects, and own presence comes only from the
 * server.
 */
export function dispatchRealtimeEvent(
  e: RealtimeClientEvent,
  ctx: {
    rooms: RoomList;
    presence: PresenceBook;
    inCall: InCallBook;
    emit: Emit;
    setOwnPresence: (p: number) => void;
  },
): void {
  const { rooms, presence, inCall, emit } = ctx;
  const userIdOf = (h: string): string | undefined => rooms.userByHandle.get(h);
  const setFlag = (roomHandle: string, flag: boolean): void => {
    const roomId = rooms.roomByHandle.get(roomHandle);
    const room = roomId === undefined ? undefined : rooms.rooms.get(roomId);
    if (room) {
      room.inCall = flag;
      emit('inCall', room, flag);
    }
  };
  switch (e.type) {
    case 'hello':
      presence.connectionStarted();
      inCall.connectionStarted();
      emit('clientId', e.clientId);
      return;
    case 'ready':
      for (const h of presence.dumpComplete()) emit('presence', userIdOf(h), h, 0);
      for (const h of inCall.dumpComplete()) setFlag(h, false);
      return;
    case 'own_presence':
      ctx.setOwnPresence(e.presence);
      emit('ownPresence', e.presence);
      return;
    case 'presence':
      if (presence.update(e.user, e.presence)) emit('presence', userIdOf(e.user), e.user, e.presence);
      return;
    case 'in_call':
      if (inCall.update(e.room, e.flag)) setFlag(e.room, e.flag);
      return;
    case 'rtmsg':
      emit('rtmsg', {
        roomId: rooms.roomByHandle.get(e.room),
        roomHandle: e.room,
        senderUserId: userIdOf(e.senderUser),
        senderUserHandle: e.senderUser,
        senderClientId: e.senderClient,
        msgtype: e.msgtype,
        data: e.data,
      });
      return;
    case 'reject':
      emit('reject', {
        op: e.refusedOp,
        roomId: rooms.roomByHandle.get(e.room),
        roomHandle: e.room,
        code: e.code,
      });
      return;
    default:
      return;
  }
}
