/** One realtime upgrade being checked: see {@link DeviceLogouts.begin}. */
export interface UpgradeCheck {
  /** Whether the device logged out after the check began. */
  loggedOut(userId: string, deviceId: string): boolean;
  /** Ends the check (idempotent); call it on every path. */
  end(): void;
}

const deviceKey = (userId: string, deviceId: string): string => JSON.stringify([userId, deviceId]);

/**
 * The logouts that realtime upgrades still being checked must see. An upgrade checks its ticket
 * or token, then reads storage before it attaches its socket; a device that logs out in between
 * would keep a connection that `RealtimeHub.closeDevice` has already gone past. So each upgrade
 * runs its checks inside a {@link begin} / {@link UpgradeCheck.end} window and, right before it
 * attaches, asks whether its device logged out since the window began.
 *
 * A logout is kept only while some window that began before it is still open, so memory is
 * bounded by the logouts during the longest-running check (nothing when no upgrade is pending).
 */
export class DeviceLogouts {
  #seq = 0;
  #nextCheck = 1;
  /** Open checks: id → the logout sequence number when it began (in insertion order, oldest first). */
  readonly #open = new Map<number, number>();
  /** Logouts that an open check may still need, in sequence order. */
  #log: { seq: number; key: string }[] = [];

  /** Notes that a device logged out (after its tickets and tokens are gone). */
  record(userId: string, deviceId: string): void {
    this.#seq++;
    if (this.#open.size > 0) this.#log.push({ seq: this.#seq, key: deviceKey(userId, deviceId) });
  }

  /** Starts a check; call before the ticket is taken or the token is looked up. */
  begin(): UpgradeCheck {
    const id = this.#nextCheck++;
    const since = this.#seq;
    this.#open.set(id, since);
    return {
      loggedOut: (userId, deviceId) => {
        const key = deviceKey(userId, deviceId);
        return this.#log.some((e) => e.seq > since && e.key === key);
      },
      end: () => {
        if (this.#open.delete(id)) this.#prune();
      },
    };
  }

  /** Logouts kept for open checks (for tests). */
  get kept(): number {
    return this.#log.length;
  }

  #prune(): void {
    const oldest = this.#open.values().next();
    if (oldest.done === true) {
      this.#log = [];
      return;
    }
    let drop = 0;
    while (drop < this.#log.length && (this.#log[drop] as { seq: number }).seq <= oldest.value) drop++;
    if (drop > 0) this.#log.splice(0, drop);
  }
}
