// The realtime channel in the server: tickets, contacts, the WebSocket endpoint and the hub that
// drives core's RealtimeRouter. Protocol reference: docs/realtime-protocol.md.

export { DeviceLogouts, type UpgradeCheck } from './device-logouts.js';
export { type InstallRealtimeOptions, installRealtime, type RealtimeService } from './install-realtime.js';
export { MembershipFeed, type MembershipFeedDeps } from './membership-feed.js';
export {
  MAX_REALTIME_TICKETS_PER_USER,
  REALTIME_LOGGED_OUT_REASON,
  REALTIME_PATH,
  REALTIME_TICKET_TTL_MS,
  type RealtimeSettings,
  realtimeSettings,
} from './realtime-config.js';
export { type RealtimeEndpointDeps, realtimeUpgradeHandler } from './realtime-endpoint.js';
export { RealtimeHub, type RealtimeHubDeps, type RealtimePeer } from './realtime-hub.js';
export { addRealtimeRoutes, type RealtimeRoutesDeps } from './realtime-routes.js';
export { type IssuedTicket, RealtimeTickets } from './realtime-tickets.js';
export { SerialQueue } from './serial-queue.js';
