import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';

/**
 * Takes over a connection that asked to upgrade (a WebSocket handshake). It owns `socket` from
 * then on: it must answer the handshake or destroy the socket.
 */
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

function refuse(socket: Duplex, status: string, errcode: string, error: string): void {
  const body = JSON.stringify({ errcode, error });
  socket.end(
    `HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-type: application/json\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/**
 * The HTTP server's `upgrade` listener: dispatches by exact path to the handlers registered
 * with {@link UpgradeRegistry.add}; any other path is answered 404 and closed.
 */
export class UpgradeRegistry {
  readonly #handlers = new Map<string, UpgradeHandler>();
  readonly #logger: Logger;
  #closed = false;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /** Routes upgrade requests for `path` (no query) to `handler`. */
  add(path: string, handler: UpgradeHandler): void {
    if (this.#handlers.has(path)) throw new Error(`an upgrade handler for ${path} is already registered`);
    this.#handlers.set(path, handler);
  }

  /** Refuses upgrades from now on (shutdown). */
  close(): void {
    this.#closed = true;
  }

  /** The `upgrade` listener. */
  readonly handle = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', (err) => this.#logger.debug({ err }, 'upgrade socket error'));
    if (this.#closed) {
      refuse(socket, '503 Service Unavailable', 'M_UNKNOWN', 'Server is shutting down');
      return;
    }
    let path: string;
    try {
      path = new URL(req.url ?? '/', 'http://localhost').pathname;
    } catch {
      refuse(socket, '400 Bad Request', 'M_INVALID_PARAM', 'Malformed request target');
      return;
    }
    const handler = this.#handlers.get(path);
    if (!handler) {
      refuse(socket, '404 Not Found', 'M_UNRECOGNIZED', 'No upgrade endpoint at this path');
      return;
    }
    try {
      handler(req, socket, head);
    } catch (err) {
      this.#logger.error({ err, path }, 'upgrade handler failed');
      if (!socket.destroyed)
        refuse(socket, '500 Internal Server Error', 'M_UNKNOWN', 'Internal server error');
    }
  };
}
