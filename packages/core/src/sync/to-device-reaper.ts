import type { SyncDataSource } from './data-source.js';
import { deviceKeyOf, type SessionTable, type SyncSessionRecord } from './session-table.js';

/**
 * Deletes to-device messages by the rule learned upstream: a message goes only when every live
 * session of its device has been sent it and has since made a request with a `since` past it (its
 * `ack`). An expired session no longer counts, so it never holds messages back; a device with no
 * live session deletes nothing (its next session must receive every stored message).
 */
export class ToDeviceReaper {
  readonly #source: SyncDataSource;
  readonly #sessions: SessionTable;
  readonly #onError: ((error: unknown) => void) | undefined;
  /** Per device, the position up to which a deletion was already asked for. */
  readonly #deleted = new Map<string, number>();

  constructor(source: SyncDataSource, sessions: SessionTable, onError?: (error: unknown) => void) {
    this.#source = source;
    this.#sessions = sessions;
    this.#onError = onError;
  }

  /** Records that `s` made a request whose `since` proves it received messages up to `upTo`. */
  async acknowledge(s: SyncSessionRecord, upTo: number): Promise<void> {
    if (upTo <= s.ack) return;
    s.ack = upTo;
    await this.reap(s.userId, s.deviceId);
  }

  /** Deletes what every live session of the device has acknowledged, if that moved. */
  async reap(userId: string, deviceId: string): Promise<void> {
    const key = deviceKeyOf(userId, deviceId);
    const sessions = this.#sessions.ofDevice(key);
    if (sessions.size === 0) {
      this.#deleted.delete(key);
      return;
    }
    let min = Number.POSITIVE_INFINITY;
    for (const s of sessions) min = Math.min(min, s.ack);
    const before = this.#deleted.get(key) ?? 0;
    if (min <= before) return;
    this.#deleted.set(key, min);
    try {
      await this.#source.deleteToDevice(userId, deviceId, min);
    } catch (error) {
      // Retried at the next acknowledgement; the messages are only kept longer.
      if (this.#deleted.get(key) === min) this.#deleted.set(key, before);
      this.#onError?.(error);
    }
  }
}
