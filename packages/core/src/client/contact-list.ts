import type { Store } from '../io.js';
import type { CallOptions, ClientApi } from './client-api.js';
import type { RoomList } from './room-list.js';

const CONTACTS_KEY = 'contacts';

/**
 * The contacts this client added, with their realtime handles, persisted: presence of a contact
 * who shares no room arrives by handle only, and the client API has no call to list contacts.
 */
export class ContactList {
  readonly #store: Store;
  readonly #rooms: RoomList;
  readonly #map = new Map<string, string | undefined>();

  constructor(store: Store, rooms: RoomList) {
    this.#store = store;
    this.#rooms = rooms;
  }

  /** User id to realtime handle (when the server gave it). */
  get entries(): ReadonlyMap<string, string | undefined> {
    return this.#map;
  }

  async load(): Promise<void> {
    for (const [u, h] of (await this.#store.get<[string, string | undefined][]>(CONTACTS_KEY)) ?? []) {
      this.#map.set(u, h);
      this.#rooms.setUserHandle(u, h);
    }
  }

  /** Replaces the list with the server's (a new device learns the contacts added elsewhere). */
  async refresh(api: ClientApi, options: CallOptions = {}): Promise<void> {
    const list = await api.listContacts(options);
    this.#map.clear();
    for (const c of list) {
      this.#map.set(c.userId, c.userHandle);
      this.#rooms.setUserHandle(c.userId, c.userHandle);
    }
    await this.#store.set(CONTACTS_KEY, [...this.#map]);
  }

  async add(api: ClientApi, userId: string, options: CallOptions): Promise<void> {
    const { userHandle } = await api.addContact(userId, options);
    this.#map.set(userId, userHandle);
    this.#rooms.setUserHandle(userId, userHandle);
    await this.#store.set(CONTACTS_KEY, [...this.#map]);
  }

  async remove(api: ClientApi, userId: string, options: CallOptions): Promise<void> {
    await api.removeContact(userId, options);
    this.#map.delete(userId);
    await this.#store.set(CONTACTS_KEY, [...this.#map]);
  }

  async clear(): Promise<void> {
    this.#map.clear();
    await this.#store.delete(CONTACTS_KEY);
  }
}
