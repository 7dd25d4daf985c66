import type { RealtimeClient } from '../realtime/client.js';
import type { HandleHex } from '../realtime/handle.js';

/**
 * What an app asks of the realtime channel, as plain data: it can be applied to the local
 * `RealtimeClient`, or posted to the browser tab that owns the shared connection.
 */
export type RealtimeAction =
  | { kind: 'rtmsg'; room: HandleHex; user?: HandleHex; client?: number; msgtype: number; data: Uint8Array }
  | { kind: 'call'; room: HandleHex; inCall: boolean }
  | { kind: 'presence'; presence: number }
  | { kind: 'activity' };

/** Applies an action to the state machine (which validates it and may throw a `ParleyError`). */
export function applyRealtimeAction(machine: RealtimeClient, action: RealtimeAction, now: number): void {
  switch (action.kind) {
    case 'rtmsg':
      machine.sendRtmsg(
        {
          room: action.room,
          user: action.user,
          client: action.client,
          msgtype: action.msgtype,
          data: action.data,
        },
        now,
      );
      return;
    case 'call':
      machine.setInCall(action.room, action.inCall, now);
      return;
    case 'presence':
      machine.setPresence(action.presence, now);
      return;
    case 'activity':
      machine.activity(now);
      return;
  }
}
