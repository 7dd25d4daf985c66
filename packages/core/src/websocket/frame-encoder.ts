import type { Random } from '../io.js';
import { applyWsMask, packWsMaskKey } from './mask.js';
import { wsUsageError } from './ws-errors.js';

// Unmasked payloads up to this size are copied behind their header so the frame goes out as one
// write; larger ones are queued by reference, header and payload as two chunks.
const COALESCE_LIMIT = 16 * 1024;
// Masking keys are drawn from the injected Random this many at a time.
const KEY_POOL = 64;

/** Size of a frame header for a payload of `length` bytes. */
export function wsHeaderSize(length: number, masked: boolean): number {
  return (length < 126 ? 2 : length < 0x1_0000 ? 4 : 10) + (masked ? 4 : 0);
}

/** Writes a frame header (without masking key) at `out[0..]`; returns its size. */
function writeHeader(out: Uint8Array, fin: boolean, opcode: number, length: number, masked: boolean): number {
  out[0] = (fin ? 0x80 : 0) | opcode;
  const m = masked ? 0x80 : 0;
  if (length < 126) {
    out[1] = m | length;
    return 2;
  }
  if (length < 0x1_0000) {
    out[1] = m | 126;
    out[2] = length >>> 8;
    out[3] = length & 0xff;
    return 4;
  }
  out[1] = m | 127;
  const hi = Math.floor(length / 0x1_0000_0000);
  const lo = length >>> 0;
  out[2] = hi >>> 24;
  out[3] = (hi >>> 16) & 0xff;
  out[4] = (hi >>> 8) & 0xff;
  out[5] = hi & 0xff;
  out[6] = lo >>> 24;
  out[7] = (lo >>> 16) & 0xff;
  out[8] = (lo >>> 8) & 0xff;
  out[9] = lo & 0xff;
  return 10;
}

/**
 * Turns frames into bytes and queues them for the transport. In the client role every frame gets
 * a fresh masking key from the injected {@link Random}; a streamed frame keeps its key and the key
 * position across the chunks of its payload.
 */
export class WebSocketFrameEncoder {
  readonly #random: Random | undefined;
  #keys: Uint8Array | undefined;
  #keyIndex = KEY_POOL;
  // Created on the first frame: an idle connection holds no queue.
  #out: Uint8Array[] | undefined;
  #outHead = 0;
  #buffered = 0;
  // The key and key position of the frame being streamed (client role; -1: not masked).
  #streamKey = -1;
  #streamKeyPos = 0;

  constructor(random: Random | undefined) {
    this.#random = random;
  }

  /** Bytes queued and not yet taken by {@link poll}. */
  get bufferedAmount(): number {
    return this.#buffered;
  }

  /** The next chunk of bytes to write to the transport, in order. */
  poll(): Uint8Array | undefined {
    const out = this.#out;
    if (out === undefined || this.#outHead === out.length) return undefined;
    const chunk = out[this.#outHead] as Uint8Array;
    out[this.#outHead++] = EMPTY;
    if (this.#outHead === out.length) {
      out.length = 0;
      this.#outHead = 0;
    }
    this.#buffered -= chunk.length;
    return chunk;
  }

  /** Queues one whole frame. The payload is copied or masked, or queued by reference when large. */
  frame(fin: boolean, opcode: number, payload: Uint8Array): void {
    const length = payload.length;
    if (this.#random !== undefined) {
      const size = wsHeaderSize(length, true);
      const out = new Uint8Array(size + length);
      const h = writeHeader(out, fin, opcode, length, true);
      const key = this.#nextKey(out, h);
      out.set(payload, size);
      applyWsMask(out, size, size + length, key, 0);
      this.#push(out);
    } else if (length <= COALESCE_LIMIT) {
      const out = new Uint8Array(wsHeaderSize(length, false) + length);
      out.set(payload, writeHeader(out, fin, opcode, length, false));
      this.#push(out);
    } else {
      const head = new Uint8Array(10);
      this.#push(head.subarray(0, writeHeader(head, fin, opcode, length, false)));
      this.#push(payload);
    }
  }

  /** Queues the header of a frame whose payload follows through {@link streamData}. */
  streamHeader(fin: boolean, opcode: number, length: number): void {
    const masked = this.#random !== undefined;
    const head = new Uint8Array(wsHeaderSize(length, masked));
    const h = writeHeader(head, fin, opcode, length, masked);
    if (masked) {
      this.#streamKey = this.#nextKey(head, h);
      this.#streamKeyPos = 0;
    }
    this.#push(head);
  }

  /** Queues payload bytes of the streamed frame, masked from where the previous chunk stopped. */
  streamData(chunk: Uint8Array): void {
    if (this.#streamKey < 0) {
      this.#push(chunk);
      return;
    }
    const out = chunk.slice();
    this.#streamKeyPos = applyWsMask(out, 0, out.length, this.#streamKey, this.#streamKeyPos);
    this.#push(out);
  }

  /** Draws the next masking key, writes it at `out[at..at+4)` and returns it packed. */
  #nextKey(out: Uint8Array, at: number): number {
    if (this.#keyIndex >= KEY_POOL) {
      const keys = (this.#random as Random).bytes(KEY_POOL * 4);
      if (keys.length !== KEY_POOL * 4) {
        throw wsUsageError('invalid_argument', 'Random.bytes returned the wrong length');
      }
      this.#keys = keys;
      this.#keyIndex = 0;
    }
    const keys = this.#keys as Uint8Array;
    const i = this.#keyIndex++ * 4;
    out[at] = keys[i] as number;
    out[at + 1] = keys[i + 1] as number;
    out[at + 2] = keys[i + 2] as number;
    out[at + 3] = keys[i + 3] as number;
    return packWsMaskKey(
      keys[i] as number,
      keys[i + 1] as number,
      keys[i + 2] as number,
      keys[i + 3] as number,
    );
  }

  #push(chunk: Uint8Array): void {
    if (this.#out === undefined) this.#out = [];
    this.#out.push(chunk);
    this.#buffered += chunk.length;
  }
}

const EMPTY = new Uint8Array(0);
