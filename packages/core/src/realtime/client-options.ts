import { ParleyError } from '../errors.js';
import type { HandleHex } from './handle.js';
import { REALTIME_CLIENT_VERSION } from './opcodes.js';

/** Settings of a {@link RealtimeClient}; every field has a default. */
export interface RealtimeClientOptions {
  /** Sent in `OP_HELLO`. Default {@link REALTIME_CLIENT_VERSION}. */
  clientVersion: number;
  /**
   * The user's chosen presence (1..127, 0 = invisible) at start. Values are the app's; the
   * suggested scale is 1 do-not-disturb, 2 away, 3 online, 4 chatty. Default 3.
   */
  presence: number;
  /** No activity for this long lowers presence to {@link idlePresence} (with the idle flag). 0 = never. Default 300 000 ms. */
  idleAfterMs: number;
  /** The presence the idle timer sets (only when lower than the user's choice). Default 2. */
  idlePresence: number;
  /** `OP_IN_CALL room 1` interval while in a call; DESIGN.md asks for 2-5 s. Default 3000 ms. */
  heartbeatIntervalMs: number;
  /** Send `OP_KEEPALIVE` when nothing was sent or received for this long. Default 20 000 ms. */
  keepaliveIntervalMs: number;
  /** The server is dead when nothing arrives this long after a `OP_KEEPALIVE` or `OP_HELLO`. Default 10 000 ms. */
  keepaliveTimeoutMs: number;
  /** Largest RTMSG data {@link RealtimeClient.sendRtmsg} accepts (the server's limit). Default 65 536. */
  maxRtmsgBytes: number;
  /** Largest amount of bytes queued and not yet taken by {@link RealtimeClient.pollTransmit}. Default 1 MiB. */
  maxQueuedBytes: number;
}

/** The defaults of {@link RealtimeClientOptions}. */
export const DEFAULT_REALTIME_CLIENT_OPTIONS: Readonly<RealtimeClientOptions> = Object.freeze({
  clientVersion: REALTIME_CLIENT_VERSION,
  presence: 3,
  idleAfterMs: 300_000,
  idlePresence: 2,
  heartbeatIntervalMs: 3000,
  keepaliveIntervalMs: 20_000,
  keepaliveTimeoutMs: 10_000,
  maxRtmsgBytes: 64 * 1024,
  maxQueuedBytes: 1024 * 1024,
});

const RANGES: Record<keyof RealtimeClientOptions, [number, number]> = {
  clientVersion: [0, 0xffff],
  presence: [0, 127],
  idleAfterMs: [0, Number.MAX_SAFE_INTEGER],
  idlePresence: [0, 127],
  heartbeatIntervalMs: [1, Number.MAX_SAFE_INTEGER],
  keepaliveIntervalMs: [1, Number.MAX_SAFE_INTEGER],
  keepaliveTimeoutMs: [1, Number.MAX_SAFE_INTEGER],
  maxRtmsgBytes: [0, 0xffffff],
  maxQueuedBytes: [1, Number.MAX_SAFE_INTEGER],
};

/** Fills in defaults and checks ranges; throws `ParleyError` `invalid_argument` on a bad value. */
export function resolveClientOptions(options: Partial<RealtimeClientOptions> = {}): RealtimeClientOptions {
  const o = { ...DEFAULT_REALTIME_CLIENT_OPTIONS };
  for (const [key, value] of Object.entries(options) as [keyof RealtimeClientOptions, unknown][]) {
    if (value === undefined) continue;
    const range = RANGES[key];
    if (range === undefined)
      throw new ParleyError('invalid_argument', `unknown realtime client option ${key}`);
    if (typeof value !== 'number' || !Number.isInteger(value) || value < range[0] || value > range[1]) {
      throw new ParleyError(
        'invalid_argument',
        `realtime client option ${key} must be an integer ${range[0]} .. ${range[1]}`,
      );
    }
    o[key] = value;
  }
  return o;
}

/** What {@link RealtimeClient.sendRtmsg} sends. Omit `user` and `client` to reach the whole room. */
export interface RealtimeSendOptions {
  room: HandleHex;
  /** Receiver user; omitted or the zero handle = every member of the room. */
  user?: HandleHex;
  /** Receiver client id of `user`; omitted or 0 = every connection of `user`. */
  client?: number;
  /** Opaque to the server (0..255). */
  msgtype: number;
  data: Uint8Array;
}
