import {
  isValidWsCloseCode,
  WS_CLOSE_INVALID_PAYLOAD,
  WS_CLOSE_MESSAGE_TOO_BIG,
  WS_CLOSE_PROTOCOL_ERROR,
  WS_OP_BINARY,
  WS_OP_CLOSE,
  WS_OP_PONG,
  WS_OP_TEXT,
} from './constants.js';
import type { WebSocketLimits } from './limits.js';
import { applyWsMask, packWsMaskKey } from './mask.js';
import { Utf8Validator } from './utf8-validator.js';

/** Which end of the connection a codec plays; it decides who masks. */
export type WebSocketRole = 'server' | 'client';

/**
 * What a {@link WebSocketFrameDecoder} reports, in wire order. Data frames are streamed (begin,
 * any number of data chunks, end); control frames arrive whole, after validation.
 */
export interface WebSocketFrameSink {
  /** A data frame header: `opcode` is text, binary or continuation. */
  frameBegin(opcode: number, fin: boolean, length: number): void;
  /** Unmasked payload bytes of the current data frame, as they arrive (text already UTF-8-checked). */
  frameData(chunk: Uint8Array): void;
  /** The current data frame is complete; `fin` ends its message. */
  frameEnd(fin: boolean): void;
  /** A complete, valid ping, pong or close frame. `payload` is only valid during the call. */
  control(opcode: number, payload: Uint8Array): void;
  /** The peer broke the protocol; the decoder has stopped and ignores further input. */
  fail(closeCode: number, reason: string): void;
}

// 2^53 / 2^32: a 64-bit length whose high word reaches this is beyond any safe JS length.
const MAX_SAFE_HIGH_WORD = 0x20_0000;

/**
 * The receive side of RFC 6455: parses frame headers, enforces the framing rules and limits,
 * unmasks in place and validates text as UTF-8 incrementally, with no buffering of data frames.
 *
 * It takes ownership of the bytes it is given: payload bytes are unmasked in place, and the
 * chunks handed to the sink are views into them.
 */
export class WebSocketFrameDecoder {
  readonly #sink: WebSocketFrameSink;
  readonly #server: boolean;
  readonly #limits: WebSocketLimits;
  #stopped = false;

  // A header split across chunks is gathered here (at most 14 bytes).
  #hdr: Uint8Array | undefined;
  #hdrLen = 0;

  // The frame being read.
  #inFrame = false;
  #fin = false;
  #opcode = 0;
  #masked = false;
  #key = 0;
  #keyPos = 0;
  #length = 0;
  #remaining = 0;

  // The data message being read (its frames may be interleaved with control frames).
  #inMessage = false;
  #text = false;
  #messageLength = 0;
  #fragments = 0;
  #utf8: Utf8Validator | undefined;

  // Control frames have their own buffer so they never disturb a fragmented message.
  #control: Uint8Array | undefined;
  #controlLen = 0;
  #reasonUtf8: Utf8Validator | undefined;

  constructor(sink: WebSocketFrameSink, role: WebSocketRole, limits: WebSocketLimits) {
    this.#sink = sink;
    this.#server = role === 'server';
    this.#limits = limits;
  }

  /** True once the decoder failed or was stopped; further input is ignored. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** True between the first and the last frame of a data message. */
  get inMessage(): boolean {
    return this.#inMessage;
  }

  /** Bytes held by the decoder itself (a partial header or control frame); never more than 139. */
  get bufferedBytes(): number {
    return this.#hdrLen + this.#controlLen;
  }

  /** Ignore everything from now on (after a close frame, or when the connection is torn down). */
  stop(): void {
    this.#stopped = true;
  }

  /** Feeds received bytes. Never throws on bad input: failures go to {@link WebSocketFrameSink.fail}. */
  push(chunk: Uint8Array): void {
    let pos = 0;
    const end = chunk.length;
    while (pos < end && !this.#stopped) {
      pos = this.#inFrame ? this.#payload(chunk, pos, end) : this.#header(chunk, pos, end);
    }
  }

  #header(chunk: Uint8Array, pos: number, end: number): number {
    if (this.#hdrLen === 0 && end - pos >= 2) {
      const size = this.#headerSize(chunk[pos] as number, chunk[pos + 1] as number);
      if (size < 0) return end;
      if (end - pos >= size) {
        this.#parseHeader(chunk, pos);
        return pos + size;
      }
    }
    // The header straddles chunks: gather it, checking the first two bytes as soon as they exist.
    if (this.#hdr === undefined) this.#hdr = new Uint8Array(14);
    const hdr = this.#hdr;
    let p = pos;
    while (this.#hdrLen < 2 && p < end) hdr[this.#hdrLen++] = chunk[p++] as number;
    if (this.#hdrLen < 2) return end;
    const size = this.#headerSize(hdr[0] as number, hdr[1] as number);
    if (size < 0) return end;
    while (this.#hdrLen < size && p < end) hdr[this.#hdrLen++] = chunk[p++] as number;
    if (this.#hdrLen < size) return end;
    this.#hdrLen = 0;
    this.#parseHeader(hdr, 0);
    return p;
  }

  /** Checks what the first two header bytes alone can tell; returns the header size, or -1. */
  #headerSize(b0: number, b1: number): number {
    if ((b0 & 0x70) !== 0)
      return this.#fail(WS_CLOSE_PROTOCOL_ERROR, 'reserved bits set without an extension');
    const opcode = b0 & 0x0f;
    const len7 = b1 & 0x7f;
    if (opcode >= 8) {
      if (opcode > WS_OP_PONG)
        return this.#fail(WS_CLOSE_PROTOCOL_ERROR, `reserved control opcode ${opcode}`);
      if ((b0 & 0x80) === 0) return this.#fail(WS_CLOSE_PROTOCOL_ERROR, 'fragmented control frame');
      if (len7 > 125) return this.#fail(WS_CLOSE_PROTOCOL_ERROR, 'control frame payload over 125 bytes');
      if (opcode === WS_OP_CLOSE && len7 === 1)
        return this.#fail(WS_CLOSE_PROTOCOL_ERROR, 'close payload of 1 byte');
    } else if (opcode > WS_OP_BINARY) {
      return this.#fail(WS_CLOSE_PROTOCOL_ERROR, `reserved data opcode ${opcode}`);
    } else if (opcode === 0 && !this.#inMessage) {
      return this.#fail(WS_CLOSE_PROTOCOL_ERROR, 'continuation frame without a message to continue');
    } else if (opcode !== 0 && this.#inMessage) {
      return this.#fail(WS_CLOSE_PROTOCOL_ERROR, 'new data frame inside a fragmented message');
    }
    const masked = (b1 & 0x80) !== 0;
    if (masked !== this.#server) {
      return this.#fail(
        WS_CLOSE_PROTOCOL_ERROR,
        masked ? 'masked frame from the server' : 'unmasked frame from a client',
      );
    }
    return 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + (masked ? 4 : 0);
  }

  #parseHeader(b: Uint8Array, p: number): void {
    const b0 = b[p] as number;
    const len7 = (b[p + 1] as number) & 0x7f;
    let q = p + 2;
    let length = len7;
    if (len7 === 126) {
      length = ((b[q] as number) << 8) | (b[q + 1] as number);
      q += 2;
    } else if (len7 === 127) {
      const hi =
        (((b[q] as number) << 24) |
          ((b[q + 1] as number) << 16) |
          ((b[q + 2] as number) << 8) |
          (b[q + 3] as number)) >>>
        0;
      const lo =
        (((b[q + 4] as number) << 24) |
          ((b[q + 5] as number) << 16) |
          ((b[q + 6] as number) << 8) |
          (b[q + 7] as number)) >>>
        0;
      q += 8;
      if (hi >= 0x8000_0000) {
        this.#fail(WS_CLOSE_PROTOCOL_ERROR, '64-bit payload length with the top bit set');
        return;
      }
      length = hi >= MAX_SAFE_HIGH_WORD ? Number.MAX_SAFE_INTEGER : hi * 0x1_0000_0000 + lo;
    }
    this.#masked = this.#server;
    if (this.#server) {
      this.#key = packWsMaskKey(b[q] as number, b[q + 1] as number, b[q + 2] as number, b[q + 3] as number);
    }
    this.#fin = (b0 & 0x80) !== 0;
    const opcode = b0 & 0x0f;
    this.#opcode = opcode;
    this.#length = length;
    this.#remaining = length;
    this.#keyPos = 0;
    if (opcode >= 8) {
      this.#controlLen = 0;
      if (opcode === WS_OP_CLOSE) {
        if (this.#reasonUtf8 === undefined) this.#reasonUtf8 = new Utf8Validator();
        else this.#reasonUtf8.reset();
      }
    } else {
      const limits = this.#limits;
      if (opcode !== 0) {
        this.#messageLength = 0;
        this.#fragments = 0;
      }
      if (length > limits.maxFrame) {
        this.#fail(
          WS_CLOSE_MESSAGE_TOO_BIG,
          `frame of ${length} bytes is over the limit of ${limits.maxFrame}`,
        );
        return;
      }
      if (this.#messageLength + length > limits.maxMessage) {
        this.#fail(WS_CLOSE_MESSAGE_TOO_BIG, `message is over the limit of ${limits.maxMessage} bytes`);
        return;
      }
      if (this.#fragments >= limits.maxFragments) {
        this.#fail(WS_CLOSE_MESSAGE_TOO_BIG, `message has more than ${limits.maxFragments} frames`);
        return;
      }
      if (opcode !== 0) {
        this.#inMessage = true;
        this.#text = opcode === WS_OP_TEXT;
        if (this.#text) {
          if (this.#utf8 === undefined) this.#utf8 = new Utf8Validator();
          else this.#utf8.reset();
        }
      }
      this.#messageLength += length;
      this.#fragments++;
      this.#sink.frameBegin(opcode, this.#fin, length);
      if (this.#stopped) return;
    }
    this.#inFrame = true;
    if (length === 0) this.#frameEnd(undefined);
  }

  #payload(chunk: Uint8Array, pos: number, end: number): number {
    const n = Math.min(this.#remaining, end - pos);
    const stop = pos + n;
    if (this.#masked) this.#keyPos = applyWsMask(chunk, pos, stop, this.#key, this.#keyPos);
    this.#remaining -= n;
    if (this.#opcode >= 8) return this.#controlPayload(chunk, pos, stop, end);
    if (this.#text && (this.#utf8 as Utf8Validator).write(chunk, pos, stop) >= 0) {
      this.#fail(WS_CLOSE_INVALID_PAYLOAD, 'invalid UTF-8 in a text message');
      return end;
    }
    this.#sink.frameData(chunk.subarray(pos, stop));
    if (this.#remaining === 0 && !this.#stopped) this.#frameEnd(undefined);
    return stop;
  }

  #controlPayload(chunk: Uint8Array, pos: number, stop: number, end: number): number {
    if (this.#opcode === WS_OP_CLOSE) {
      // The reason starts after the 2-byte code; check it as it arrives, like text.
      const offset = this.#length - this.#remaining - (stop - pos);
      const from = pos + Math.max(0, 2 - offset);
      if (from < stop && (this.#reasonUtf8 as Utf8Validator).write(chunk, from, stop) >= 0) {
        this.#fail(WS_CLOSE_INVALID_PAYLOAD, 'invalid UTF-8 in a close reason');
        return end;
      }
    }
    if (this.#remaining === 0 && this.#controlLen === 0) {
      this.#frameEnd(chunk.subarray(pos, stop));
      return stop;
    }
    if (this.#control === undefined) this.#control = new Uint8Array(125);
    const buf = this.#control;
    buf.set(chunk.subarray(pos, stop), this.#controlLen);
    this.#controlLen += stop - pos;
    if (this.#remaining === 0) this.#frameEnd(buf.subarray(0, this.#controlLen));
    return stop;
  }

  #frameEnd(controlPayload: Uint8Array | undefined): void {
    this.#inFrame = false;
    const opcode = this.#opcode;
    if (opcode >= 8) {
      const payload = controlPayload ?? new Uint8Array(0);
      this.#controlLen = 0;
      if (opcode === WS_OP_CLOSE && payload.length >= 2) {
        const code = ((payload[0] as number) << 8) | (payload[1] as number);
        if (!isValidWsCloseCode(code)) {
          this.#fail(WS_CLOSE_PROTOCOL_ERROR, `invalid close code ${code}`);
          return;
        }
        if (!(this.#reasonUtf8 as Utf8Validator).complete) {
          this.#fail(WS_CLOSE_INVALID_PAYLOAD, 'close reason ends inside a UTF-8 sequence');
          return;
        }
      }
      this.#sink.control(opcode, payload);
      return;
    }
    const fin = this.#fin;
    if (fin) {
      if (this.#text && !(this.#utf8 as Utf8Validator).complete) {
        this.#fail(WS_CLOSE_INVALID_PAYLOAD, 'text message ends inside a UTF-8 sequence');
        return;
      }
      this.#inMessage = false;
    }
    this.#sink.frameEnd(fin);
  }

  #fail(closeCode: number, reason: string): -1 {
    if (!this.#stopped) {
      this.#stopped = true;
      this.#sink.fail(closeCode, reason);
    }
    return -1;
  }
}
