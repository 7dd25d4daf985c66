import type { ParleyError } from '../errors.js';
import type { RealtimeClientEvent } from '../realtime/client-events.js';
import type { Credentials, ToDeviceMessage } from './api-types.js';
import type { Room } from './room.js';
import type { TimelineItem } from './timeline.js';

/**
 * The client's connection, as an app shows it: `online` when sync answers and (if enabled) the
 * realtime channel is open; `connecting` while either is being (re)established; `offline` when
 * stopped or logged out.
 */
export type ConnectionState = 'offline' | 'connecting' | 'online';

/** The state of one of the client's two channels. */
export type ChannelState = 'stopped' | 'connecting' | 'open' | 'waiting';

/** A realtime message received (`OP_RTMSG`). */
export interface RealtimeMessage {
  /** The room's Matrix id, when the client knows the handle. */
  roomId: string | undefined;
  roomHandle: string;
  /** The sender's Matrix id, when the client knows the handle. */
  senderUserId: string | undefined;
  senderUserHandle: string;
  /** The sender connection's client id: reply to exactly it with `(userId, clientId)` addressing. */
  senderClientId: number;
  /** Opaque to Parley; the app's own message kinds. */
  msgtype: number;
  data: Uint8Array;
}

/** A command the server refused (`OP_REJECT`) without closing the connection. */
export interface RealtimeRejection {
  /** The opcode of the refused command. */
  op: number;
  roomId: string | undefined;
  roomHandle: string;
  /** One of `RejectCode` (1 not in room, 2 receiver not in room, 3 unknown client, 4 too large, 5 rate limited). */
  code: number;
}

/**
 * Every event of `ParleyClient`, with its payload (eventemitter3 typed map). Room objects are
 * live: read them when the event fires, copy what must be kept.
 */
export interface ParleyClientEvents {
  /** Logged in (credentials) or out (`undefined`). */
  session: (credentials: Credentials | undefined) => void;
  /** The server no longer accepts the access token (`M_UNKNOWN_TOKEN`): the client stopped and forgot it. */
  sessionEnded: (error: ParleyError) => void;
  /** The overall connection state changed. */
  connection: (state: ConnectionState) => void;
  /** The room list (membership, order or a summary) changed. */
  rooms: (rooms: readonly Room[]) => void;
  /** The user left or was removed from a room. */
  roomLeft: (roomId: string) => void;
  /** Events were added to a room's timeline (`reset` when a gap made the client start afresh). */
  timeline: (room: Room, added: readonly TimelineItem[], reset: boolean) => void;
  /** Older events were loaded at the start of a room's timeline. */
  history: (room: Room, older: readonly TimelineItem[]) => void;
  /** A local echo changed: `sending`, `sent` (acknowledged), `failed`, or `replaced` by the server's event. */
  echo: (room: Room, txnId: string, status: 'sending' | 'sent' | 'failed' | 'replaced' | 'cancelled') => void;
  /** A room's member list changed. */
  members: (room: Room) => void;
  /** Who is typing in a room changed. */
  typing: (room: Room, userIds: readonly string[]) => void;
  /** A to-device message arrived. */
  toDevice: (message: ToDeviceMessage) => void;
  /** A realtime message arrived. */
  rtmsg: (message: RealtimeMessage) => void;
  /** A user's merged presence changed (0 = offline or invisible). */
  presence: (userId: string | undefined, userHandle: string, presence: number) => void;
  /** This user's own merged presence, as the server computed it. */
  ownPresence: (presence: number) => void;
  /** A room's in-call flag changed. */
  inCall: (room: Room, inCall: boolean) => void;
  /** The realtime channel assigned this connection its client id. */
  clientId: (clientId: number) => void;
  /** The server refused a realtime command. */
  reject: (rejection: RealtimeRejection) => void;
  /**
   * Every event of this client's own realtime connection, raw (handles, not ids). For relaying
   * the connection to other browser tabs; apps use the events above.
   */
  realtimeEvent: (event: RealtimeClientEvent) => void;
  /** The state of this client's own realtime connection changed (for relaying to other tabs). */
  realtimeState: (state: ChannelState, clientId: number) => void;
  /** A failure the client recovers from by itself (for logs); nothing for the app to do. */
  warning: (error: ParleyError) => void;
}
