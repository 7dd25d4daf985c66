import { SyncEngine } from '../../sync/engine.js';
import { SyncLoopback, type SyncLoopbackUser } from '../../sync/loopback.js';
import { MemorySyncDataSource } from '../../sync/memory-data-source.js';
import type { SyncChange } from '../../sync/wait-set.js';
import type { FakeClock } from '../../testing/fake-clock.js';
import { SeededRandom } from '../../testing/seeded-random.js';
import type { HttpFunction, HttpRequest, HttpResponse } from '../http.js';
import { FakeRealtimeServer } from './fake-realtime.js';
import { pathOf, queryOf } from './scripted-http.js';

interface Account {
  userId: string;
  password: string;
  handle: string;
}

type Reply = { status: number; json: unknown };
type Route = [
  method: string,
  path: RegExp,
  handler: (req: HttpRequest, m: string[], who: SyncLoopbackUser) => Promise<Reply> | Reply,
];

const ok = (json: unknown = {}): Reply => ({ status: 200, json });
const err = (status: number, errcode: string, error: string): Reply => ({ status, json: { errcode, error } });

/**
 * An in-memory Parley server for client tests: the client API of DESIGN.md over core's sync
 * engine (`MemorySyncDataSource` + `SyncLoopback`) and realtime router. Sends are idempotent per
 * (device, txnId) as on the real server. `online = false` makes every request fail as a network
 * error; `restart()` forgets sync sessions and closes realtime sockets, keeping the data.
 *
 * Each account gets a "notes" room at registration (that is how the in-memory source hands out
 * user handles).
 */
export class ParleyTestServer {
  readonly clock: FakeClock;
  readonly source: MemorySyncDataSource;
  readonly realtime: FakeRealtimeServer;
  online = true;
  /** The next this-many room sends are stored but their answers lost (a network cut after the server acted). */
  loseSendAnswers = 0;
  readonly #cutOff = new Set<(e: Error) => void>();
  #loopback: SyncLoopback;
  readonly #random = new SeededRandom(99);
  readonly #accounts = new Map<string, Account>();
  readonly #tokens: Record<string, SyncLoopbackUser> = {};
  readonly #txns = new Map<string, string>();
  readonly #members = new Map<string, Set<string>>();
  readonly #contacts = new Map<string, Set<string>>();
  #n = 0;
  /** Sync requests served. */
  syncRequests = 0;
  /** Every client API request (not /sync), in order. */
  readonly log: Array<{ method: string; path: string; at: number }> = [];

  constructor(clock: FakeClock) {
    this.clock = clock;
    this.source = new MemorySyncDataSource({ now: () => clock.now() });
    this.realtime = new FakeRealtimeServer(clock);
    this.#loopback = this.#newLoopback();
  }

  /** The HTTP function to hand to clients. */
  readonly http: HttpFunction = async (req) => {
    if (!this.online) throw new TypeError('fetch failed');
    const path = pathOf(req.url);
    if (path === '/_matrix/client/v3/sync') {
      this.syncRequests++;
      // A restart cuts requests in flight, as a real server's closed sockets would.
      let cut: (e: Error) => void = () => undefined;
      const dropped = new Promise<never>((_, reject) => {
        cut = reject;
      });
      this.#cutOff.add(cut);
      try {
        return await Promise.race([this.#loopback.http(req), dropped]);
      } finally {
        this.#cutOff.delete(cut);
      }
    }
    this.log.push({ method: req.method, path, at: this.clock.now() });
    if (req.method === 'PUT' && /\/send\//.test(path) && this.loseSendAnswers > 0) {
      this.loseSendAnswers--;
      await this.#handle(req, path);
      throw new TypeError('connection reset after the request was sent');
    }
    return this.#handle(req, path);
  };

  async #handle(req: HttpRequest, path: string): Promise<HttpResponse> {
    for (const [method, re, handler] of this.#routes) {
      const m = method === req.method ? re.exec(path) : null;
      if (!m) continue;
      const open = /\/(register|login)$/.test(path);
      const who = this.#tokens[(req.headers.authorization ?? '').replace(/^Bearer /, '')];
      if (!open && !who) return reply(err(401, 'M_UNKNOWN_TOKEN', 'Unknown access token'));
      return reply(await handler(req, m.slice(1), who as SyncLoopbackUser));
    }
    return reply(err(404, 'M_UNRECOGNIZED', `${req.method} ${path}`));
  }

  /** Forgets every sync session and closes every realtime socket; rooms, events and accounts stay. */
  restart(): void {
    for (const cut of [...this.#cutOff]) cut(new TypeError('socket hang up'));
    this.#loopback = this.#newLoopback();
    this.realtime.restart((router) => {
      for (const [room, users] of this.#members) router.setRoomMembers(room, users);
      for (const [user, contacts] of this.#contacts) router.setContacts(user, contacts);
    });
  }

  /** The bodies of a room's `m.room.message` events, oldest first. */
  async messageBodies(roomId: string): Promise<string[]> {
    const tl = await this.source.timeline(roomId, { upTo: this.source.position, limit: 10_000 });
    return tl.events
      .filter((e) => e.type === 'm.room.message')
      .map((e) => (e.content as { body: string }).body);
  }

  /** Invalidates every access token of a user (as a server-side logout would). */
  revokeTokens(userId: string): void {
    for (const [t, u] of Object.entries(this.#tokens)) if (u.userId === userId) delete this.#tokens[t];
  }

  handleOf(userId: string): string | undefined {
    return [...this.#accounts.values()].find((a) => a.userId === userId)?.handle;
  }

  #newLoopback(): SyncLoopback {
    const engine = new SyncEngine({ source: this.source, random: this.#random });
    return new SyncLoopback({ engine, clock: this.clock, timers: this.clock, users: this.#tokens });
  }

  async #notify(change: SyncChange): Promise<void> {
    await this.#loopback.notify(change);
  }

  #session(userId: string, deviceId: string): Reply {
    const token = `tok${++this.#n}`;
    this.#tokens[token] = { userId, deviceId };
    const a = [...this.#accounts.values()].find((x) => x.userId === userId) as Account;
    return ok({ user_id: userId, access_token: token, device_id: deviceId, user_handle: a.handle });
  }

  async #roomHandle(userId: string, roomId: string): Promise<string> {
    const page = await this.source.roomListPage(userId, {
      sort: 'by_recency',
      snapshot: this.source.position,
      limit: 10_000,
    });
    return page.items.find((r) => r.room_id === roomId)?.room_handle as string;
  }

  async #joined(userId: string, roomId: string): Promise<string> {
    const roomHandle = await this.#roomHandle(userId, roomId);
    const handle = this.handleOf(userId) as string;
    const set = this.#members.get(roomHandle) ?? new Set();
    set.add(handle);
    this.#members.set(roomHandle, set);
    this.realtime.router.joinRoom(handle, roomHandle);
    this.realtime.pump();
    return roomHandle;
  }

  readonly #routes: Route[] = [
    [
      'POST',
      /\/register$/,
      async (req) => {
        const b = JSON.parse(req.body ?? '{}') as { username: string; password: string; device_id?: string };
        if (this.#accounts.has(b.username)) return err(400, 'M_USER_IN_USE', 'taken');
        const userId = `@${b.username}:mini`;
        const notes = `!notes-${b.username}:mini`;
        await this.#notify(this.source.createRoom(notes, { creator: userId, name: 'Notes' }));
        const handle = this.source.members.get(notes, userId)?.user_handle as string;
        this.#accounts.set(b.username, { userId, password: b.password, handle });
        await this.#joined(userId, notes);
        return this.#session(userId, b.device_id ?? `DEV${++this.#n}`);
      },
    ],
    [
      'POST',
      /\/login$/,
      (req) => {
        const b = JSON.parse(req.body ?? '{}') as {
          identifier: { user: string };
          password: string;
          device_id?: string;
        };
        const name = b.identifier.user.replace(/^@([^:]+):.*$/, '$1');
        const a = this.#accounts.get(name);
        if (!a || a.password !== b.password) return err(403, 'M_FORBIDDEN', 'Invalid password');
        return this.#session(a.userId, b.device_id ?? `DEV${++this.#n}`);
      },
    ],
    [
      'POST',
      /\/logout$/,
      (req) => {
        delete this.#tokens[(req.headers.authorization ?? '').replace(/^Bearer /, '')];
        return ok();
      },
    ],
    [
      'POST',
      /\/createRoom$/,
      async (req, _m, who) => {
        const b = JSON.parse(req.body ?? '{}') as { name?: string };
        const roomId = `!r${++this.#n}:mini`;
        await this.#notify(this.source.createRoom(roomId, { creator: who.userId, name: b.name }));
        return ok({ room_id: roomId, room_handle: await this.#joined(who.userId, roomId) });
      },
    ],
    [
      'POST',
      /\/join\/(.+)$/,
      async (_req, [roomId], who) => {
        await this.#notify(this.source.join(roomId as string, who.userId));
        await this.#joined(who.userId, roomId as string);
        return ok({ room_id: roomId });
      },
    ],
    ['POST', /\/rooms\/(.+)\/invite$/, () => ok()],
    [
      'POST',
      /\/rooms\/(.+)\/leave$/,
      async (_req, [roomId], who) => {
        const roomHandle = await this.#roomHandle(who.userId, roomId as string);
        await this.#notify(this.source.leave(roomId as string, who.userId));
        const handle = this.handleOf(who.userId) as string;
        this.#members.get(roomHandle)?.delete(handle);
        this.realtime.router.leaveRoom(handle, roomHandle);
        this.realtime.pump();
        return ok();
      },
    ],
    [
      'PUT',
      /\/rooms\/(.+)\/send\/([^/]+)\/([^/]+)$/,
      async (req, [roomId, , txn], who) => {
        const key = `${who.userId}|${who.deviceId}|${txn}`;
        const known = this.#txns.get(key);
        if (known) return ok({ event_id: known });
        if (this.source.members.membership(roomId as string, who.userId)?.membership !== 'join') {
          return err(403, 'M_FORBIDDEN', 'not in the room');
        }
        const body = (JSON.parse(req.body ?? '{}') as { body?: string }).body ?? '';
        const change = this.source.sendMessage(roomId as string, who.userId, body);
        const eventId = `$${this.source.position}`;
        this.#txns.set(key, eventId);
        await this.#notify(change);
        return ok({ event_id: eventId });
      },
    ],
    [
      'PUT',
      /\/rooms\/(.+)\/typing\/(.+)$/,
      async (req, [roomId, userId]) => {
        const typing = (JSON.parse(req.body ?? '{}') as { typing: boolean }).typing;
        await this.#notify(this.source.setTyping(roomId as string, typing ? [userId as string] : []));
        return ok();
      },
    ],
    [
      'PUT',
      /\/sendToDevice\/([^/]+)\/([^/]+)$/,
      async (req, [type, txn], who) => {
        const key = `${who.userId}|${who.deviceId}|td|${txn}`;
        if (this.#txns.has(key)) return ok();
        this.#txns.set(key, 'sent');
        const b = JSON.parse(req.body ?? '{}') as {
          messages: Record<string, Record<string, Record<string, unknown>>>;
        };
        for (const [userId, devices] of Object.entries(b.messages)) {
          for (const [deviceId, content] of Object.entries(devices)) {
            const targets =
              deviceId === '*'
                ? [
                    ...new Set(
                      Object.values(this.#tokens)
                        .filter((u) => u.userId === userId)
                        .map((u) => u.deviceId),
                    ),
                  ]
                : [deviceId];
            for (const d of targets) {
              await this.#notify(
                this.source.sendToDevice(userId, d, { type: type as string, sender: who.userId, content }),
              );
            }
          }
        }
        return ok();
      },
    ],
    [
      'GET',
      /\/rooms\/(.+)\/messages$/,
      async (req, [roomId]) => {
        const q = queryOf(req.url);
        const limit = Number(q.limit ?? 10);
        const upTo = q.from ? Number(q.from.slice(1)) - 1 : this.source.position;
        const tl = await this.source.timeline(roomId as string, { upTo, limit });
        const chunk = [...tl.events].reverse();
        return ok({ chunk, start: q.from ?? `t${upTo + 1}`, ...(tl.limited ? { end: tl.prev_batch } : {}) });
      },
    ],
    [
      'PUT',
      /\/_parley\/v1\/contacts\/(.+)$/,
      (_req, [userId], who) => {
        const me = this.handleOf(who.userId) as string;
        const them = this.handleOf(userId as string);
        if (!them) return err(404, 'M_NOT_FOUND', 'no such user');
        const set = this.#contacts.get(me) ?? new Set();
        set.add(them);
        this.#contacts.set(me, set);
        this.realtime.router.addContact(me, them);
        this.realtime.pump();
        return ok({ user_handle: them });
      },
    ],
    [
      'GET',
      /\/_parley\/v1\/contacts$/,
      (_req, _m, who) => {
        const mine = this.#contacts.get(this.handleOf(who.userId) as string) ?? new Set<string>();
        const users = [...this.#accounts.values()].filter((a) => mine.has(a.handle));
        return ok({ contacts: users.map((a) => ({ user_id: a.userId, user_handle: a.handle })) });
      },
    ],
    [
      'DELETE',
      /\/_parley\/v1\/contacts\/(.+)$/,
      (_req, [userId], who) => {
        const me = this.handleOf(who.userId) as string;
        const them = this.handleOf(userId as string);
        if (them) {
          this.#contacts.get(me)?.delete(them);
          this.realtime.router.removeContact(me, them);
          this.realtime.pump();
        }
        return ok();
      },
    ],
    [
      'POST',
      /\/_parley\/v1\/realtime\/ticket$/,
      (_req, _m, who) =>
        ok({ ticket: this.realtime.ticket(this.handleOf(who.userId) as string), expires_in: 30 }),
    ],
  ];
}

function reply(r: Reply): HttpResponse {
  return { status: r.status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(r.json) };
}
