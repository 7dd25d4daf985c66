/** `alice` from `@alice:example.org`. */
export function localpart(userId: string): string {
  const m = /^@([^:]+):/.exec(userId);
  return m?.[1] ?? userId;
}

/** `14:05` (today) or `3 Mar 14:05`. */
export function formatTime(ts: number, now = Date.now()): string {
  const d = new Date(ts);
  const time = d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  if (new Date(now).toDateString() === d.toDateString()) return time;
  return `${d.toLocaleDateString(undefined, { day: 'numeric', month: 'short' })} ${time}`;
}

/**
 * The demo's presence scale (values 1..127 mean what the app says; see docs/client.md):
 * 0 offline or invisible, 1 busy, 2 away (the idle timer's value), 3 and up online.
 */
export const PRESENCE = { offline: 0, busy: 1, away: 2, online: 3 } as const;

/** The name of a presence value, also used as its CSS class. */
export function presenceName(p: number): 'offline' | 'busy' | 'away' | 'online' {
  if (p <= 0) return 'offline';
  if (p === 1) return 'busy';
  if (p === 2) return 'away';
  return 'online';
}

/** Who is typing, in words; empty when nobody else is. */
export function typingText(userIds: readonly string[]): string {
  const names = userIds.map(localpart);
  if (names.length === 0) return '';
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length <= 3) return `${names.slice(0, -1).join(', ')} and ${names.at(-1)} are typing…`;
  return `${names.length} people are typing…`;
}

/** A short text for an error shown to the user: `M_FORBIDDEN: You are not invited`. */
export function errorText(err: unknown): string {
  if (err && typeof err === 'object' && 'code' in err && 'message' in err)
    return `${String(err.code)}: ${String(err.message)}`;
  return String(err);
}
