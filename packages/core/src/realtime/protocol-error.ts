import { ParleyError } from '../errors.js';

/**
 * Why a binary message of the realtime channel could not be decoded.
 *
 * - `empty`: a binary message with no command at all.
 * - `truncated`: the message ends inside a command's fixed fields.
 * - `unknown_opcode`: an opcode that this direction does not have.
 * - `msglen_past_end`: an RTMSG whose `msglen` runs past the end of the message.
 * - `zero_handle`: a handle or client id that must not be 0 is 0 (room, RTMSG sender, client id).
 * - `invalid_addressing`: RTMSG to (user 0, client C != 0).
 * - `invalid_value`: a field outside its range (IN_CALL status not 0/1, OP_PRES with the MSB set).
 */
export type RealtimeDecodeReason =
  | 'empty'
  | 'truncated'
  | 'unknown_opcode'
  | 'msglen_past_end'
  | 'zero_handle'
  | 'invalid_addressing'
  | 'invalid_value';

/**
 * A realtime message broke the wire format. Its {@link ParleyError.code} is `protocol`; the
 * server answers it by closing the connection with 1002 and {@link closeReason}.
 */
export class RealtimeProtocolError extends ParleyError {
  /** What was wrong. */
  readonly reason: RealtimeDecodeReason;
  /** Byte offset of the offending command in the message. */
  readonly offset: number;
  /** Opcode of the offending command (`-1` for `empty`). */
  readonly opcode: number;

  constructor(reason: RealtimeDecodeReason, offset: number, opcode: number, message: string) {
    super('protocol', message, { data: { reason, offset, opcode } });
    this.name = 'RealtimeProtocolError';
    this.reason = reason;
    this.offset = offset;
    this.opcode = opcode;
  }

  /** A close reason that fits a WebSocket close frame (at most 123 bytes, ASCII). */
  get closeReason(): string {
    return this.message.slice(0, 123);
  }
}
