/**
 * RFC 6455 numbers: opcodes, close codes and the handshake GUID.
 *
 * @packageDocumentation
 */

/** Opcode of a continuation frame (the second and later frames of a fragmented message). */
export const WS_OP_CONTINUATION = 0x0;
/** Opcode of the first frame of a text message. */
export const WS_OP_TEXT = 0x1;
/** Opcode of the first frame of a binary message. */
export const WS_OP_BINARY = 0x2;
/** Opcode of a close frame. */
export const WS_OP_CLOSE = 0x8;
/** Opcode of a ping frame. */
export const WS_OP_PING = 0x9;
/** Opcode of a pong frame. */
export const WS_OP_PONG = 0xa;

/** Normal closure. */
export const WS_CLOSE_NORMAL = 1000;
/** The endpoint is going away (server shutdown, page navigation). */
export const WS_CLOSE_GOING_AWAY = 1001;
/** The peer broke the protocol (bad framing, bad opcode, bad close code, …). */
export const WS_CLOSE_PROTOCOL_ERROR = 1002;
/** The endpoint cannot accept this kind of data. */
export const WS_CLOSE_UNSUPPORTED_DATA = 1003;
/** Reported (never sent) when a close frame carried no status code. */
export const WS_CLOSE_NO_STATUS = 1005;
/** Reported (never sent) when the connection dropped without a close handshake. */
export const WS_CLOSE_ABNORMAL = 1006;
/** A text message or close reason was not valid UTF-8. */
export const WS_CLOSE_INVALID_PAYLOAD = 1007;
/** A message broke the endpoint's policy. */
export const WS_CLOSE_POLICY_VIOLATION = 1008;
/** A frame, message or fragment count was over the configured limit. */
export const WS_CLOSE_MESSAGE_TOO_BIG = 1009;
/** The client expected an extension the server did not negotiate. */
export const WS_CLOSE_MANDATORY_EXTENSION = 1010;
/** The server hit an unexpected condition. */
export const WS_CLOSE_INTERNAL_ERROR = 1011;

/** The GUID that RFC 6455 appends to `Sec-WebSocket-Key` before hashing it. */
export const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** The largest payload of a control frame (ping, pong, close). */
export const WS_MAX_CONTROL_PAYLOAD = 125;

/**
 * True when `code` may appear in a close frame on the wire: 1000-1003, 1007-1014 and the
 * registered/private ranges 3000-4999. 1004 is reserved; 1005, 1006 and 1015 are only ever
 * reported locally, never sent.
 */
export function isValidWsCloseCode(code: number): boolean {
  if (code >= 3000 && code <= 4999) return true;
  if (code >= 1000 && code <= 1003) return true;
  return code >= 1007 && code <= 1014;
}
