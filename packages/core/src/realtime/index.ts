// Public surface of core/src/realtime: the realtime channel (MEGAchat's RTMSG, in-call and statusd
// designs). Protocol reference: docs/realtime-protocol.md.
export { RealtimeClient } from './client.js';
export type { RealtimeClientEvent, RealtimeClientState, RealtimeClientTransmit } from './client-events.js';
export {
  DEFAULT_REALTIME_CLIENT_OPTIONS,
  type RealtimeClientOptions,
  type RealtimeSendOptions,
} from './client-options.js';
export type {
  ClientCommand,
  ClientHello,
  ClientInCall,
  ClientRtmsg,
  Keepalive,
  Pres,
  Reject,
  ServerCommand,
  ServerHello,
  ServerInCall,
  ServerRtmsg,
  SetPres,
} from './commands.js';
export {
  decodeClientCommands,
  decodeServerCommands,
  type RealtimeDecodeResult,
  realtimeOpName,
} from './decode.js';
export {
  encodeClientCommand,
  encodeClientCommands,
  encodeServerCommand,
  encodeServerCommands,
} from './encode.js';
export {
  assertHandleHex,
  type HandleHex,
  handleFromBigInt,
  handleToBytes,
  isHandleHex,
  readHandle,
  ZERO_HANDLE,
} from './handle.js';
export {
  OP_HELLO,
  OP_IN_CALL,
  OP_KEEPALIVE,
  OP_PRES,
  OP_REJECT,
  OP_RTMSG,
  OP_SETPRES,
  PRESENCE_IDLE_FLAG,
  PRESENCE_VALUE_MASK,
  REALTIME_CLIENT_VERSION,
  RealtimeCloseCode,
  RejectCode,
  type RejectCodeValue,
  RTMSG_MAX_MSGLEN,
} from './opcodes.js';
export {
  OUTBOX_BATCH_BYTES,
  type RealtimeCloseAction,
  type RealtimeRouterOutput,
  type RealtimeTransmit,
} from './outbox.js';
export {
  applySetPres,
  type ConnectionPresence,
  initialPresence,
  isInvisible,
  mergePresence,
} from './presence.js';
export { type RealtimeDecodeReason, RealtimeProtocolError } from './protocol-error.js';
export { type RealtimeConnectionInfo, RealtimeRouter } from './router.js';
export {
  type RealtimeClusterEvent,
  type RealtimeForwardedRtmsg,
  type RealtimeRemoteConnection,
  RealtimeRouterCluster,
} from './router-cluster.js';
export { DEFAULT_REALTIME_ROUTER_OPTIONS, type RealtimeRouterOptions } from './router-options.js';
