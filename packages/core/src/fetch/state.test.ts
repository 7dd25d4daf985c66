import { describe, expect, it } from 'vitest';
import {
  type FakePdu,
  fakeEvent,
  fakeVerifier,
  honestPeer,
  SimRoomStore,
  scriptedSetup,
} from '../testing/index.js';
import { voteHead } from './head-vote.js';

const ROOM = '!room:a';

function room() {
  const create = fakeEvent({
    roomId: ROOM,
    sender: '@alice:a',
    type: 'm.room.create',
    stateKey: '',
    depth: 1,
  });
  const member = fakeEvent({
    roomId: ROOM,
    sender: '@alice:a',
    type: 'm.room.member',
    stateKey: '@alice:a',
    depth: 2,
    prevEvents: [create.eventId],
    authEvents: [create.eventId],
    content: { membership: 'join' },
  });
  const auth = [create.eventId, member.eventId];
  const power = fakeEvent({
    roomId: ROOM,
    sender: '@alice:a',
    type: 'm.room.power_levels',
    stateKey: '',
    depth: 3,
    prevEvents: [member.eventId],
    authEvents: auth,
  });
  const auth3 = [...auth, power.eventId];
  const topic = fakeEvent({
    roomId: ROOM,
    sender: '@alice:a',
    type: 'm.room.topic',
    stateKey: '',
    depth: 4,
    prevEvents: [power.eventId],
    authEvents: auth3,
    content: { topic: 'fetching' },
  });
  const msg = fakeEvent({
    roomId: ROOM,
    sender: '@alice:a',
    depth: 5,
    prevEvents: [topic.eventId],
    authEvents: auth3,
  });
  const head = fakeEvent({
    roomId: ROOM,
    sender: '@alice:a',
    depth: 6,
    prevEvents: [msg.eventId],
    authEvents: auth3,
  });
  return { create, member, power, topic, msg, head };
}

describe('voteHead', () => {
  it('picks the id most servers report, ignores answers with duplicates, breaks ties by id', () => {
    expect(voteHead([['$b'], ['$b', '$c'], ['$c', '$c', '$c'], ['$a']])).toEqual({ head: '$b', votes: 2 });
    expect(voteHead([['$z'], ['$y']])).toEqual({ head: '$y', votes: 1 });
    expect(voteHead([])).toBeUndefined();
  });
});

describe('state fetch', () => {
  it('chooses a head by vote, fetches state_ids, the auth chain, then the rest in parallel', () => {
    const r = room();
    const full = new SimRoomStore<FakePdu>();
    for (const e of Object.values(r)) full.store(e.eventId, e.pdu);
    // Server c lags behind: its head is msg, not head.
    const lagging = new SimRoomStore<FakePdu>();
    for (const e of [r.create, r.member, r.power, r.topic, r.msg]) lagging.store(e.eventId, e.pdu);
    const { scheduler, net, clock, store } = scriptedSetup({
      self: 'us',
      roomId: ROOM,
      servers: ['a', 'b', 'c', 'us'],
      peers: { a: honestPeer('a', full, 10), b: honestPeer('b', full, 30), c: honestPeer('c', lagging, 5) },
      verifier: fakeVerifier,
    });
    const ticket = scheduler.fetchState(clock.now(), { roomId: ROOM });
    net.run();

    expect(net.sent.filter((q) => q.kind === 'make_join').map((q) => q.destination)).toEqual(['a', 'b', 'c']);
    const ids = net.sent.find((q) => q.kind === 'state_ids');
    expect(ids).toMatchObject({ destination: 'a', params: { eventId: r.head.eventId } });
    expect(net.sent.filter((q) => q.kind === 'event_auth')).toHaveLength(1);
    // event_auth gave the auth chain; only the topic (state, not in the auth chain) is left.
    expect(net.sent.filter((q) => q.kind === 'event').map((q) => q.params)).toEqual([
      { roomId: ROOM, eventId: r.topic.eventId },
    ]);
    const done = net.outputsOf('state_done');
    expect(done).toEqual([
      {
        type: 'state_done',
        ticket,
        roomId: ROOM,
        eventId: r.head.eventId,
        stateIds: [r.create, r.member, r.power, r.topic].map((e) => e.eventId).sort(),
        authChainIds: [r.create, r.member, r.power].map((e) => e.eventId).sort(),
        missing: [],
      },
    ]);
    // The auth chain was evaluated root first (depth order), all as outliers.
    expect(store.order).toEqual([r.create, r.member, r.power, r.topic].map((e) => e.eventId));
    expect(net.outputsOf('evaluated').every((o) => o.outlier)).toBe(true);
  });

  it('skips the vote when the caller names the event', () => {
    const r = room();
    const full = new SimRoomStore<FakePdu>();
    for (const e of Object.values(r)) full.store(e.eventId, e.pdu);
    const { scheduler, net, clock } = scriptedSetup({
      self: 'us',
      roomId: ROOM,
      servers: ['us', 'a'],
      peers: { a: honestPeer('a', full, 10) },
      verifier: fakeVerifier,
    });
    scheduler.fetchState(clock.now(), { roomId: ROOM, eventId: r.msg.eventId });
    net.run();
    expect(net.sent.some((q) => q.kind === 'make_join')).toBe(false);
    expect(net.outputsOf('state_done')[0]).toMatchObject({ eventId: r.msg.eventId, missing: [] });
  });

  it('fails with a reason when no server can say', () => {
    const { scheduler, net, clock } = scriptedSetup<FakePdu>({
      self: 'us',
      roomId: ROOM,
      servers: ['us'],
      peers: {},
      verifier: fakeVerifier,
    });
    const t = scheduler.fetchState(clock.now(), { roomId: ROOM });
    net.run();
    expect(net.outputsOf('state_failed')).toEqual([
      { type: 'state_failed', ticket: t, roomId: ROOM, reason: 'no_origin' },
    ]);
  });
});
