/**
 * Wire shapes of the client API (DESIGN.md "Client API"), in Matrix's snake_case, and the
 * camelCase shapes the SDK hands to apps.
 */

/** A room or state event as the client API and sync return it (Matrix client event format). */
export interface MatrixEvent {
  event_id: string;
  type: string;
  sender: string;
  origin_server_ts: number;
  content: Record<string, unknown>;
  room_id?: string;
  state_key?: string;
  /** `transaction_id` is set on events sent by this device, so a local echo can be matched. */
  unsigned?: { transaction_id?: string; [key: string]: unknown };
  /** Parley adds the 8-byte handle of the sender as 16 hex digits where it knows it. */
  user_handle?: string;
}

/** A to-device message as sync delivers it. */
export interface ToDeviceMessage {
  type: string;
  sender: string;
  content: Record<string, unknown>;
}

/** The credentials of a logged-in device. */
export interface Credentials {
  userId: string;
  accessToken: string;
  deviceId: string;
  /** The user's realtime handle, 16 lowercase hex digits. */
  userHandle: string;
}

/** A room the client created or joined. */
export interface CreatedRoom {
  roomId: string;
  /** The room's realtime handle, 16 lowercase hex digits. */
  roomHandle: string;
}

/** A page of `/messages`: `chunk` is newest first for `dir = 'b'`. */
export interface MessagesPage {
  chunk: MatrixEvent[];
  start: string;
  /** Absent when there is nothing further in that direction. */
  end: string | undefined;
}

/** A single-use realtime ticket. */
export interface RealtimeTicket {
  ticket: string;
  /** Lifetime as the server states it (`expires_in`, seconds). */
  expiresIn: number;
}

/** Options of `createRoom`. */
export interface CreateRoomOptions {
  name?: string;
  /** Matrix user ids to invite. */
  invite?: string[];
  preset?: 'private_chat' | 'public_chat' | 'trusted_private_chat';
}

/** `messages` per user id, then per device id or `"*"` for all of that user's devices. */
export type ToDeviceMessages = Record<string, Record<string, Record<string, unknown>>>;
