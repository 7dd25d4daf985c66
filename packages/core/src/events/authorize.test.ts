import { describe, expect, it } from 'vitest';
import { authorizeEvent } from './authorize.js';
import type { JsonObject } from './json.js';
import type { PDU } from './pdu.js';
import {
  ALICE,
  BOB,
  baseRoom,
  CAROL,
  create,
  DEFAULT_LEVELS,
  join,
  joinRules,
  MOD,
  powerLevels,
  TestRoom,
  type TestStep,
} from './test-room.js';

/** [what happens, expected ("ok" or the v11 rule that rejects), the room and the event]. */
type Case = [
  string,
  string,
  () => { room: TestRoom; step: TestStep; prev?: { eventId: string; depth: number }[] },
];

const OTHER_ID = `$${'Z'.repeat(43)}`;
const msg = (sender: string): TestStep => ({ type: 'm.room.message', sender, content: { body: 'hi' } });
const state = (type: string, sender: string, stateKey: string, content: JsonObject = {}): TestStep => ({
  type,
  sender,
  state_key: stateKey,
  content,
});
/** A room where MOD (50) may send power levels, with some levels above MOD's. */
const modRoom = () =>
  baseRoom('public', {
    ...DEFAULT_LEVELS,
    ban: 75,
    events: { 'm.room.power_levels': 50, 'm.room.tombstone': 100 },
    users: { [ALICE]: 100, [MOD]: 50, [CAROL]: 50 },
  }).add(join(BOB), join(CAROL));
const levelsFrom = (room: TestRoom): JsonObject =>
  room.state.get(JSON.stringify(['m.room.power_levels', '']))?.event.content as JsonObject;
const changeLevels = (room: TestRoom, change: (c: JsonObject) => JsonObject, sender = MOD) =>
  powerLevels(change(structuredClone(levelsFrom(room))), sender);

const CASES: Case[] = [
  // 1: m.room.create
  [
    'a create event with prev_events',
    '1.1',
    () => ({ room: new TestRoom('!r:a.org'), step: create(), prev: [{ eventId: OTHER_ID, depth: 1 }] }),
  ],
  [
    'a create event for a room id of another server',
    '1.2',
    () => ({ room: new TestRoom('!r:b.org'), step: create() }),
  ],
  [
    'a create event for room version 9',
    '1.3',
    () => ({ room: new TestRoom('!r:a.org'), step: create({ room_version: '9' }) }),
  ],
  ['a create event for room version 11', 'ok', () => ({ room: new TestRoom('!r:a.org'), step: create() })],
  [
    'a create event without room_version or creator',
    'ok',
    () => ({ room: new TestRoom('!r:a.org'), step: create({}) }),
  ],
  // 2 / 3
  [
    'an event checked against a state with no create event',
    '2.4',
    () => ({ room: new TestRoom('!r:a.org'), step: msg(ALICE) }),
  ],
  [
    'a non-federating room and a sender from another server',
    '3',
    () => ({
      room: new TestRoom('!r:a.org').add(
        create({ room_version: '11', 'm.federate': false }),
        join(ALICE),
        joinRules('public'),
      ),
      step: join(BOB),
    }),
  ],
  [
    'a non-federating room and a sender from the same server',
    'ok',
    () => ({
      room: new TestRoom('!r:a.org').add(
        create({ room_version: '11', 'm.federate': false }),
        join(ALICE),
        joinRules('public'),
      ),
      step: join(CAROL),
    }),
  ],
  // 5
  ['a message from a user who is not joined', '5', () => ({ room: baseRoom(), step: msg(BOB) })],
  [
    'a message from a user who left',
    '5',
    () => ({
      room: baseRoom().add(join(BOB), { ...join(BOB), content: { membership: 'leave' } }),
      step: msg(BOB),
    }),
  ],
  // 6
  [
    'a third-party invite below the invite level',
    '6.1',
    () => ({
      room: baseRoom('public', { ...DEFAULT_LEVELS, invite: 10 }).add(join(BOB)),
      step: state('m.room.third_party_invite', BOB, 't'),
    }),
  ],
  [
    'a third-party invite at the invite level',
    'ok',
    () => ({ room: baseRoom().add(join(BOB)), step: state('m.room.third_party_invite', BOB, 't') }),
  ],
  // 7
  ['a message at events_default', 'ok', () => ({ room: baseRoom().add(join(BOB)), step: msg(BOB) })],
  [
    'a message below events_default',
    '7',
    () => ({
      room: baseRoom('public', { ...DEFAULT_LEVELS, events_default: 10 }).add(join(BOB)),
      step: msg(BOB),
    }),
  ],
  [
    'an m.room.name below its events level',
    '7',
    () => ({ room: baseRoom().add(join(BOB)), step: state('m.room.name', BOB, '', { name: 'x' }) }),
  ],
  [
    'a custom state event below state_default',
    '7',
    () => ({ room: baseRoom().add(join(BOB)), step: state('x.thing', BOB, '') }),
  ],
  [
    'a custom state event at state_default',
    'ok',
    () => ({ room: baseRoom(), step: state('x.thing', MOD, '') }),
  ],
  ['m.room.join_rules by the creator', 'ok', () => ({ room: baseRoom(), step: joinRules('invite') })],
  [
    'm.room.join_rules below state_default',
    '7',
    () => ({ room: baseRoom().add(join(BOB)), step: joinRules('invite', BOB) }),
  ],
  [
    'any state event when there is no power levels event (all levels 0)',
    'ok',
    () => ({
      room: new TestRoom('!r:a.org').add(create(), join(ALICE), joinRules('public'), join(BOB)),
      step: state('m.room.name', BOB, '', { name: 'x' }),
    }),
  ],
  // 8
  ['a state_key naming another user', '8', () => ({ room: baseRoom(), step: state('x.user', ALICE, BOB) })],
  ['a state_key naming the sender', 'ok', () => ({ room: baseRoom(), step: state('x.user', ALICE, ALICE) })],
  // 9: m.room.power_levels
  [
    'power levels with a string level',
    '9.1',
    () => ({ room: baseRoom(), step: powerLevels({ ...DEFAULT_LEVELS, ban: '50' }) }),
  ],
  [
    'power levels with a non-integer events entry',
    '9.2',
    () => ({ room: baseRoom(), step: powerLevels({ ...DEFAULT_LEVELS, events: { x: 'high' } }) }),
  ],
  [
    'power levels with notifications not an object',
    '9.2',
    () => ({ room: baseRoom(), step: powerLevels({ ...DEFAULT_LEVELS, notifications: 5 }) }),
  ],
  [
    'power levels naming something that is not a user id',
    '9.3',
    () => ({ room: baseRoom(), step: powerLevels({ ...DEFAULT_LEVELS, users: { bob: 10 } }) }),
  ],
  [
    'power levels with a non-integer user level',
    '9.3',
    () => ({ room: baseRoom(), step: powerLevels({ ...DEFAULT_LEVELS, users: { [BOB]: true } }) }),
  ],
  [
    'the first power levels event, whatever it grants',
    'ok',
    () => ({
      room: new TestRoom('!r:a.org').add(create(), join(ALICE)),
      step: powerLevels({ users: { [ALICE]: 1000, [BOB]: 999 }, ban: 5000 }),
    }),
  ],
  [
    'lowering a level that was above the sender',
    '9.5.1',
    () => ({ room: modRoom(), step: changeLevels(modRoom(), (c) => ({ ...c, ban: 40 })) }),
  ],
  [
    'removing a level that was above the sender',
    '9.5.1',
    () => ({ room: modRoom(), step: changeLevels(modRoom(), ({ ban, ...c }) => c) }),
  ],
  [
    'raising a level above the sender',
    '9.5.2',
    () => ({ room: modRoom(), step: changeLevels(modRoom(), (c) => ({ ...c, kick: 60 })) }),
  ],
  [
    'adding a level up to the sender',
    'ok',
    () => ({ room: modRoom(), step: changeLevels(modRoom(), (c) => ({ ...c, redact: 50 })) }),
  ],
  [
    'changing an events entry that was above the sender',
    '9.6.1',
    () => ({
      room: modRoom(),
      step: changeLevels(modRoom(), (c) => ({
        ...c,
        events: { 'm.room.power_levels': 50, 'm.room.tombstone': 0 },
      })),
    }),
  ],
  [
    'adding an events entry above the sender',
    '9.7.1',
    () => ({
      room: modRoom(),
      step: changeLevels(modRoom(), (c) => ({ ...c, events: { ...(c.events as JsonObject), 'x.new': 70 } })),
    }),
  ],
  [
    'adding a notifications entry above the sender',
    '9.7.1',
    () => ({
      room: modRoom(),
      step: changeLevels(modRoom(), (c) => ({ ...c, notifications: { room: 51 } })),
    }),
  ],
  [
    'demoting another user at the sender level',
    '9.8.1',
    () => ({
      room: modRoom(),
      step: changeLevels(modRoom(), (c) => ({ ...c, users: { [ALICE]: 100, [MOD]: 50, [CAROL]: 0 } })),
    }),
  ],
  [
    'promoting a user above the sender',
    '9.9.1',
    () => ({
      room: modRoom(),
      step: changeLevels(modRoom(), (c) => ({ ...c, users: { ...(c.users as JsonObject), [BOB]: 51 } })),
    }),
  ],
  [
    'promoting a user up to the sender',
    'ok',
    () => ({
      room: modRoom(),
      step: changeLevels(modRoom(), (c) => ({ ...c, users: { ...(c.users as JsonObject), [BOB]: 50 } })),
    }),
  ],
  [
    'the sender demoting themself',
    'ok',
    () => ({
      room: modRoom(),
      step: changeLevels(modRoom(), (c) => ({ ...c, users: { [ALICE]: 100, [MOD]: 10, [CAROL]: 50 } })),
    }),
  ],
  [
    'power levels from a user below their events level',
    '7',
    () => ({ room: baseRoom(), step: powerLevels(DEFAULT_LEVELS, MOD) }),
  ],
  // 10
  ['an ordinary message from a joined member', 'ok', () => ({ room: baseRoom(), step: msg(MOD) })],
];

describe('authorizeEvent: create, generic and power-level rules (room v11 rules 1-3, 5-10)', () => {
  it.each(CASES)('%s → %s', (_what, expected, setup) => {
    const { room, step, prev } = setup();
    const { event } = room.build(step, prev);
    const result = authorizeEvent(event, room.state);
    expect(result.ok ? 'ok' : result.rule).toBe(expected);
  });

  it('refuses a float level (rule 9.1) even in an event that skipped validation', () => {
    const room = baseRoom();
    const { event } = room.build(powerLevels());
    const tampered = { ...event, content: { ...event.content, kick: 0.5 } };
    const result = authorizeEvent(tampered, room.state);
    expect(result.ok ? 'ok' : result.rule).toBe('9.1');
  });

  it('refuses an event of another room (its create event does not match)', () => {
    const room = baseRoom();
    const { event } = new TestRoom('!other:a.org').build(msg(ALICE));
    const result = authorizeEvent(event, room.state);
    expect(result.ok ? 'ok' : result.rule).toBe('2');
  });

  it('is pure: the state and the event are left untouched', () => {
    const room = baseRoom();
    const { event } = room.build(powerLevels({ ...DEFAULT_LEVELS, kick: 10 }));
    const before = structuredClone({ event, state: [...room.state.entries()] });
    authorizeEvent(event as PDU, room.state);
    expect({ event, state: [...room.state.entries()] }).toEqual(before);
  });
});
