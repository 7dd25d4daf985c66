import type { IncomingMessage } from 'node:http';
import { type JsonObject, ParleyError, parseJsonStrict } from '@parley/core';
import { badJson, matrixError } from './matrix-errors.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

function tooLarge(limit: number): ParleyError {
  return matrixError('M_TOO_LARGE', `Request body is larger than ${limit} bytes`);
}

/**
 * Bytes of a too-large body read and thrown away before answering 413. Answering while the
 * client is still sending makes many clients (fetch/undici) see a broken pipe instead of the
 * 413, so a modestly oversized body is drained first (never stored); a larger one is answered
 * at once and its connection closed.
 */
export const DRAIN_BYTES = 1024 * 1024;

/**
 * Reads a request body, holding at most `limit` bytes. A body over the limit is refused with
 * `413 M_TOO_LARGE`: after draining it when it is at most {@link DRAIN_BYTES} over the limit,
 * else at once (a `Content-Length` that says so is refused before reading).
 *
 * @throws `413 M_TOO_LARGE`; `aborted` when the client goes away mid-body.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit + DRAIN_BYTES) return Promise.reject(tooLarge(limit));
  if (req.readableEnded) return Promise.resolve(new Uint8Array(0));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let draining = declared > limit;
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit + DRAIN_BYTES) {
        cleanup();
        req.pause();
        reject(tooLarge(limit));
      } else if (size > limit) {
        draining = true;
        chunks.length = 0;
      } else if (!draining) {
        chunks.push(chunk);
      }
    };
    const onEnd = (): void => {
      cleanup();
      if (draining) reject(tooLarge(limit));
      else resolve(Buffer.concat(chunks, size));
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(ParleyError.aborted(err));
    };
    const onClose = (): void => {
      if (req.complete) return;
      cleanup();
      reject(ParleyError.aborted(new Error('client closed the connection mid-body')));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

/** Options of {@link readJsonObject}. */
export interface ReadJsonOptions {
  /** Largest body accepted, in bytes. */
  limit: number;
  /** Treat an empty body as `{}` (for endpoints whose fields are all optional). */
  allowEmpty?: boolean;
}

/**
 * Reads a body that must be one JSON object, parsed strictly (canonical-JSON rules: no duplicate
 * keys, no floats, valid UTF-8).
 *
 * @throws `400 M_NOT_JSON` when it is not JSON, `400 M_BAD_JSON` when it is not an object,
 *   `413 M_TOO_LARGE`.
 */
export async function readJsonObject(req: IncomingMessage, options: ReadJsonOptions): Promise<JsonObject> {
  const bytes = await readBody(req, options.limit);
  if (bytes.length === 0) {
    if (options.allowEmpty) return {};
    throw matrixError('M_NOT_JSON', 'Request body is empty; expected a JSON object');
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw matrixError('M_NOT_JSON', 'Request body is not valid UTF-8');
  }
  const value = parseJsonStrict(text);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw badJson('Request body must be a JSON object');
  }
  return value as JsonObject;
}
