/**
 * The subset of the browser `WebSocket` the client uses (supabase realtime-js / y-websocket
 * adapter shape). The browser's `WebSocket` and `ws`'s client fit it, so an adapter is a factory.
 */

/** `readyState` values, as in the WHATWG WebSocket. */
export const WS_CONNECTING = 0;
/** The connection is open and `send` may be called. */
export const WS_OPEN = 1;
/** The closing handshake has started. */
export const WS_CLOSING = 2;
/** The connection is closed or could not be opened. */
export const WS_CLOSED = 3;

// Handlers are typed through a method so that they are checked bivariantly: the DOM's
// `(this: WebSocket, ev: MessageEvent) => any` then fits without a cast in the adapters.
type Handler<E> = { bivarianceHack(event: E): void }['bivarianceHack'];

/** What `onmessage` receives: `data` is an `ArrayBuffer` (binary, with `binaryType = 'arraybuffer'`) or a string. */
export interface WebSocketMessageEventLike {
  data: unknown;
}

/** What `onclose` receives. */
export interface WebSocketCloseEventLike {
  code: number;
  reason: string;
}

/** A WebSocket as the client sees it. */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  /** Bytes queued by `send` and not yet handed to the network; used for back-pressure. */
  readonly bufferedAmount: number;
  send(data: Uint8Array | ArrayBuffer | string): void;
  close(code?: number, reason?: string): void;
  onopen: Handler<unknown> | null;
  onmessage: Handler<WebSocketMessageEventLike> | null;
  onclose: Handler<WebSocketCloseEventLike> | null;
  onerror: Handler<unknown> | null;
}

/** Opens a WebSocket to `url` (which carries the realtime ticket in its query). */
export type WebSocketFactory = (url: string) => WebSocketLike;
