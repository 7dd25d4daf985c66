import type { Store } from '../io.js';
import type { Credentials } from './api-types.js';

const SESSION_KEY = 'session';
const DEVICE_KEY = 'device';

/**
 * The logged-in device in the store. The last device of a user is remembered past the end of a
 * session (not past a logout), so logging in again as that user reuses its device id and the
 * server still deduplicates outbox messages by (device, txnId).
 */
export class SessionKeeper {
  readonly #store: Store;
  credentials: Credentials | undefined;

  constructor(store: Store) {
    this.#store = store;
  }

  /** Loads the stored session, if any. */
  async restore(): Promise<Credentials | undefined> {
    const creds = await this.#store.get<Credentials>(SESSION_KEY);
    if (creds?.accessToken) this.credentials = creds;
    return this.credentials;
  }

  /** The device id to log in with as `user` (a Matrix id or a localpart), if one is remembered. */
  async deviceFor(user: string): Promise<string | undefined> {
    const last = await this.#store.get<{ userId: string; deviceId: string }>(DEVICE_KEY);
    const same = last && (last.userId === user || last.userId.startsWith(`@${user}:`));
    return same ? last.deviceId : undefined;
  }

  /** The user of the last device, if any. */
  async lastUser(): Promise<string | undefined> {
    return (await this.#store.get<{ userId: string }>(DEVICE_KEY))?.userId;
  }

  async save(creds: Credentials): Promise<void> {
    this.credentials = creds;
    await this.#store.set(SESSION_KEY, creds);
    await this.#store.set(DEVICE_KEY, { userId: creds.userId, deviceId: creds.deviceId });
  }

  /** The session ended (token refused): forget the token, remember the device. */
  async end(): Promise<void> {
    this.credentials = undefined;
    await this.#store.delete(SESSION_KEY);
  }

  /** Logout: forget both. */
  async forget(): Promise<void> {
    await this.end();
    await this.#store.delete(DEVICE_KEY);
  }
}
