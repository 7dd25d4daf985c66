import { call, register, roomPath, type TestUser, V3 } from '../helpers.js';

/** A room created by `owner` with every user of `members` joined. */
export async function makeRoom(
  base: string,
  owner: TestUser,
  members: TestUser[],
): Promise<{ roomId: string; handle: string }> {
  const invite = members.map((m) => m.userId);
  const r = await call(base, 'POST', `${V3}/createRoom`, { token: owner.token, body: { invite } });
  if (r.status !== 200) throw new Error(`createRoom: ${r.status} ${r.text}`);
  for (const m of members) await joinRoom(base, m, r.json.room_id);
  return { roomId: r.json.room_id, handle: r.json.room_handle };
}

export async function joinRoom(base: string, user: TestUser, roomId: string): Promise<void> {
  const r = await call(base, 'POST', `${V3}/join/${encodeURIComponent(roomId)}`, {
    token: user.token,
    body: {},
  });
  if (r.status !== 200) throw new Error(`join: ${r.status} ${r.text}`);
}

export async function leaveRoom(base: string, user: TestUser, roomId: string): Promise<void> {
  const r = await call(base, 'POST', roomPath(roomId, 'leave'), { token: user.token, body: {} });
  if (r.status !== 200) throw new Error(`leave: ${r.status} ${r.text}`);
}

export async function invite(base: string, from: TestUser, to: TestUser, roomId: string): Promise<void> {
  const r = await call(base, 'POST', roomPath(roomId, 'invite'), {
    token: from.token,
    body: { user_id: to.userId },
  });
  if (r.status !== 200) throw new Error(`invite: ${r.status} ${r.text}`);
}

/** Sets `target`'s membership by a state event from `by` (kick: `leave`, ban: `ban`). */
export async function setMembership(
  base: string,
  by: TestUser,
  target: TestUser,
  roomId: string,
  membership: 'leave' | 'ban',
): Promise<void> {
  const path = roomPath(roomId, `state/m.room.member/${encodeURIComponent(target.userId)}`);
  const r = await call(base, 'PUT', path, { token: by.token, body: { membership } });
  if (r.status !== 200) throw new Error(`${membership}: ${r.status} ${r.text}`);
}

export async function addContact(base: string, user: TestUser, contact: TestUser): Promise<void> {
  const r = await call(base, 'PUT', `/_parley/v1/contacts/${encodeURIComponent(contact.userId)}`, {
    token: user.token,
    body: {},
  });
  if (r.status !== 200) throw new Error(`add contact: ${r.status} ${r.text}`);
}

export async function removeContact(base: string, user: TestUser, contact: TestUser): Promise<void> {
  const r = await call(base, 'DELETE', `/_parley/v1/contacts/${encodeURIComponent(contact.userId)}`, {
    token: user.token,
  });
  if (r.status !== 200) throw new Error(`remove contact: ${r.status} ${r.text}`);
}

/** Registers users named `prefix1`, `prefix2`, … */
export async function users(base: string, ...names: string[]): Promise<TestUser[]> {
  const out: TestUser[] = [];
  for (const n of names) out.push(await register(base, n));
  return out;
}

/** Lets in-flight messages arrive (for "receives nothing" checks, after a positive control). */
export const settle = (ms = 100): Promise<void> => new Promise((r) => setTimeout(r, ms));
