import type { CreatedRoom, CreateRoomOptions } from './api-types.js';
import type { CallOptions, ClientApi } from './client-api.js';
import type { ParleyClientEvents } from './client-events.js';
import type { RoomList } from './room-list.js';

type Emit = <K extends keyof ParleyClientEvents>(
  event: K,
  ...args: Parameters<ParleyClientEvents[K]>
) => void;

/**
 * Room membership calls that also update the client's room list at once, so an app sees the
 * room before the next sync answer confirms it.
 */
export class RoomActions {
  readonly #api: ClientApi;
  readonly #rooms: RoomList;
  readonly #emit: Emit;

  constructor(api: ClientApi, rooms: RoomList, emit: Emit) {
    this.#api = api;
    this.#rooms = rooms;
    this.#emit = emit;
  }

  async create(params: CreateRoomOptions, options: CallOptions): Promise<CreatedRoom> {
    const created = await this.#api.createRoom(params, options);
    const room = this.#rooms.ensure(created.roomId);
    this.#rooms.setRoomHandle(room, created.roomHandle);
    room.applySummary({ name: params.name, membership: 'join' });
    this.#emit('rooms', this.#rooms.sorted());
    return created;
  }

  async join(roomId: string, params: { serverName?: string }, options: CallOptions): Promise<string> {
    const joined = await this.#api.join(roomId, params, options);
    this.#rooms.ensure(joined).membership = 'join';
    this.#emit('rooms', this.#rooms.sorted());
    return joined;
  }

  async leave(roomId: string, options: CallOptions): Promise<void> {
    await this.#api.leave(roomId, options);
    const room = this.#rooms.rooms.get(roomId);
    if (room) room.membership = 'leave';
    this.#emit('roomLeft', roomId);
    this.#emit('rooms', this.#rooms.sorted());
  }
}
