/**
 * Collects the pieces of a frame or message. A single piece is kept as the view it came in (the
 * common case: a whole message inside one received chunk costs no copy); from the second piece on,
 * pieces are copied into a buffer that grows by doubling, never past the `cap` it is given, so
 * memory follows the bytes actually received rather than a length a peer merely announced.
 */
export class ByteAccumulator {
  #first: Uint8Array | undefined;
  #buf: Uint8Array | undefined;
  #length = 0;

  /** Bytes collected so far. */
  get length(): number {
    return this.#length;
  }

  /** Bytes of memory held: the buffer's capacity, or the first piece's length. */
  get held(): number {
    return this.#buf?.length ?? this.#first?.length ?? 0;
  }

  /** Appends `piece` (kept by reference if it is the first); `cap` bounds the buffer's growth. */
  append(piece: Uint8Array, cap: number): void {
    if (this.#length === 0 && this.#buf === undefined) {
      this.#first = piece;
      this.#length = piece.length;
      return;
    }
    const need = this.#length + piece.length;
    let buf = this.#buf;
    if (buf === undefined || buf.length < need) {
      const grown = new Uint8Array(Math.max(need, Math.min(cap, Math.max(1024, 2 * (buf?.length ?? 0)))));
      if (buf !== undefined) grown.set(buf.subarray(0, this.#length));
      else if (this.#first !== undefined) grown.set(this.#first);
      this.#first = undefined;
      this.#buf = buf = grown;
    }
    buf.set(piece, this.#length);
    this.#length = need;
  }

  /** Everything collected, as one array; the accumulator is empty afterwards. */
  take(): Uint8Array {
    const out = this.#buf !== undefined ? this.#buf.subarray(0, this.#length) : (this.#first ?? EMPTY);
    this.#first = undefined;
    this.#buf = undefined;
    this.#length = 0;
    return out;
  }
}

const EMPTY = new Uint8Array(0);
