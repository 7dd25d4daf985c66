// Parley's WebSocket endpoint on Node: core's codec over Node sockets (no `ws` on the server side).
export { type AcceptWebSocketOptions, acceptWebSocket } from './accept.js';
export { type ConnectWebSocketOptions, connectWebSocket } from './connect.js';
export {
  ECHO_DEFAULT_LIMITS,
  type EchoServer,
  type EchoServerOptions,
  startEchoServer,
} from './echo-server.js';
export {
  DEFAULT_NODE_WS_HIGH_WATER_MARK,
  DEFAULT_NODE_WS_KEEP_ALIVE,
  DEFAULT_NODE_WS_MAX_BUFFERED,
  NodeWebSocket,
  /** The connection type the HTTP server's upgrade handlers get from {@link acceptWebSocket}. */
  NodeWebSocket as ServerWebSocket,
  type NodeWebSocketEvents,
  type NodeWebSocketLowLevelHandlers,
  type NodeWebSocketOptions,
} from './node-websocket.js';
