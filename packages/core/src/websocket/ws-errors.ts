import { ParleyError } from '../errors.js';

/**
 * The error a WebSocket connection fails with: a {@link ParleyError} whose `code` is the close code
 * as a string (`"1002"`, `"1007"`, `"1009"`), with the number itself in `data.closeCode`.
 */
export function wsCloseError(closeCode: number, reason: string): ParleyError {
  return new ParleyError(String(closeCode), reason, { data: { closeCode } });
}

/** The close code carried by an error from {@link wsCloseError}, or `undefined` for any other error. */
export function wsCloseCodeOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { data?: { closeCode?: unknown } }).data?.closeCode;
  return typeof code === 'number' ? code : undefined;
}

/** A caller used the sending API out of order (e.g. `frameDataSend` past the declared length). */
export function wsUsageError(code: string, message: string): ParleyError {
  return new ParleyError(code, message);
}
