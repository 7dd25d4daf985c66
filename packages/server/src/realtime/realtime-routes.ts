import type { Clock } from '@parley/core';
import { checkMatrixId } from '../api/validate.js';
import type { Handler, RequestContext } from '../http/handler.js';
import { forbidden, invalidParam, matrixError, notFound } from '../http/matrix-errors.js';
import { serverNameOf } from '../rooms/ids.js';
import type { Storage, UserRecord } from '../storage/storage.js';
import type { MembershipFeed } from './membership-feed.js';
import { REALTIME_TICKET_TTL_MS } from './realtime-config.js';
import type { RealtimeTickets } from './realtime-tickets.js';

/** What the realtime HTTP routes need. */
export interface RealtimeRoutesDeps {
  storage: Storage;
  serverName: string;
  clock: Clock;
  tickets: RealtimeTickets;
  feed: MembershipFeed;
  maxContactsPerUser: number;
  route(method: string, pattern: string, handler: Handler): void;
  /** Called after a contact entry was added or removed (tells the other server instances). */
  onContactChanged?: (userId: string, contactId: string) => void;
}

const P = '/_parley/v1';

/** The user named by the `:userId` path parameter, which must be a local user other than `me`. */
async function contactParam(ctx: RequestContext, deps: RealtimeRoutesDeps, me: string): Promise<UserRecord> {
  const userId = checkMatrixId(ctx.params.userId!, '@', 'user id');
  if (userId === me) throw invalidParam('You cannot add yourself as a contact');
  const user = await deps.storage.getUser(userId);
  if (user !== undefined) return user;
  if (serverNameOf(userId) !== deps.serverName) {
    throw invalidParam(`Users of other servers cannot be contacts yet (${userId})`);
  }
  throw notFound(`Unknown user ${userId}`);
}

async function ownHandle(deps: RealtimeRoutesDeps, userId: string): Promise<string> {
  const user = await deps.storage.getUser(userId);
  if (user === undefined) throw matrixError('M_UNKNOWN_TOKEN', 'The account no longer exists');
  return user.handle;
}

/**
 * Registers `POST /_parley/v1/realtime/ticket` and `GET`, `PUT`, `DELETE` of
 * `/_parley/v1/contacts[/{userId}]`.
 */
export function addRealtimeRoutes(deps: RealtimeRoutesDeps): void {
  deps.route('POST', `${P}/realtime/ticket`, async (ctx) => {
    const me = await ctx.auth();
    await ctx.body({ allowEmpty: true });
    const issued = await deps.tickets.issue(me);
    if (issued === undefined) {
      throw matrixError('M_LIMIT_EXCEEDED', 'Too many unused realtime tickets', {
        retry_after_ms: REALTIME_TICKET_TTL_MS,
      });
    }
    return { body: { ticket: issued.ticket, expires_in: issued.expiresIn } };
  });

  deps.route('GET', `${P}/contacts`, async (ctx) => {
    const me = await ctx.auth();
    const contacts = await deps.storage.getContacts(me.userId);
    return { body: { contacts: contacts.map((c) => ({ user_id: c.userId, user_handle: c.handle })) } };
  });

  deps.route('PUT', `${P}/contacts/:userId`, async (ctx) => {
    const me = await ctx.auth();
    const contact = await contactParam(ctx, deps, me.userId);
    await ctx.body({ allowEmpty: true });
    // Read before the write, so that the write and the router update follow each other with no
    // other await between them and concurrent adds and removes reach the router in commit order.
    const myHandle = await ownHandle(deps, me.userId);
    const result = await deps.storage.addContact(
      me.userId,
      contact.userId,
      deps.clock.now(),
      deps.maxContactsPerUser,
    );
    if (result === 'full') throw forbidden(`Your contact list is full (limit ${deps.maxContactsPerUser})`);
    if (result === 'added') {
      await deps.feed.contactAdded(me.userId, myHandle, contact.userId, contact.handle);
      deps.onContactChanged?.(me.userId, contact.userId);
    }
    return { body: { user_handle: contact.handle } };
  });

  deps.route('DELETE', `${P}/contacts/:userId`, async (ctx) => {
    const me = await ctx.auth();
    const contact = await contactParam(ctx, deps, me.userId);
    const myHandle = await ownHandle(deps, me.userId);
    if (await deps.storage.removeContact(me.userId, contact.userId)) {
      await deps.feed.contactRemoved(me.userId, myHandle, contact.userId, contact.handle);
      deps.onContactChanged?.(me.userId, contact.userId);
    }
    return { body: {} };
  });
}
