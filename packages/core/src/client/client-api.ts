import { type ApiContext, apiRequest } from './api-request.js';
import type {
  CreatedRoom,
  CreateRoomOptions,
  Credentials,
  MatrixEvent,
  MessagesPage,
  RealtimeTicket,
  ToDeviceMessages,
} from './api-types.js';

/** `{ signal }`, accepted by every call. */
export interface CallOptions {
  signal?: AbortSignal;
}

const C = '/_matrix/client/v3';
const P = '/_parley/v1';
const enc = encodeURIComponent;

interface RawCredentials {
  user_id: string;
  access_token: string;
  device_id: string;
  user_handle: string;
}

const credentials = (r: RawCredentials): Credentials => ({
  userId: r.user_id,
  accessToken: r.access_token,
  deviceId: r.device_id,
  userHandle: r.user_handle,
});

/**
 * Typed calls of the client API (DESIGN.md "Client API"). Each maps an error answer to a
 * `ParleyError` with the server's errcode and HTTP status, a failure to reach the server to
 * `network` and a cancelled call to `aborted`. Only PUTs with a txnId are retried.
 */
export class ClientApi {
  readonly #ctx: ApiContext;

  constructor(context: ApiContext) {
    this.#ctx = context;
  }

  /** Creates an account and logs its first device in. */
  async register(
    params: { username: string; password: string; deviceId?: string },
    options: CallOptions = {},
  ): Promise<Credentials> {
    const body = { username: params.username, password: params.password, device_id: params.deviceId };
    const path = `${C}/register`;
    const raw = await apiRequest<RawCredentials>(
      this.#ctx,
      { method: 'POST', path, body, auth: false, idempotent: false },
      options.signal,
    );
    return credentials(raw);
  }

  /** Logs a device in with a password. */
  async login(
    params: { user: string; password: string; deviceId?: string },
    options: CallOptions = {},
  ): Promise<Credentials> {
    const body = {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: params.user },
      password: params.password,
      device_id: params.deviceId,
    };
    const path = `${C}/login`;
    const raw = await apiRequest<RawCredentials>(
      this.#ctx,
      { method: 'POST', path, body, auth: false, idempotent: false },
      options.signal,
    );
    return credentials(raw);
  }

  /** Invalidates the current access token. */
  async logout(options: CallOptions = {}): Promise<void> {
    await this.#post(`${C}/logout`, {}, options);
  }

  async createRoom(params: CreateRoomOptions = {}, options: CallOptions = {}): Promise<CreatedRoom> {
    const r = await this.#post<{ room_id: string; room_handle: string }>(`${C}/createRoom`, params, options);
    return { roomId: r.room_id, roomHandle: r.room_handle };
  }

  /** Joins a room; `serverName` names a server to join a remote room through. */
  async join(
    roomId: string,
    params: { serverName?: string } = {},
    options: CallOptions = {},
  ): Promise<string> {
    const r = await apiRequest<{ room_id: string }>(
      this.#ctx,
      {
        method: 'POST',
        path: `${C}/join/${enc(roomId)}`,
        query: { server_name: params.serverName },
        body: {},
        auth: true,
        idempotent: false,
      },
      options.signal,
    );
    return r.room_id;
  }

  async invite(roomId: string, userId: string, options: CallOptions = {}): Promise<void> {
    await this.#post(`${C}/rooms/${enc(roomId)}/invite`, { user_id: userId }, options);
  }

  async leave(roomId: string, options: CallOptions = {}): Promise<void> {
    await this.#post(`${C}/rooms/${enc(roomId)}/leave`, {}, options);
  }

  /** Sends a room event; the same `txnId` always yields the same event, so this call is retried. */
  async sendEvent(
    roomId: string,
    type: string,
    content: Record<string, unknown>,
    txnId: string,
    options: CallOptions = {},
  ): Promise<string> {
    const path = `${C}/rooms/${enc(roomId)}/send/${enc(type)}/${enc(txnId)}`;
    const r = await this.#put<{ event_id: string }>(path, content, true, options);
    return r.event_id;
  }

  async sendState(
    roomId: string,
    type: string,
    stateKey: string,
    content: Record<string, unknown>,
    options: CallOptions = {},
  ): Promise<string> {
    const path = `${C}/rooms/${enc(roomId)}/state/${enc(type)}/${enc(stateKey)}`;
    const r = await this.#put<{ event_id: string }>(path, content, false, options);
    return r.event_id;
  }

  /** Sets or clears this user's typing flag in a room; `timeoutMs` bounds how long it lasts. */
  async setTyping(
    roomId: string,
    userId: string,
    typing: boolean,
    timeoutMs?: number,
    options: CallOptions = {},
  ): Promise<void> {
    const path = `${C}/rooms/${enc(roomId)}/typing/${enc(userId)}`;
    await this.#put(path, { typing, timeout: typing ? timeoutMs : undefined }, false, options);
  }

  /** Sends to-device messages; idempotent per `txnId`, so retried. */
  async sendToDevice(
    type: string,
    txnId: string,
    messages: ToDeviceMessages,
    options: CallOptions = {},
  ): Promise<void> {
    await this.#put(`${C}/sendToDevice/${enc(type)}/${enc(txnId)}`, { messages }, true, options);
  }

  /** A page of history; without `from`, from the newest end. */
  async messages(
    roomId: string,
    params: { from?: string; dir?: 'b' | 'f'; limit?: number } = {},
    options: CallOptions = {},
  ): Promise<MessagesPage> {
    const r = await apiRequest<{ chunk?: MatrixEvent[]; start: string; end?: string }>(
      this.#ctx,
      {
        method: 'GET',
        path: `${C}/rooms/${enc(roomId)}/messages`,
        query: { from: params.from, dir: params.dir ?? 'b', limit: params.limit },
        auth: true,
        idempotent: false,
      },
      options.signal,
    );
    return { chunk: r.chunk ?? [], start: r.start, end: r.end };
  }

  /**
   * Adds a contact (presence is visible once both sides have added each other). Resolves with
   * the contact's realtime handle when the server gives it (`user_handle`).
   */
  async addContact(userId: string, options: CallOptions = {}): Promise<{ userHandle: string | undefined }> {
    const r = await this.#put<{ user_handle?: unknown }>(`${P}/contacts/${enc(userId)}`, {}, false, options);
    return { userHandle: typeof r.user_handle === 'string' ? r.user_handle : undefined };
  }

  /** The contacts this user added, with their realtime handles. */
  async listContacts(
    options: CallOptions = {},
  ): Promise<Array<{ userId: string; userHandle: string | undefined }>> {
    const r = await apiRequest<{ contacts?: Array<{ user_id?: unknown; user_handle?: unknown }> }>(
      this.#ctx,
      { method: 'GET', path: `${P}/contacts`, auth: true, idempotent: false },
      options.signal,
    );
    return (r.contacts ?? [])
      .filter((c) => typeof c.user_id === 'string')
      .map((c) => ({
        userId: c.user_id as string,
        userHandle: typeof c.user_handle === 'string' ? c.user_handle : undefined,
      }));
  }

  async removeContact(userId: string, options: CallOptions = {}): Promise<void> {
    const path = `${P}/contacts/${enc(userId)}`;
    await apiRequest(this.#ctx, { method: 'DELETE', path, auth: true, idempotent: false }, options.signal);
  }

  /** A single-use ticket for the realtime WebSocket. */
  async realtimeTicket(options: CallOptions = {}): Promise<RealtimeTicket> {
    const r = await this.#post<{ ticket: string; expires_in: number }>(`${P}/realtime/ticket`, {}, options);
    return { ticket: r.ticket, expiresIn: r.expires_in };
  }

  /** The realtime WebSocket URL for a ticket (`http` → `ws`, `https` → `wss`). */
  realtimeUrl(ticket: string): string {
    const base = this.#ctx.baseUrl.replace(/^http/, 'ws');
    return `${base}${P}/realtime?ticket=${enc(ticket)}`;
  }

  #post<T>(path: string, body: unknown, options: CallOptions): Promise<T> {
    return apiRequest<T>(
      this.#ctx,
      { method: 'POST', path, body, auth: true, idempotent: false },
      options.signal,
    );
  }

  #put<T>(path: string, body: unknown, idempotent: boolean, options: CallOptions): Promise<T> {
    return apiRequest<T>(this.#ctx, { method: 'PUT', path, body, auth: true, idempotent }, options.signal);
  }
}
