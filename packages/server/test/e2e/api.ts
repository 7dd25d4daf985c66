// Direct client-API calls of the tests (Node's fetch), to check what the server holds and to
// prepare data faster than through the UI.

/** Logs `user` in (a new device) and returns its access token. */
export async function apiLogin(url: string, user: string, password: string): Promise<string> {
  const res = await fetch(`${url}/_matrix/client/v3/login`, {
    method: 'POST',
    body: JSON.stringify({ type: 'm.login.password', identifier: { type: 'm.id.user', user }, password }),
  });
  if (!res.ok) throw new Error(`login ${user}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

/** Sends an `m.text` message. */
export async function apiSendText(url: string, token: string, roomId: string, body: string, txnId: string) {
  const path = `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${txnId}`;
  const res = await fetch(`${url}${path}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}` },
    body: JSON.stringify({ msgtype: 'm.text', body }),
  });
  if (!res.ok) throw new Error(`send: ${res.status} ${await res.text()}`);
}

/** How many of the room's newest 100 events (`/messages`) have `body`. */
export async function countOnServer(
  url: string,
  token: string,
  roomId: string,
  body: string,
): Promise<number> {
  const path = `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=100`;
  const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`messages: ${res.status} ${await res.text()}`);
  const { chunk } = (await res.json()) as { chunk: { content?: { body?: unknown } }[] };
  return chunk.filter((e) => e.content?.body === body).length;
}
