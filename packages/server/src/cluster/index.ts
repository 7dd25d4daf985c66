// Several `parley serve` instances as one server: the fan-out between them over Redis, and the
// in-process default. Guide: docs/scale-out.md.
export { CLUSTER_OPTIONS, type ClusterConfig } from './cluster-options.js';
export { type BusNotice, ClusterKeys, decodeBusMessage, encodeNotice, encodeRtmsg } from './cluster-wire.js';
export { OrderedEventStream, type OrderedEventStreamOptions, type StreamReads } from './event-stream.js';
export {
  type ContactNotice,
  type Fanout,
  LocalFanout,
  type LogoutNotice,
  type RealtimeLink,
  type ToDeviceNotice,
  type TypingNotice,
} from './fanout.js';
export { CLIENT_ID_BITS, InstanceLease, MAX_SLOTS } from './instance-lease.js';
export { checkClusterConfig, type OpenFanoutOptions, openFanout } from './open-fanout.js';
export { pgStreamReads } from './pg-stream-reads.js';
export { RealtimeBridge, type RealtimeBridgeDeps } from './realtime-bridge.js';
export { RedisFanout, type RedisFanoutOptions } from './redis-fanout.js';
export { RedisLink, redactRedisUrl } from './redis-link.js';
