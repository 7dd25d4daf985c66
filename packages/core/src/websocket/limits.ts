import { ParleyError } from '../errors.js';

/**
 * Receive limits of a WebSocket connection. A frame or message over a limit fails the connection
 * with close code 1009, decided from the frame header before any of its payload is buffered.
 */
export interface WebSocketLimits {
  /** Largest payload of one data frame, in bytes. Default {@link DEFAULT_WS_MAX_FRAME}. */
  maxFrame: number;
  /** Largest message (sum of its frames' payloads), in bytes. Default {@link DEFAULT_WS_MAX_MESSAGE}. */
  maxMessage: number;
  /** Most frames in one message. Default {@link DEFAULT_WS_MAX_FRAGMENTS}. */
  maxFragments: number;
}

/** Default largest frame payload: 16 MiB. */
export const DEFAULT_WS_MAX_FRAME = 16 * 1024 * 1024;
/** Default largest message: 16 MiB. */
export const DEFAULT_WS_MAX_MESSAGE = 16 * 1024 * 1024;
/**
 * Default most frames per message: 65,536 (enough for a 4 MiB message in 64-byte fragments, as
 * the Autobahn suite sends; empty fragments would otherwise let a peer keep a message open forever).
 */
export const DEFAULT_WS_MAX_FRAGMENTS = 65_536;

const DEFAULTS: WebSocketLimits = Object.freeze({
  maxFrame: DEFAULT_WS_MAX_FRAME,
  maxMessage: DEFAULT_WS_MAX_MESSAGE,
  maxFragments: DEFAULT_WS_MAX_FRAGMENTS,
});

/** Fills in the defaults and checks that every limit is a non-negative integer. */
export function resolveWsLimits(limits?: Partial<WebSocketLimits>): WebSocketLimits {
  // Connections with default limits share one object.
  if (limits === undefined) return DEFAULTS;
  const out: WebSocketLimits = {
    maxFrame: limits.maxFrame ?? DEFAULT_WS_MAX_FRAME,
    maxMessage: limits.maxMessage ?? DEFAULT_WS_MAX_MESSAGE,
    maxFragments: limits.maxFragments ?? DEFAULT_WS_MAX_FRAGMENTS,
  };
  for (const [name, value] of Object.entries(out)) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new ParleyError(
        'invalid_argument',
        `WebSocket limit ${name} must be a non-negative safe integer, got ${value}`,
      );
    }
  }
  return out;
}
