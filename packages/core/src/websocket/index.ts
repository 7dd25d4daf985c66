// Public surface of core/src/websocket: an RFC 6455 codec (sans-IO), handshake helpers and the
// pieces it is built from. See docs/websocket.md.
export {
  buildWsUpgradeRequest,
  checkWsUpgradeResponse,
  createWsClientKey,
  type WebSocketClientRequest,
} from './client-handshake.js';
export {
  DEFAULT_WS_CLOSE_TIMEOUT_MS,
  WebSocketConnection,
  type WebSocketConnectionOptions,
  type WebSocketKeepAlive,
  type WebSocketState,
} from './connection.js';
export {
  isValidWsCloseCode,
  WS_CLOSE_ABNORMAL,
  WS_CLOSE_GOING_AWAY,
  WS_CLOSE_INTERNAL_ERROR,
  WS_CLOSE_INVALID_PAYLOAD,
  WS_CLOSE_MANDATORY_EXTENSION,
  WS_CLOSE_MESSAGE_TOO_BIG,
  WS_CLOSE_NO_STATUS,
  WS_CLOSE_NORMAL,
  WS_CLOSE_POLICY_VIOLATION,
  WS_CLOSE_PROTOCOL_ERROR,
  WS_CLOSE_UNSUPPORTED_DATA,
  WS_GUID,
  WS_MAX_CONTROL_PAYLOAD,
  WS_OP_BINARY,
  WS_OP_CLOSE,
  WS_OP_CONTINUATION,
  WS_OP_PING,
  WS_OP_PONG,
  WS_OP_TEXT,
} from './constants.js';
export { WebSocketFrameDecoder, type WebSocketFrameSink, type WebSocketRole } from './frame-decoder.js';
export { WebSocketFrameEncoder, wsHeaderSize } from './frame-encoder.js';
export type { WebSocketAssembler, WebSocketFrameInfo, WebSocketHandlers } from './handlers.js';
export {
  acceptWsHandshake,
  DEFAULT_WS_MAX_HEADER_BYTES,
  DEFAULT_WS_MAX_HEADER_COUNT,
  type WebSocketHandshakeAccepted,
  type WebSocketHandshakeOptions,
  type WebSocketHandshakeRefused,
  type WebSocketHandshakeResult,
  type WebSocketUpgradeRequest,
  wsAcceptKey,
} from './handshake.js';
export {
  DEFAULT_WS_MAX_FRAGMENTS,
  DEFAULT_WS_MAX_FRAME,
  DEFAULT_WS_MAX_MESSAGE,
  resolveWsLimits,
  type WebSocketLimits,
} from './limits.js';
export { applyWsMask, packWsMaskKey } from './mask.js';
export { isValidUtf8, Utf8Validator } from './utf8-validator.js';
export { wsCloseCodeOf, wsCloseError, wsUsageError } from './ws-errors.js';
