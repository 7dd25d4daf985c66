import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { authenticate } from '../auth/authenticator.js';
import { matrixError, toErrorAnswer } from '../http/matrix-errors.js';
import type { UpgradeHandler } from '../http/upgrade-registry.js';
import type { RealtimeTicketRecord } from '../storage/realtime-storage.js';
import type { Storage } from '../storage/storage.js';
import { acceptWebSocket } from '../websocket/index.js';
import type { DeviceLogouts } from './device-logouts.js';
import type { MembershipFeed } from './membership-feed.js';
import type { RealtimeHub } from './realtime-hub.js';
import type { RealtimeTickets } from './realtime-tickets.js';

/** What the realtime endpoint needs. */
export interface RealtimeEndpointDeps {
  storage: Storage;
  tickets: RealtimeTickets;
  feed: MembershipFeed;
  hub: RealtimeHub;
  /** Logouts that happen while an upgrade is checked refuse it. */
  logouts: DeviceLogouts;
  logger: Logger;
  /** Largest inbound WebSocket message (the router's `maxMessageBytes`): more closes with 1009. */
  maxMessageBytes: number;
  /** The connection's unsent-bytes bound (the hub closes a slow reader before this is reached). */
  maxBufferedBytes: number;
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  500: 'Internal Server Error',
};

/** Answers an upgrade request with a Matrix error instead of switching protocols. */
function refuse(socket: Duplex, status: number, body: Record<string, unknown>): void {
  if (socket.destroyed) return;
  const text = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\nconnection: close\r\n` +
      `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
  );
}

/**
 * Who the upgrade request is from: the owner of a valid ticket (`?ticket=`), else of the access
 * token in the `Authorization` header. With both, they must name the same user and device.
 *
 * @throws `401 M_MISSING_TOKEN` without either, `401 M_UNKNOWN_TOKEN` for an unknown, used or
 *   expired ticket or token, or a ticket of another device than the header's token.
 */
async function requesterOf(req: IncomingMessage, deps: RealtimeEndpointDeps): Promise<RealtimeTicketRecord> {
  const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
  const ticket = query.get('ticket');
  const hasHeader = req.headers.authorization !== undefined;
  // The header only: an access token in the query would end up in access logs.
  const fromHeader = hasHeader ? await authenticate(deps.storage, req, new URLSearchParams()) : undefined;
  if (ticket === null) {
    if (fromHeader === undefined)
      throw matrixError('M_MISSING_TOKEN', 'Missing realtime ticket or access token');
    return fromHeader;
  }
  const owner = await deps.tickets.take(ticket);
  if (owner === undefined) throw matrixError('M_UNKNOWN_TOKEN', 'Unknown, used or expired realtime ticket');
  if (
    fromHeader !== undefined &&
    (fromHeader.userId !== owner.userId || fromHeader.deviceId !== owner.deviceId)
  ) {
    throw matrixError('M_UNKNOWN_TOKEN', 'The realtime ticket belongs to another user or device');
  }
  return owner;
}

/**
 * The upgrade handler of `GET /_parley/v1/realtime`: checks the ticket or access token (a bad one
 * is answered `401` before any upgrade), loads the user's rooms and contacts into the router, then
 * completes the WebSocket handshake on Parley's codec and hands the socket to the hub. A device
 * that logs out meanwhile is refused `401 M_UNKNOWN_TOKEN`.
 */
export function realtimeUpgradeHandler(deps: RealtimeEndpointDeps): UpgradeHandler {
  return (req, socket, head) => {
    const check = deps.logouts.begin();
    void (async () => {
      let owner: RealtimeTicketRecord;
      let handle: string;
      try {
        owner = await requesterOf(req, deps);
        const user = await deps.storage.getUser(owner.userId);
        if (user === undefined) throw matrixError('M_UNKNOWN_TOKEN', 'The account no longer exists');
        handle = user.handle;
        await deps.feed.loadUser(owner.userId, handle);
        // No await from here to `attach`: a later logout finds the connection in the hub.
        if (check.loggedOut(owner.userId, owner.deviceId))
          throw matrixError('M_UNKNOWN_TOKEN', 'The device logged out');
      } catch (err) {
        const answer = toErrorAnswer(err);
        if (answer.unexpected) deps.logger.error({ err }, 'realtime upgrade failed');
        refuse(socket, answer.status, answer.body);
        return;
      } finally {
        check.end();
      }
      if (socket.destroyed) return;
      const ws = acceptWebSocket(req, socket, head, {
        limits: { maxMessage: deps.maxMessageBytes, maxFrame: deps.maxMessageBytes },
        // The realtime channel has its own keepalive (OP_KEEPALIVE) and silence timeout.
        keepAlive: false,
        maxBufferedAmount: deps.maxBufferedBytes + deps.maxMessageBytes + 1024 * 1024,
      });
      if (ws === undefined) return;
      deps.hub.attach(ws, { userId: owner.userId, deviceId: owner.deviceId, handle });
    })().catch((err: unknown) => {
      deps.logger.error({ err }, 'realtime upgrade failed');
      if (!socket.destroyed) socket.destroy();
    });
  };
}
