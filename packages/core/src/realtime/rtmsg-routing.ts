/**
 * RTMSG routing: the three addressing modes of DESIGN.md and the `OP_REJECT` codes they can give.
 *
 * @packageDocumentation
 */

import type { ClientIds } from './client-ids.js';
import type { ClientRtmsg } from './commands.js';
import { encodeServerRtmsgFast } from './encode.js';
import { ZERO_HANDLE } from './handle.js';
import { RejectCode } from './opcodes.js';
import type { Outbox } from './outbox.js';
import type { RealtimeRouterCluster } from './router-cluster.js';
import type { RouterGraph } from './router-graph.js';
import type { RouterConn } from './router-state.js';

/**
 * Delivers `cmd` from `conn`, or returns the `OP_REJECT` code that refuses it (0 = delivered).
 *
 * - (0, 0): every live connection of every room member but the sending connection (the sender's
 *   other devices get it).
 * - (U, 0): every live connection of member U but the sending connection.
 * - (U, C): the one connection C of member U, even when that is the sender (explicitly addressed).
 *
 * In cluster mode the receivers on other instances are reached through `cluster` (it forwards
 * to the instances holding one of their connections; they deliver to their own).
 *
 * @internal
 */
export function routeRtmsg(
  graph: RouterGraph,
  outbox: Outbox,
  clientIds: ClientIds<RouterConn>,
  conn: RouterConn,
  cmd: ClientRtmsg,
  maxRtmsgBytes: number,
  cluster: RealtimeRouterCluster,
): number {
  const r = graph.rooms.get(cmd.room);
  const sender = conn.user;
  if (r === undefined || !r.members.has(sender)) return RejectCode.NOT_IN_ROOM;
  if (cmd.data.length > maxRtmsgBytes) return RejectCode.TOO_LARGE;
  if (cmd.receiverUser === ZERO_HANDLE) {
    // Encoded once; every connection's queue shares the same bytes.
    const out = encodeServerRtmsgFast(r.bytes, sender.bytes, conn.clientId, cmd.msgtype, cmd.data);
    for (const m of r.members) for (const c of m.live) if (c !== conn) outbox.push(c.id, out);
    cluster.forward(conn, r, cmd, r.members);
    return 0;
  }
  const receiver = graph.users.get(cmd.receiverUser);
  if (receiver === undefined || !r.members.has(receiver)) return RejectCode.RECEIVER_NOT_IN_ROOM;
  if (cmd.receiverClient === 0) {
    graph.sendToUser(
      receiver,
      encodeServerRtmsgFast(r.bytes, sender.bytes, conn.clientId, cmd.msgtype, cmd.data),
      conn,
    );
    cluster.forward(conn, r, cmd, [receiver]);
    return 0;
  }
  const target = clientIds.get(cmd.receiverClient);
  if (target === undefined) {
    const remote = cluster.connection(cmd.receiverClient);
    if (remote === undefined || remote.user !== receiver) return RejectCode.UNKNOWN_CLIENT;
    cluster.forward(conn, r, cmd, [], remote);
    return 0;
  }
  if (target.user !== receiver) return RejectCode.UNKNOWN_CLIENT;
  outbox.push(target.id, encodeServerRtmsgFast(r.bytes, sender.bytes, conn.clientId, cmd.msgtype, cmd.data));
  return 0;
}
