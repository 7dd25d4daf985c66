/**
 * The one error family of Parley. Every failure a user of the SDK or the server can see is a
 * {@link ParleyError} with a string {@link ParleyError.code}: a Matrix errcode (`M_FORBIDDEN`), a
 * WebSocket close code as a string (`"1002"`), or one of Parley's own lower-case codes (`network`,
 * `aborted`, `protocol`, …).
 *
 * @packageDocumentation
 */

const BRAND = Symbol.for('parley.error');

/** Options accepted by the {@link ParleyError} constructor. */
export interface ParleyErrorOptions {
  /** The underlying error, if any. */
  cause?: unknown;
  /** An HTTP status that fits the error, when it is answered over HTTP. */
  httpStatus?: number;
  /** Extra, code-specific fields (e.g. `retry_after_ms`), kept for the wire shape. */
  data?: Record<string, unknown>;
}

/**
 * The base class of every error Parley raises.
 *
 * Use {@link isParleyError} rather than `instanceof`: an app may end up with two copies of
 * `@parley/core` (e.g. one bundled by a dependency), and `instanceof` fails across copies while
 * the `Symbol.for` brand does not.
 */
export class ParleyError extends Error {
  /** A stable, machine-readable code: `M_*`, a WebSocket close code, or a Parley code. */
  readonly code: string;
  /** The HTTP status this error maps to, when it has one. */
  readonly httpStatus: number | undefined;
  /** Extra fields of the error's wire shape. */
  readonly data: Record<string, unknown> | undefined;

  constructor(code: string, message: string, options: ParleyErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ParleyError';
    this.code = code;
    this.httpStatus = options.httpStatus;
    this.data = options.data;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** A request was cancelled through its `AbortSignal`. */
  static aborted(reason?: unknown): ParleyError {
    return new ParleyError('aborted', 'The operation was aborted', { cause: reason });
  }

  /** A network failure: the peer could not be reached or the connection broke. */
  static network(message: string, cause?: unknown): ParleyError {
    return new ParleyError('network', message, { cause });
  }

  /** The peer broke a protocol rule (bad bytes, bad command, bad state). */
  static protocol(message: string, cause?: unknown): ParleyError {
    return new ParleyError('protocol', message, { cause });
  }

  /** An error with a Matrix errcode and its HTTP status. */
  static matrix(
    errcode: string,
    message: string,
    httpStatus: number,
    data?: Record<string, unknown>,
  ): ParleyError {
    return new ParleyError(errcode, message, { httpStatus, data });
  }
}

/** True when `value` is a {@link ParleyError}, from this copy of core or any other. */
export function isParleyError(value: unknown): value is ParleyError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

/** Throws {@link ParleyError.aborted} when `signal` is aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw ParleyError.aborted(signal.reason);
}
