import type { ParleyError } from '../errors.js';

/** What the frame-level handlers learn about a data frame. */
export interface WebSocketFrameInfo {
  /** The frame's opcode: text or binary for the first frame of a message, continuation after. */
  readonly opcode: number;
  /** True for the last frame of its message. */
  readonly fin: boolean;
  /** The payload length announced in the header. */
  readonly length: number;
  /** Whether the message the frame belongs to is binary (false: text). */
  readonly binary: boolean;
  /** True for the first frame of its message. */
  readonly first: boolean;
}

/**
 * Receive handlers, at three levels (set one group, or several):
 *
 * 1. `onMessage`: whole messages.
 * 2. `onMessageBegin`, `onMessageFrame`, `onMessageEnd`: a message frame by frame.
 * 3. `onFrameBegin`, `onFrameData`, `onFrameEnd`: each frame's payload streamed in chunks as they
 *    arrive; nothing is buffered.
 *
 * The handlers of a level are set together or not at all. A level left unset is filled by a
 * default that assembles the level above it; a handler you set replaces its default, so the level
 * above only hears of it if your handler calls the matching default in
 * {@link WebSocketConnection.assemble}. Data payloads are never reused by the connection: they are
 * views into the bytes handed to {@link WebSocketConnection.receive} (which the connection owns from
 * then on) or fresh arrays. Ping and pong payloads are only valid during the call.
 *
 * Handlers run synchronously inside {@link WebSocketConnection.receive} and
 * {@link WebSocketConnection.handleTimeout}; they may call the connection's send methods.
 */
export interface WebSocketHandlers {
  /** A complete message; a text message is already validated as UTF-8. */
  onMessage?(data: Uint8Array, binary: boolean): void;
  /** The first frame of a message arrived. */
  onMessageBegin?(binary: boolean): void;
  /** One whole frame of the current message (text frames may split a character). */
  onMessageFrame?(payload: Uint8Array): void;
  /** The final frame of the current message arrived. */
  onMessageEnd?(): void;
  /** A data frame header arrived. */
  onFrameBegin?(frame: WebSocketFrameInfo): void;
  /** Payload bytes of the current data frame, unmasked, as they arrived. */
  onFrameData?(chunk: Uint8Array): void;
  /** The current data frame is complete. */
  onFrameEnd?(frame: WebSocketFrameInfo): void;
  /** A ping arrived (a pong has already been queued in reply). */
  onPing?(payload: Uint8Array): void;
  /** A pong arrived. */
  onPong?(payload: Uint8Array): void;
  /**
   * The connection is closed: the transport should be closed now. Fires exactly once. `code` is
   * the peer's close code (1005 when its close frame had none), the failure's code, or 1006 when
   * the connection ended without a close handshake.
   */
  onClose?(code: number, reason: string, wasClean: boolean): void;
  /** The peer broke the protocol; `error.code` is the close code sent (`"1002"`, `"1007"`, `"1009"`). */
  onError?(error: ParleyError): void;
}

/** The default handlers of levels 2 and 3, to call from your own handlers to keep assembling. */
export interface WebSocketAssembler {
  frameBegin(frame: WebSocketFrameInfo): void;
  frameData(chunk: Uint8Array): void;
  frameEnd(frame: WebSocketFrameInfo): void;
  messageBegin(binary: boolean): void;
  messageFrame(payload: Uint8Array): void;
  messageEnd(): void;
}
