import { isParleyError, ParleyError } from '../errors.js';
import type { HttpResponse } from './http.js';

/**
 * Turns an error response into a {@link ParleyError}: a Matrix body
 * (`{"errcode", "error", ...}`) keeps its errcode, message, status and extra fields (e.g.
 * `retry_after_ms`); anything else becomes `M_UNKNOWN` with the status.
 */
export function parleyErrorFromResponse(response: HttpResponse): ParleyError {
  let body: unknown;
  try {
    body = response.body === '' ? undefined : JSON.parse(response.body);
  } catch {
    body = undefined;
  }
  if (
    typeof body === 'object' &&
    body !== null &&
    typeof (body as { errcode?: unknown }).errcode === 'string'
  ) {
    const { errcode, error, ...data } = body as { errcode: string; error?: unknown };
    const message = typeof error === 'string' ? error : errcode;
    return ParleyError.matrix(errcode, message, response.status, data);
  }
  return ParleyError.matrix('M_UNKNOWN', `HTTP ${response.status}`, response.status);
}

/**
 * Maps what an {@link HttpFunction} threw: `aborted` when our signal fired, the error itself
 * when it is already a {@link ParleyError}, `network` otherwise.
 */
export function parleyErrorFromThrown(thrown: unknown, signal: AbortSignal | undefined): ParleyError {
  if (signal?.aborted) return ParleyError.aborted(signal.reason);
  if (isParleyError(thrown)) return thrown;
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  return ParleyError.network(`Request failed: ${message}`, thrown);
}

/** True for failures worth retrying for an idempotent request: network, 5xx and 429. */
export function isRetryable(error: ParleyError): boolean {
  if (error.code === 'network') return true;
  const status = error.httpStatus;
  return status !== undefined && (status === 429 || status >= 500);
}
