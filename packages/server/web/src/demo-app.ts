import type { ParleyClient, Room } from '@parley/core';
import { byId } from './dom.js';
import { errorText } from './format.js';
import { lastRoom, savePresence } from './prefs.js';

const TOAST_MS = 6000;

/**
 * The app's own state beside the client's: which room is shown and which calls this page joined
 * (the client keeps the heartbeat; the room's flag comes from the server). Views read it and
 * subscribe to {@link DemoApp.onChange}.
 */
export class DemoApp {
  readonly client: ParleyClient;
  /** Rooms whose call this page joined. */
  readonly calls = new Set<string>();
  #roomId: string | undefined;
  readonly #listeners = new Set<() => void>();
  #toastTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(client: ParleyClient) {
    this.client = client;
  }

  /** The room shown, if any. */
  get room(): Room | undefined {
    return this.#roomId === undefined ? undefined : this.client.room(this.#roomId);
  }

  get roomId(): string | undefined {
    return this.#roomId;
  }

  /** Calls `fn` when the shown room or a call changes; returns the unsubscribe function. */
  onChange(fn: () => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** Shows a room at once (cached timeline included) and asks the client to sync it. */
  async openRoom(roomId: string): Promise<void> {
    this.#roomId = roomId;
    lastRoom.set(roomId);
    this.#changed();
    try {
      await this.client.openRoom(roomId);
    } catch (e) {
      this.report(e);
    }
  }

  /** Forgets the shown room (after leaving it, or logging out). */
  closeRoom(): void {
    this.#roomId = undefined;
    lastRoom.set(undefined);
    this.#changed();
  }

  /** The room shown before the page was reloaded, if the client still has it. */
  lastRoom(): string | undefined {
    const id = lastRoom.get();
    return id !== undefined && this.client.room(id) ? id : undefined;
  }

  /** Joins or leaves the call of a room. */
  toggleCall(roomId: string): void {
    try {
      if (this.calls.has(roomId)) {
        this.calls.delete(roomId);
        this.client.leaveCall(roomId);
      } else {
        this.client.joinCall(roomId);
        this.calls.add(roomId);
      }
    } catch (e) {
      this.report(e);
    }
    this.#changed();
  }

  setPresence(presence: number): void {
    savePresence(presence);
    try {
      this.client.setPresence(presence);
    } catch (e) {
      this.report(e);
    }
  }

  /** Shows an error (or any message) for a few seconds. */
  report(err: unknown): void {
    const toast = byId('toast');
    toast.textContent = errorText(err);
    toast.hidden = false;
    clearTimeout(this.#toastTimer);
    this.#toastTimer = setTimeout(() => {
      toast.hidden = true;
    }, TOAST_MS);
  }

  #changed(): void {
    for (const fn of this.#listeners) fn();
  }
}
