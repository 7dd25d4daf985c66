import type { ParleyServer, StartServerOptions } from '../../src/index.js';
import { type Answer, call, register, roomPath, startTestServer, type TestUser, V3 } from '../helpers.js';

/** Fast federation settings for tests (short waits and retries). */
export const FAST_FEDERATION: StartServerOptions = {
  federationRetryInitialMs: 50,
  federationRetryMaxMs: 400,
  federationFetchWaitMs: 50,
  federationFetchTimeoutMs: 2000,
  federationRequestTimeoutMs: 3000,
  federationKeyRetryMs: 0,
};

/** A server named `127.0.0.1:PORT` (its federation address), with a user. */
export interface FedNode {
  server: ParleyServer;
  url: string;
  name: string;
  user: TestUser;
  stop: () => Promise<void>;
}

export async function startFedNode(username: string, options: StartServerOptions = {}): Promise<FedNode> {
  const { server, stop } = await startTestServer({ ...FAST_FEDERATION, ...options, serverName: undefined });
  const user = await register(server.url, username);
  return { server, url: server.url, name: server.serverName, user, stop };
}

/** Polls `check` until it returns a value (not undefined) or `ms` pass. */
export async function waitFor<T>(
  check: () => Promise<T | undefined>,
  ms = 15_000,
  what = 'condition',
): Promise<T> {
  const end = Date.now() + ms;
  let last: T | undefined;
  for (;;) {
    last = await check();
    if (last !== undefined) return last;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The bodies of the `m.room.message` events of a room, oldest first, read back through `/messages`. */
export async function messageBodies(
  url: string,
  user: TestUser,
  roomId: string,
  limit = 100,
): Promise<string[]> {
  const out: string[] = [];
  let from: string | undefined;
  for (let page = 0; page < 50; page++) {
    const q = `messages?dir=b&limit=${limit}${from === undefined ? '' : `&from=${from}`}`;
    const r: Answer = await call(url, 'GET', roomPath(user.userId.startsWith('@') ? roomId : roomId, q), {
      token: user.token,
    });
    if (r.status !== 200) throw new Error(`/messages: ${r.status} ${r.text}`);
    for (const e of r.json.chunk) if (e.type === 'm.room.message') out.push(e.content.body);
    if (r.json.end === undefined) break;
    from = r.json.end;
  }
  return out.reverse();
}

export async function send(
  url: string,
  user: TestUser,
  roomId: string,
  body: string,
  txn: string,
): Promise<string> {
  const r = await call(url, 'PUT', roomPath(roomId, `send/m.room.message/${txn}`), {
    token: user.token,
    body: { msgtype: 'm.text', body },
  });
  if (r.status !== 200) throw new Error(`send: ${r.status} ${r.text}`);
  return r.json.event_id;
}

export async function createPublicRoom(node: FedNode): Promise<string> {
  const r = await call(node.url, 'POST', `${V3}/createRoom`, {
    token: node.user.token,
    body: { preset: 'public_chat' },
  });
  if (r.status !== 200) throw new Error(`createRoom: ${r.status} ${r.text}`);
  return r.json.room_id;
}

export async function joinVia(node: FedNode, roomId: string, via: string): Promise<Answer> {
  return call(
    node.url,
    'POST',
    `${V3}/join/${encodeURIComponent(roomId)}?server_name=${encodeURIComponent(via)}`,
    {
      token: node.user.token,
      body: {},
    },
  );
}
