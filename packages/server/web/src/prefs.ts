// What the demo keeps in localStorage (the client's own state is in IndexedDB). localStorage may
// be unavailable (private modes, sandboxed frames): the app works without it.

const LAST_ROOM_KEY = 'parley-demo/last-room';
const PRESENCE_KEY = 'parley-demo/presence';

function remember(key: string, value: string | undefined): void {
  try {
    if (value === undefined) localStorage.removeItem(key);
    else localStorage.setItem(key, value);
  } catch {}
}

function recall(key: string): string | undefined {
  try {
    return localStorage.getItem(key) ?? undefined;
  } catch {
    return undefined;
  }
}

/** The room shown last, to show it again after a reload. */
export const lastRoom = {
  get: (): string | undefined => recall(LAST_ROOM_KEY),
  set: (roomId: string | undefined): void => remember(LAST_ROOM_KEY, roomId),
};

/** The presence the user chose last (0..127), or `fallback`. */
export function savedPresence(fallback: number): number {
  const raw = recall(PRESENCE_KEY);
  const n = Number(raw);
  return raw !== undefined && Number.isInteger(n) && n >= 0 && n <= 127 ? n : fallback;
}

export function savePresence(presence: number): void {
  remember(PRESENCE_KEY, String(presence));
}
