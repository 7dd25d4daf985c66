import { WS_MAX_CONTROL_PAYLOAD, WS_OP_BINARY, WS_OP_CLOSE, WS_OP_PONG, WS_OP_TEXT } from './constants.js';
import type { WebSocketFrameEncoder } from './frame-encoder.js';
import { wsUsageError } from './ws-errors.js';

const IDLE = 0; // no message being sent
const MESSAGE = 1; // between the frames of a message
const FRAME = 2; // inside a streamed frame, before its declared length is reached

// Pings the caller asks for while a streamed frame is open wait here; more is a caller bug.
const MAX_DEFERRED_PINGS = 16;

interface Deferred {
  opcode: number;
  payload: Uint8Array;
}

/**
 * The three ways of sending, as a state machine over a {@link WebSocketFrameEncoder}:
 * a whole message; a message of many frames (`messageBegin`, `frameSend`…, `messageEnd`); and a
 * frame streamed in chunks after declaring its length (`frameDataBegin`, `frameDataSend`…).
 * Control frames may go out between the frames of a message; inside a streamed frame they wait
 * for the frame to complete.
 */
export class WebSocketSender {
  readonly #enc: WebSocketFrameEncoder;
  #state = IDLE;
  #opcode = WS_OP_BINARY; // the next frame's opcode: text/binary first, continuation after
  #remaining = 0;
  #final = false;
  #closeSent = false;
  #deferred: Deferred[] | undefined;

  constructor(encoder: WebSocketFrameEncoder) {
    this.#enc = encoder;
  }

  /** True once a close frame is queued (or deferred): no data frame may follow it. */
  get closeSent(): boolean {
    return this.#closeSent;
  }

  /** True while a streamed frame is open, when no other frame can be put on the wire. */
  get midFrame(): boolean {
    return this.#state === FRAME;
  }

  /** Sends a whole message as one frame. */
  message(payload: Uint8Array, binary: boolean): void {
    this.#expect(IDLE, 'a message is already being sent');
    this.#enc.frame(true, binary ? WS_OP_BINARY : WS_OP_TEXT, payload);
  }

  /** Starts a message of many frames. */
  messageBegin(binary: boolean): void {
    this.#expect(IDLE, 'a message is already being sent');
    this.#state = MESSAGE;
    this.#opcode = binary ? WS_OP_BINARY : WS_OP_TEXT;
  }

  /** Sends one whole, non-final frame of the current message. */
  frameSend(payload: Uint8Array): void {
    this.#expect(MESSAGE, 'frameSend needs messageBegin first');
    this.#enc.frame(false, this.#opcode, payload);
    this.#opcode = 0;
  }

  /**
   * Declares the next frame of the current message and its exact payload length; the payload then
   * goes through {@link frameDataSend}. A `final` frame ends the message when its last byte is sent.
   */
  frameDataBegin(length: number, final: boolean): void {
    this.#expect(MESSAGE, 'frameDataBegin needs messageBegin first');
    if (!Number.isSafeInteger(length) || length < 0) {
      throw wsUsageError('invalid_argument', `frame length must be a non-negative integer, got ${length}`);
    }
    this.#enc.streamHeader(final, this.#opcode, length);
    this.#opcode = 0;
    this.#state = FRAME;
    this.#remaining = length;
    this.#final = final;
    if (length === 0) this.#frameDone();
  }

  /** Sends payload bytes of the declared frame; more than the declared length is an error. */
  frameDataSend(chunk: Uint8Array): void {
    this.#expect(FRAME, 'frameDataSend needs frameDataBegin first');
    if (chunk.length > this.#remaining) {
      throw wsUsageError(
        'ws_frame_overflow',
        `${chunk.length} bytes sent with only ${this.#remaining} left of the declared frame length`,
      );
    }
    if (chunk.length === 0) return;
    this.#enc.streamData(chunk);
    this.#remaining -= chunk.length;
    if (this.#remaining === 0) this.#frameDone();
  }

  /** Ends the current message with a final frame holding `payload` (may be empty). */
  messageEnd(payload: Uint8Array): void {
    this.#expect(MESSAGE, 'messageEnd needs messageBegin first');
    this.#enc.frame(true, this.#opcode, payload);
    this.#state = IDLE;
  }

  /**
   * Sends a ping, pong or close frame now, or right after the streamed frame in progress. A
   * deferred pong replaces an earlier deferred pong (RFC 6455 allows answering only the latest ping).
   */
  control(opcode: number, payload: Uint8Array): void {
    if (payload.length > WS_MAX_CONTROL_PAYLOAD) {
      throw wsUsageError('invalid_argument', `control payload of ${payload.length} bytes is over 125`);
    }
    if (this.#closeSent) return;
    if (opcode === WS_OP_CLOSE) this.#closeSent = true;
    if (this.#state !== FRAME) {
      this.#enc.frame(true, opcode, payload);
      return;
    }
    const copy = payload.slice();
    const deferred = this.#deferred ?? [];
    this.#deferred = deferred;
    if (opcode === WS_OP_PONG) {
      const old = deferred.findIndex((d) => d.opcode === WS_OP_PONG);
      if (old >= 0) deferred.splice(old, 1);
    } else if (opcode !== WS_OP_CLOSE && deferred.length >= MAX_DEFERRED_PINGS) {
      throw wsUsageError('ws_invalid_state', 'too many pings queued behind a streamed frame');
    }
    deferred.push({ opcode, payload: copy });
  }

  #frameDone(): void {
    this.#state = this.#final ? IDLE : MESSAGE;
    const deferred = this.#deferred;
    if (deferred === undefined || deferred.length === 0) return;
    this.#deferred = undefined;
    for (const d of deferred) this.#enc.frame(true, d.opcode, d.payload);
  }

  #expect(state: number, message: string): void {
    if (this.#state === state) return;
    if (this.#state === FRAME) {
      throw wsUsageError(
        'ws_frame_incomplete',
        `${this.#remaining} bytes of the declared frame are still to send`,
      );
    }
    throw wsUsageError('ws_invalid_state', message);
  }
}
