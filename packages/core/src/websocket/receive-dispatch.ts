import { ParleyError } from '../errors.js';
import { ByteAccumulator } from './byte-accumulator.js';
import { WS_OP_BINARY, WS_OP_TEXT } from './constants.js';
import type { WebSocketFrameSink } from './frame-decoder.js';
import type { WebSocketAssembler, WebSocketFrameInfo, WebSocketHandlers } from './handlers.js';
import type { WebSocketLimits } from './limits.js';

const EMPTY = new Uint8Array(0);

/** Where control frames and failures go; the connection handles those itself. */
export interface WebSocketControlSink {
  control(opcode: number, payload: Uint8Array): void;
  fail(closeCode: number, reason: string): void;
}

/**
 * Routes decoded data frames to the user's handlers at the level they chose, and implements the
 * default handlers that build each level from the one below (frames → message frames → messages).
 */
export class WebSocketReceiveDispatch implements WebSocketFrameSink {
  readonly #h: WebSocketHandlers;
  readonly #maxMessage: number;
  readonly #controls: WebSocketControlSink;
  // No level-2 or level-3 handlers: frame payloads go straight into the message buffer (the
  // seed's "bypass": no per-frame copy on the way).
  readonly #direct: boolean;

  // The data frame being received.
  #fin = false;
  #first = false;
  #binary = false;
  #length = 0;
  #frame: ByteAccumulator | undefined;
  // The message being assembled by the default handlers.
  #msgBinary = false;
  // Created with the first message: an idle connection holds no buffer.
  #message: ByteAccumulator | undefined;
  #assemble: WebSocketAssembler | undefined;

  constructor(handlers: WebSocketHandlers, limits: WebSocketLimits, controls: WebSocketControlSink) {
    checkGroup(handlers, ['onMessageBegin', 'onMessageFrame', 'onMessageEnd']);
    checkGroup(handlers, ['onFrameBegin', 'onFrameData', 'onFrameEnd']);
    this.#h = handlers;
    this.#maxMessage = limits.maxMessage;
    this.#controls = controls;
    this.#direct = handlers.onMessageBegin === undefined && handlers.onFrameBegin === undefined;
  }

  /** Bytes held for messages and frames being assembled. */
  get bufferedBytes(): number {
    return (this.#message?.held ?? 0) + (this.#frame?.held ?? 0);
  }

  /** The default level-2 and level-3 handlers. */
  get assemble(): WebSocketAssembler {
    this.#assemble ??= {
      frameBegin: (f) => this.#defFrameBegin(f.first, f.binary),
      frameData: (chunk) => this.#defFrameData(chunk),
      frameEnd: (f) => this.#defFrameEnd(f.fin),
      messageBegin: (binary) => this.#defMessageBegin(binary),
      messageFrame: (payload) => this.#defMessageFrame(payload),
      messageEnd: () => this.#defMessageEnd(),
    };
    return this.#assemble;
  }

  frameBegin(opcode: number, fin: boolean, length: number): void {
    const first = opcode !== 0;
    if (first) this.#binary = opcode === WS_OP_BINARY;
    this.#fin = fin;
    this.#first = first;
    this.#length = length;
    if (this.#direct) {
      if (first) this.#msgBinary = this.#binary;
    } else if (this.#h.onFrameBegin !== undefined) {
      this.#h.onFrameBegin(this.#info());
    } else {
      this.#defFrameBegin(first, this.#binary);
    }
  }

  frameData(chunk: Uint8Array): void {
    if (this.#direct) this.#msg().append(chunk, this.#maxMessage);
    else if (this.#h.onFrameData !== undefined) this.#h.onFrameData(chunk);
    else this.#defFrameData(chunk);
  }

  frameEnd(fin: boolean): void {
    if (this.#direct) {
      if (fin) this.#h.onMessage?.(this.#msg().take(), this.#msgBinary);
    } else if (this.#h.onFrameEnd !== undefined) {
      this.#h.onFrameEnd(this.#info());
    } else {
      this.#defFrameEnd(fin);
    }
  }

  control(opcode: number, payload: Uint8Array): void {
    this.#controls.control(opcode, payload);
  }

  fail(closeCode: number, reason: string): void {
    this.#controls.fail(closeCode, reason);
  }

  #info(): WebSocketFrameInfo {
    const opcode = this.#first ? (this.#binary ? WS_OP_BINARY : WS_OP_TEXT) : 0;
    return { opcode, fin: this.#fin, length: this.#length, binary: this.#binary, first: this.#first };
  }

  #defFrameBegin(first: boolean, binary: boolean): void {
    if (!first) return;
    if (this.#h.onMessageBegin !== undefined) this.#h.onMessageBegin(binary);
    else this.#defMessageBegin(binary);
  }

  #defFrameData(chunk: Uint8Array): void {
    if (this.#frame === undefined) this.#frame = new ByteAccumulator();
    this.#frame.append(chunk, this.#length);
  }

  #defFrameEnd(fin: boolean): void {
    const payload = this.#frame?.take() ?? EMPTY;
    const h = this.#h;
    if (h.onMessageFrame !== undefined) h.onMessageFrame(payload);
    else this.#defMessageFrame(payload);
    if (!fin) return;
    if (h.onMessageEnd !== undefined) h.onMessageEnd();
    else this.#defMessageEnd();
  }

  #defMessageBegin(binary: boolean): void {
    this.#msgBinary = binary;
    this.#msg().take();
  }

  #defMessageFrame(payload: Uint8Array): void {
    this.#msg().append(payload, this.#maxMessage);
  }

  #defMessageEnd(): void {
    this.#h.onMessage?.(this.#msg().take(), this.#msgBinary);
  }

  #msg(): ByteAccumulator {
    if (this.#message === undefined) this.#message = new ByteAccumulator();
    return this.#message;
  }
}

function checkGroup(h: WebSocketHandlers, names: (keyof WebSocketHandlers)[]): void {
  const set = names.filter((n) => h[n] !== undefined).length;
  if (set !== 0 && set !== names.length) {
    throw new ParleyError('invalid_argument', `handlers ${names.join(', ')} must be set together`);
  }
}
