import { describe, expect, it } from 'vitest';
import { authStateFromAuthEvents, selectAuthEvents } from './auth-events.js';
import { authorizeEvent } from './authorize.js';
import type { StateEntry } from './room-state.js';
import { stateKey } from './room-state.js';
import { ALICE, BOB, baseRoom, MOD, member, type TestRoom } from './test-room.js';

const idOf = (room: TestRoom, type: string, key = '') =>
  room.state.get(stateKey(type, key))?.eventId as string;
const entryOf = (room: TestRoom, type: string, key = '') => room.state.get(stateKey(type, key)) as StateEntry;

describe('selectAuthEvents', () => {
  it('cites nothing for m.room.create', () => {
    const room = baseRoom();
    expect(
      selectAuthEvents(
        {
          ...member(ALICE, ALICE, 'join'),
          type: 'm.room.create',
          room_id: room.roomId,
          depth: 1,
          auth_events: [],
          prev_events: [],
          origin_server_ts: 0,
        },
        room.state,
      ),
    ).toEqual([]);
  });

  it('cites create, power levels and the sender for a message', () => {
    const room = baseRoom();
    const { event } = room.build({ type: 'm.room.message', sender: MOD, content: {} });
    expect(event.auth_events).toEqual([
      idOf(room, 'm.room.create'),
      idOf(room, 'm.room.power_levels'),
      idOf(room, 'm.room.member', MOD),
    ]);
  });

  it('adds the target membership and the join rules for an invite, once each', () => {
    const room = baseRoom().add(member(BOB, BOB, 'join'), member(BOB, BOB, 'leave'));
    const { event } = room.build(member(MOD, BOB, 'invite'));
    expect(event.auth_events).toEqual([
      idOf(room, 'm.room.create'),
      idOf(room, 'm.room.power_levels'),
      idOf(room, 'm.room.member', MOD),
      idOf(room, 'm.room.member', BOB),
      idOf(room, 'm.room.join_rules'),
    ]);
    // A self-join cites the sender's membership once.
    expect(room.build(member(BOB, BOB, 'join')).event.auth_events).toHaveLength(4);
  });

  it('cites the third-party invite of the token and the authorising user', () => {
    const room = baseRoom().add({
      type: 'm.room.third_party_invite',
      sender: ALICE,
      state_key: 'tok',
      content: {},
    });
    const invite = room.build(
      member(ALICE, BOB, 'invite', { third_party_invite: { signed: { mxid: BOB, token: 'tok' } } }),
    ).event;
    expect(invite.auth_events).toContain(idOf(room, 'm.room.third_party_invite', 'tok'));
    const restricted = room.build(member(BOB, BOB, 'join', { join_authorised_via_users_server: MOD })).event;
    expect(restricted.auth_events).toContain(idOf(room, 'm.room.member', MOD));
  });
});

describe('authStateFromAuthEvents (room v11 rule 2)', () => {
  const room = baseRoom();
  const built = room.build(member(MOD, BOB, 'ban'));
  const supplied = built.event.auth_events.map(
    (id) => [...room.state.values()].find((e) => e.eventId === id) as StateEntry,
  );

  it('builds the auth state from exactly the cited events, and the event passes against it', () => {
    const result = authStateFromAuthEvents(built.event, supplied);
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.state.size).toBe(3);
      expect(authorizeEvent(built.event, result.state)).toEqual({ ok: true });
    }
  });

  it.each<[string, string, () => StateEntry[]]>([
    ['an auth event that is not cited', '2', () => [...supplied, entryOf(room, 'm.room.join_rules')]],
    ['a cited auth event that is not supplied', '2', () => supplied.slice(1)],
    [
      'two events for one slot (2.1)',
      '2.1',
      () => [...supplied, { ...supplied[0], eventId: 'dup' } as StateEntry],
    ],
    [
      'an event for a slot the selection does not name (2.2)',
      '2.2',
      () => [entryOf(room, 'm.room.join_rules')],
    ],
    ['no create event (2.4)', '2.4', () => supplied.filter((e) => e.event.type !== 'm.room.create')],
  ])('rejects %s', (_what, rule, make) => {
    const entries = make();
    // Cite exactly what is supplied for the rules about content rather than citation.
    const citesSupplied =
      rule !== '2' ? { ...built.event, auth_events: entries.map((e) => e.eventId) } : built.event;
    const result = authStateFromAuthEvents(citesSupplied, entries);
    expect(result.ok ? 'ok' : result.rule).toBe(rule);
  });

  it('requires m.room.create to cite nothing', () => {
    const createEntry = entryOf(room, 'm.room.create');
    expect(authStateFromAuthEvents(createEntry.event, []).ok).toBe(true);
    const bad = { ...createEntry.event, auth_events: [createEntry.eventId] };
    expect(authStateFromAuthEvents(bad, [createEntry])).toMatchObject({ ok: false, rule: '2' });
  });
});
