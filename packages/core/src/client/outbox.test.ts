import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../io.js';
import { FakeClock, SeededRandom } from '../testing/index.js';
import { ClientApi } from './client-api.js';
import { Outbox, type OutboxEntry } from './outbox.js';
import { OutboxSender } from './outbox-sender.js';
import { ScriptedHttp } from './testing/scripted-http.js';
import { newTxnId } from './txn-id.js';

const flush = async () => {
  for (let i = 0; i < 30; i++) await Promise.resolve();
};

const fixedPolicy = { nextDelay: () => 1000 };

function harness(store: MemoryStore, http: ScriptedHttp, clock: FakeClock) {
  const api = new ClientApi({
    http: http.fetch,
    baseUrl: 'http://hs.test',
    timers: clock,
    random: new SeededRandom(2),
    accessToken: () => 'tok',
    retry: { maxAttempts: 1 },
  });
  const outbox = new Outbox({ store, maxEntries: 3 });
  const sent: Array<[string, string]> = [];
  const failed: Array<[string, string]> = [];
  const sender = new OutboxSender({
    outbox,
    send: (e, signal) => api.sendEvent(e.roomId, e.type, e.content, e.txnId, { signal }),
    clock,
    timers: clock,
    retryPolicy: fixedPolicy,
    onSent: (e, id) => sent.push([e.txnId, id]),
    onFailed: (e, err) => failed.push([e.txnId, err.code]),
  });
  return { outbox, sender, sent, failed };
}

const entry = (txnId: string, body: string): Omit<OutboxEntry, 'seq'> => ({
  txnId,
  roomId: '!r:hs',
  type: 'm.room.message',
  content: { msgtype: 'm.text', body },
  createdAt: 0,
});

/** A server that stores each (txnId) once, as the real send endpoint does. */
function idempotentServer(http: ScriptedHttp, state: { online: boolean }) {
  const events = new Map<string, string>();
  http.on('PUT', /\/rooms\/([^/]+)\/send\/([^/]+)\/([^/]+)$/, (_req, m) => {
    if (!state.online) return { throws: new TypeError('fetch failed') };
    const txn = m[3] as string;
    if (!events.has(txn)) events.set(txn, `$ev${events.size + 1}`);
    return { status: 200, json: { event_id: events.get(txn) } };
  });
  return events;
}

describe('Outbox', () => {
  it('persists entries in order and reloads them from the store', async () => {
    const store = new MemoryStore();
    const a = new Outbox({ store });
    for (let i = 0; i < 12; i++) await a.add(entry(`t${i}`, `m${i}`));
    await a.remove('t3');
    const b = new Outbox({ store });
    const loaded = await b.load();
    expect(loaded.map((e) => e.txnId)).toEqual([
      't0',
      't1',
      't2',
      't4',
      't5',
      't6',
      't7',
      't8',
      't9',
      't10',
      't11',
    ]);
    const added = await b.add(entry('t12', 'm12'));
    expect(added.seq).toBe(13);
  });

  it('two writers of one store (two tabs) never overwrite each other', async () => {
    const store = new MemoryStore();
    const tab1 = new Outbox({ store });
    const tab2 = new Outbox({ store });
    await tab1.add(entry('from-tab-1', 'a'));
    await tab2.add(entry('from-tab-2', 'b'));
    const reloaded = await new Outbox({ store }).load();
    expect(reloaded.map((e) => e.txnId).sort()).toEqual(['from-tab-1', 'from-tab-2']);
  });

  it('refuses more than maxEntries with outbox_full', async () => {
    const o = new Outbox({ store: new MemoryStore(), maxEntries: 2 });
    await o.add(entry('a', 'a'));
    await o.add(entry('b', 'b'));
    await expect(o.add(entry('c', 'c'))).rejects.toMatchObject({ code: 'outbox_full' });
  });

  it('makes distinct txn ids', () => {
    const clock = new FakeClock(0);
    const r = new SeededRandom(5);
    const ids = new Set(Array.from({ length: 100 }, () => newTxnId(clock, r)));
    expect(ids.size).toBe(100);
  });
});

describe('OutboxSender', () => {
  it('sends in order, one at a time, and empties the outbox', async () => {
    const clock = new FakeClock(0);
    const http = new ScriptedHttp();
    const events = idempotentServer(http, { online: true });
    const h = harness(new MemoryStore(), http, clock);
    await h.outbox.add(entry('t1', 'one'));
    await h.outbox.add(entry('t2', 'two'));
    h.sender.kick();
    await h.sender.whenIdle();
    expect(h.sent).toEqual([
      ['t1', '$ev1'],
      ['t2', '$ev2'],
    ]);
    expect(h.outbox.entries).toHaveLength(0);
    expect(events.size).toBe(2);
  });

  it('keeps messages composed offline across a reload and sends each once with its original txnId', async () => {
    const clock = new FakeClock(0);
    const store = new MemoryStore();
    const state = { online: false };
    const http = new ScriptedHttp();
    const events = idempotentServer(http, state);

    // First run: offline, two messages composed; the attempts fail and the "tab" is closed.
    const first = harness(store, http, clock);
    await first.outbox.add(entry('orig-1', 'hello'));
    await first.outbox.add(entry('orig-2', 'world'));
    first.sender.kick();
    await first.sender.whenIdle();
    expect(first.sent).toEqual([]);
    first.sender.stop();

    // Reload: a new outbox on the same store; the connection is back.
    state.online = true;
    const second = harness(store, http, clock);
    await second.outbox.load();
    second.sender.kick();
    await second.sender.whenIdle();
    expect(second.sent.map(([t]) => t)).toEqual(['orig-1', 'orig-2']);
    const sendUrls = http.calls('PUT', /\/send\//).map((r) => r.url.split('/').at(-1));
    expect(sendUrls.filter((t) => t === 'orig-1').length).toBeGreaterThanOrEqual(2);
    expect(new Set(sendUrls)).toEqual(new Set(['orig-1', 'orig-2']));
    expect(events.size).toBe(2);
    expect(await store.keys('outbox/')).toEqual([]);
  });

  it('retries after the policy delay while the server is unreachable, and kick() resumes at once', async () => {
    const clock = new FakeClock(0);
    const state = { online: false };
    const http = new ScriptedHttp();
    idempotentServer(http, state);
    const h = harness(new MemoryStore(), http, clock);
    await h.outbox.add(entry('t1', 'x'));
    h.sender.kick();
    await flush();
    expect(http.requests).toHaveLength(1);
    clock.advance(999);
    await flush();
    expect(http.requests).toHaveLength(1);
    clock.advance(1);
    await flush();
    expect(http.requests).toHaveLength(2);
    state.online = true;
    h.sender.kick();
    await h.sender.whenIdle();
    expect(h.sent).toEqual([['t1', '$ev1']]);
    clock.advance(5000);
    await flush();
    expect(http.requests).toHaveLength(3);
  });

  it('marks a refused message failed, keeps it, and goes on with the next', async () => {
    const clock = new FakeClock(0);
    const http = new ScriptedHttp();
    http.once('PUT', /\/send\//, { status: 403, json: { errcode: 'M_FORBIDDEN', error: 'left the room' } });
    idempotentServer(http, { online: true });
    const store = new MemoryStore();
    const h = harness(store, http, clock);
    await h.outbox.add(entry('bad', 'x'));
    await h.outbox.add(entry('good', 'y'));
    h.sender.kick();
    await h.sender.whenIdle();
    expect(h.failed).toEqual([['bad', 'M_FORBIDDEN']]);
    expect(h.sent.map(([t]) => t)).toEqual(['good']);
    const reloaded = new Outbox({ store });
    expect((await reloaded.load()).map((e) => [e.txnId, e.failed?.code])).toEqual([['bad', 'M_FORBIDDEN']]);
  });

  it('pauses on 401 without marking anything failed', async () => {
    const clock = new FakeClock(0);
    const http = new ScriptedHttp();
    http.on('PUT', /\/send\//, { status: 401, json: { errcode: 'M_UNKNOWN_TOKEN', error: 'gone' } });
    const h = harness(new MemoryStore(), http, clock);
    await h.outbox.add(entry('t', 'x'));
    h.sender.kick();
    await h.sender.whenIdle();
    clock.advance(60_000);
    await flush();
    expect(http.requests).toHaveLength(1);
    expect(h.failed).toEqual([]);
    expect(h.outbox.entries).toHaveLength(1);
  });

  it('stop() aborts the request in flight and keeps the entry', async () => {
    const clock = new FakeClock(0);
    const http = new ScriptedHttp();
    http.on('PUT', /\/send\//, { hang: true });
    const h = harness(new MemoryStore(), http, clock);
    await h.outbox.add(entry('t', 'x'));
    h.sender.kick();
    await flush();
    h.sender.stop();
    await h.sender.whenIdle();
    expect(http.requests[0]?.signal?.aborted).toBe(true);
    expect(h.outbox.entries.map((e) => e.txnId)).toEqual(['t']);
    expect(clock.pendingCount).toBe(0);
  });
});
