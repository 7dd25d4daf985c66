import { isParleyError, ParleyError } from '@parley/core';

/** The HTTP status of each Matrix errcode the server answers with. */
export const STATUS_OF_ERRCODE: Readonly<Record<string, number>> = {
  M_MISSING_TOKEN: 401,
  M_UNKNOWN_TOKEN: 401,
  M_FORBIDDEN: 403,
  M_NOT_FOUND: 404,
  M_UNRECOGNIZED: 404,
  M_NOT_JSON: 400,
  M_BAD_JSON: 400,
  M_INVALID_PARAM: 400,
  M_USER_IN_USE: 400,
  M_INVALID_USERNAME: 400,
  M_UNKNOWN_SYNC_SESSION: 400,
  M_UNSUPPORTED_ROOM_VERSION: 400,
  M_TOO_LARGE: 413,
  M_LIMIT_EXCEEDED: 429,
  M_UNKNOWN: 500,
};

/** A Matrix error with the status {@link STATUS_OF_ERRCODE} gives its code. */
export function matrixError(errcode: string, message: string, data?: Record<string, unknown>): ParleyError {
  return ParleyError.matrix(errcode, message, STATUS_OF_ERRCODE[errcode] ?? 400, data);
}

/** `403 M_FORBIDDEN`. */
export const forbidden = (message: string): ParleyError => matrixError('M_FORBIDDEN', message);
/** `404 M_NOT_FOUND`. */
export const notFound = (message: string): ParleyError => matrixError('M_NOT_FOUND', message);
/** `400 M_BAD_JSON`: the body is JSON but not of the expected shape. */
export const badJson = (message: string): ParleyError => matrixError('M_BAD_JSON', message);
/** `400 M_INVALID_PARAM`: a path or query parameter, or a field value, is not acceptable. */
export const invalidParam = (message: string): ParleyError => matrixError('M_INVALID_PARAM', message);

/** The wire form of an error: its status and Matrix body, and whether it was unexpected. */
export interface ErrorAnswer {
  status: number;
  body: Record<string, unknown>;
  /** True for a bug (not a `ParleyError` with an `M_*` code): logged, answered 500 M_UNKNOWN. */
  unexpected: boolean;
}

/** Turns anything thrown by a handler into a Matrix error answer. */
export function toErrorAnswer(err: unknown): ErrorAnswer {
  if (isParleyError(err) && err.code.startsWith('M_')) {
    const status = err.httpStatus ?? STATUS_OF_ERRCODE[err.code] ?? 400;
    return { status, body: { errcode: err.code, error: err.message, ...err.data }, unexpected: false };
  }
  return { status: 500, body: { errcode: 'M_UNKNOWN', error: 'Internal server error' }, unexpected: true };
}
