/**
 * Write load for the crash tests: concurrent writers sending room messages and to-device
 * messages, each with its own transaction id, recording which writes were acknowledged (200)
 * and which got no answer (the server died under them). Afterwards {@link verifyRoom} and
 * {@link verifyToDevice} check that every acknowledged write is stored exactly once.
 */
import { expect } from 'vitest';
import { call, roomPath, type TestUser, V3 } from '../helpers.js';

/** One write and what came of it. */
export interface Write {
  kind: 'message' | 'to_device';
  /** Unique per write; the message body or the to-device `n`. */
  tag: string;
  txnId: string;
  writer: TestUser;
  /** The server it was sent to. */
  base: string;
  /** The event id of an acknowledged message; `null` for an acknowledged to-device send. */
  acked: string | null | undefined;
}

/** Where the load goes. */
export interface LoadTarget {
  base: () => string;
  writer: TestUser;
}

/** What the load writes to: a room, and a recipient's devices for to-device messages. */
export interface LoadScene {
  roomId: string;
  recipient: TestUser;
  recipientDevices: string[];
}

/** Concurrent writers; each alternates messages and to-device sends until stopped. */
export class WriteLoad {
  readonly writes: Write[] = [];
  #running = true;
  readonly #loops: Promise<void>[] = [];

  constructor(
    readonly scene: LoadScene,
    targets: LoadTarget[],
  ) {
    this.#loops.push(...targets.map((t, i) => this.#loop(t, i)));
  }

  /** Acknowledged writes so far. */
  get acked(): Write[] {
    return this.writes.filter((w) => w.acked !== undefined);
  }

  /** Stops the writers and waits for their last requests. */
  async stop(): Promise<void> {
    this.#running = false;
    await Promise.all(this.#loops);
  }

  async #loop(t: LoadTarget, n: number): Promise<void> {
    for (let i = 0; this.#running; i++) {
      const w: Write = {
        kind: i % 3 === 2 ? 'to_device' : 'message',
        tag: `w${n}-${i}`,
        txnId: `txn-${n}-${i}`,
        writer: t.writer,
        base: t.base(),
        acked: undefined,
      };
      this.writes.push(w);
      try {
        w.acked = await send(w, this.scene);
      } catch {
        // No answer (connection refused or cut): unacknowledged. Back off a little.
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }
}

/** Sends `w` to `w.base`; its event id (message), `null` (to-device), or throws without a 200. */
export async function send(w: Write, scene: LoadScene, base = w.base): Promise<string | null> {
  if (w.kind === 'message') {
    const r = await call(base, 'PUT', roomPath(scene.roomId, `send/m.room.message/${w.txnId}`), {
      token: w.writer.token,
      body: { msgtype: 'm.text', body: w.tag },
    });
    if (r.status !== 200) throw new Error(`send: ${r.status} ${r.text}`);
    return r.json.event_id as string;
  }
  const messages = {
    [scene.recipient.userId]: Object.fromEntries(scene.recipientDevices.map((d) => [d, { n: w.tag }])),
  };
  const r = await call(base, 'PUT', `${V3}/sendToDevice/m.test/${w.txnId}`, {
    token: w.writer.token,
    body: { messages },
  });
  if (r.status !== 200) throw new Error(`sendToDevice: ${r.status} ${r.text}`);
  return null;
}

/** Every `m.room.message` of the room, oldest first, read through `base` by `/messages`. */
export async function roomMessages(
  base: string,
  reader: TestUser,
  roomId: string,
): Promise<{ event_id: string; body: string }[]> {
  const out: { event_id: string; body: string }[] = [];
  let from: string | undefined;
  for (;;) {
    const q = `messages?dir=f&limit=100${from === undefined ? '' : `&from=${encodeURIComponent(from)}`}`;
    const r = await call(base, 'GET', roomPath(roomId, q), { token: reader.token });
    expect(r.status, r.text).toBe(200);
    for (const e of r.json.chunk as { type: string; event_id: string; content: { body: string } }[]) {
      if (e.type === 'm.room.message') out.push({ event_id: e.event_id, body: e.content.body });
    }
    if (r.json.end === undefined || r.json.chunk.length === 0) return out;
    from = r.json.end;
  }
}

/** Every acknowledged message is in the room once, under the event id it was acknowledged with. */
export async function verifyRoom(base: string, reader: TestUser, load: WriteLoad): Promise<void> {
  const messages = await roomMessages(base, reader, load.scene.roomId);
  const byBody = new Map<string, string[]>();
  for (const m of messages) byBody.set(m.body, [...(byBody.get(m.body) ?? []), m.event_id]);
  const duplicated = [...byBody].filter(([, ids]) => ids.length > 1);
  expect(duplicated).toEqual([]);
  for (const w of load.acked) {
    if (w.kind !== 'message') continue;
    expect(byBody.get(w.tag), `acknowledged message ${w.tag}`).toEqual([w.acked]);
  }
}

/**
 * A new sync session of the recipient's `deviceId` through `base` receives every acknowledged
 * to-device message exactly once. Returns the tags it got.
 */
export async function verifyToDevice(
  base: string,
  recipientDevice: TestUser,
  load: WriteLoad,
): Promise<string[]> {
  const got: string[] = [];
  let since: string | undefined;
  for (let i = 0; i < 1000; i++) {
    const q = since === undefined ? '' : `?since=${encodeURIComponent(since)}`;
    const r = await call(base, 'POST', `${V3}/sync${q}`, {
      token: recipientDevice.token,
      body: since === undefined ? { to_device: { limit: 100 } } : {},
    });
    expect(r.status, r.text).toBe(200);
    const events = (r.json.to_device?.events ?? []) as { content: { n: string } }[];
    got.push(...events.map((e) => e.content.n));
    since = r.json.next;
    if (events.length === 0 && i > 0) break;
  }
  const counts = new Map<string, number>();
  for (const t of got) counts.set(t, (counts.get(t) ?? 0) + 1);
  expect([...counts].filter(([, c]) => c > 1)).toEqual([]);
  const missing = load.acked.filter((w) => w.kind === 'to_device' && !counts.has(w.tag)).map((w) => w.tag);
  expect(missing).toEqual([]);
  return got;
}
