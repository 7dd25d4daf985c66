import { checkLength, checkMatrixId, optionalBoolean } from '../api/validate.js';
import type { Handler, RequestContext } from '../http/handler.js';
import { badJson, forbidden, invalidParam } from '../http/matrix-errors.js';
import { withTransactionIds } from '../rooms/client-event.js';
import type { Storage } from '../storage/storage.js';
import type { SyncService } from './sync-service.js';
import { parseToDeviceBody } from './to-device-request.js';

const V3 = '/_matrix/client/v3';
const MAX_ID_BYTES = 255;

/** What {@link addSyncRoutes} needs. */
export interface SyncRoutesDeps {
  sync: SyncService;
  /** For the `unsigned.transaction_id` of the requesting device's own timeline events. */
  storage: Pick<Storage, 'getTxnIdsOfEvents'>;
  serverName: string;
  /** Messages one `sendToDevice` may address before `"*"` is expanded (checked again after). */
  toDeviceMaxMessages: number;
  route(method: string, pattern: string, handler: Handler): void;
}

/** A non-negative integer query parameter in ms, or `undefined` when absent. */
function msParam(ctx: RequestContext, name: string): number | undefined {
  const raw = ctx.query.get(name);
  if (raw === null) return undefined;
  if (!/^\d{1,15}$/.test(raw)) throw invalidParam(`"${name}" must be a non-negative integer (ms)`);
  return Number(raw);
}

/**
 * Aborts when the client's connection closes, so a long-poll of a client that went away stops
 * waiting (and its session's next request is not answered twice).
 */
function disconnectSignal(ctx: RequestContext): { signal: AbortSignal; release: () => void } {
  const controller = new AbortController();
  const socket = ctx.req.socket;
  const onClose = (): void => controller.abort();
  if (socket.destroyed) controller.abort();
  else socket.once('close', onClose);
  return { signal: controller.signal, release: () => socket.off('close', onClose) };
}

/** Registers `POST /sync`, `PUT /rooms/{roomId}/typing/{userId}` and `PUT /sendToDevice/{type}/{txnId}`. */
export function addSyncRoutes(deps: SyncRoutesDeps): void {
  const { sync, route } = deps;

  route('POST', `${V3}/sync`, async (ctx) => {
    const startedAt = process.hrtime.bigint();
    const me = await ctx.auth();
    const since = ctx.query.get('since') ?? undefined;
    const timeout = msParam(ctx, 'timeout');
    const body = await ctx.body({ allowEmpty: true });
    const { signal, release } = disconnectSignal(ctx);
    try {
      const res = await sync.sync(
        {
          userId: me.userId,
          deviceId: me.deviceId,
          body,
          ...(since === undefined ? {} : { since }),
          ...(timeout === undefined ? {} : { timeout }),
        },
        // A waiting long-poll gives up its maxInFlight slot (the session caps bound it).
        { signal, startedAt, onWait: ctx.longPolling },
      );
      if (res.room === undefined) return { body: res };
      const events = await withTransactionIds(deps.storage, me, res.room.events);
      return { body: { ...res, room: { ...res.room, events } } };
    } finally {
      release();
    }
  });

  route('PUT', `${V3}/rooms/:roomId/typing/:userId`, async (ctx) => {
    const me = await ctx.auth();
    const roomId = checkMatrixId(ctx.params.roomId!, '!', 'room id');
    const userId = checkMatrixId(ctx.params.userId!, '@', 'user id');
    if (userId !== me.userId) throw forbidden('You may only set your own typing notice');
    const body = await ctx.body();
    const typing = optionalBoolean(body, 'typing');
    if (typing === undefined) throw badJson('"typing" must be a boolean');
    const rawTimeout = body.timeout;
    if (rawTimeout !== undefined && (!Number.isSafeInteger(rawTimeout) || (rawTimeout as number) < 0)) {
      throw badJson('"timeout" must be a non-negative integer (ms)');
    }
    await sync.setTyping(me.userId, roomId, typing, rawTimeout as number | undefined);
    return { body: {} };
  });

  route('PUT', `${V3}/sendToDevice/:eventType/:txnId`, async (ctx) => {
    const me = await ctx.auth();
    const type = checkLength(ctx.params.eventType!, 'event type', MAX_ID_BYTES);
    const txnId = checkLength(ctx.params.txnId!, 'txnId', MAX_ID_BYTES);
    const body = await ctx.body();
    const addressees = parseToDeviceBody(body, deps.serverName, deps.toDeviceMaxMessages);
    await sync.sendToDevice({ userId: me.userId, deviceId: me.deviceId, txnId }, type, addressees);
    return { body: {} };
  });
}
