import { describe, expect, it } from 'vitest';
import type { AuthorizeOptions } from './auth-result.js';
import { authorizeEvent } from './authorize.js';
import { encodeBase64 } from './base64.js';
import type { JsonObject } from './json.js';
import { signingKeyFromSeed, signJson } from './signing.js';
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
  member,
  TestRoom,
  type TestStep,
} from './test-room.js';

/** [what happens, expected ("ok" or the v11 rule that rejects), the room and the event]. */
type Case = [string, string, () => { room: TestRoom; step: TestStep; options?: AuthorizeOptions }];

const verifierSaying = (answer: boolean): AuthorizeOptions => ({ verifyServerSignature: () => answer });
const IDENTITY_KEY = signingKeyFromSeed(new Uint8Array(32).fill(3), '0');

/** A room with an `m.room.third_party_invite` for token `tok`, sent by `sender`. */
function thirdPartyRoom(sender = ALICE): TestRoom {
  return baseRoom().add({
    type: 'm.room.third_party_invite',
    sender,
    state_key: 'tok',
    content: { display_name: 'b…', public_key: encodeBase64(IDENTITY_KEY.publicKey) },
  });
}
const signedInvite = (fields: JsonObject, key = IDENTITY_KEY): JsonObject => ({
  display_name: 'b…',
  signed: signJson(fields, 'id.example', key),
});

const CASES: Case[] = [
  // 4.1
  [
    'a member event without membership',
    '4.1',
    () => ({ room: baseRoom(), step: { ...join(BOB), content: {} } }),
  ],
  // 4.2
  [
    'join_authorised_via_users_server without a signature verifier',
    '4.2',
    () => ({ room: baseRoom(), step: member(BOB, BOB, 'join', { join_authorised_via_users_server: ALICE }) }),
  ],
  [
    'join_authorised_via_users_server not signed by its server',
    '4.2',
    () => ({
      room: baseRoom(),
      step: member(BOB, BOB, 'join', { join_authorised_via_users_server: ALICE }),
      options: verifierSaying(false),
    }),
  ],
  // 4.3 join
  [
    "the creator's first join after the create event",
    'ok',
    () => ({ room: new TestRoom('!r:a.org').add(create()), step: join(ALICE) }),
  ],
  [
    "someone else's join straight after the create event",
    '4.3.7',
    () => ({ room: new TestRoom('!r:a.org').add(create()), step: join(CAROL) }),
  ],
  [
    'joining on behalf of another user',
    '4.3.2',
    () => ({ room: baseRoom(), step: member(ALICE, BOB, 'join') }),
  ],
  [
    'a banned user joining a public room',
    '4.3.3',
    () => ({ room: baseRoom().add(member(ALICE, BOB, 'ban')), step: join(BOB) }),
  ],
  ['joining an invite-only room uninvited', '4.3.4', () => ({ room: baseRoom('invite'), step: join(BOB) })],
  [
    'joining an invite-only room with an invite',
    'ok',
    () => ({ room: baseRoom('invite').add(member(ALICE, BOB, 'invite')), step: join(BOB) }),
  ],
  [
    'joining a knock room with an invite',
    'ok',
    () => ({ room: baseRoom('knock').add(member(ALICE, BOB, 'invite')), step: join(BOB) }),
  ],
  [
    'joining a restricted room with an invite',
    'ok',
    () => ({ room: baseRoom('restricted').add(member(ALICE, BOB, 'invite')), step: join(BOB) }),
  ],
  [
    'joining a restricted room with no authorising user',
    '4.3.5.2',
    () => ({ room: baseRoom('restricted'), step: join(BOB) }),
  ],
  [
    'joining a restricted room authorised by a user who is not joined',
    '4.3.5.2',
    () => ({
      room: baseRoom('restricted'),
      step: member(BOB, BOB, 'join', { join_authorised_via_users_server: CAROL }),
      options: verifierSaying(true),
    }),
  ],
  [
    'joining a restricted room authorised by a user below the invite level',
    '4.3.5.2',
    () => ({
      room: baseRoom('restricted', { ...DEFAULT_LEVELS, invite: 60 }),
      step: member(BOB, BOB, 'join', { join_authorised_via_users_server: MOD }),
      options: verifierSaying(true),
    }),
  ],
  [
    'joining a knock_restricted room authorised by a joined user who may invite',
    'ok',
    () => ({
      room: baseRoom('knock_restricted'),
      step: member(BOB, BOB, 'join', { join_authorised_via_users_server: MOD }),
      options: verifierSaying(true),
    }),
  ],
  ['joining a public room', 'ok', () => ({ room: baseRoom('public'), step: join(BOB) })],
  [
    'joining a room with join rule "private"',
    '4.3.7',
    () => ({ room: baseRoom().add(joinRules('private')), step: join(BOB) }),
  ],
  // 4.4 invite
  [
    'a third-party invite for a banned user',
    '4.4.1.1',
    () => ({
      room: thirdPartyRoom().add(member(ALICE, BOB, 'ban')),
      step: member(ALICE, BOB, 'invite', { third_party_invite: signedInvite({ mxid: BOB, token: 'tok' }) }),
    }),
  ],
  [
    'a third-party invite without "signed"',
    '4.4.1.2',
    () => ({
      room: thirdPartyRoom(),
      step: member(ALICE, BOB, 'invite', { third_party_invite: { display_name: 'b' } }),
    }),
  ],
  [
    'a third-party invite whose signed has no token',
    '4.4.1.3',
    () => ({
      room: thirdPartyRoom(),
      step: member(ALICE, BOB, 'invite', { third_party_invite: signedInvite({ mxid: BOB }) }),
    }),
  ],
  [
    'a third-party invite for another mxid',
    '4.4.1.4',
    () => ({
      room: thirdPartyRoom(),
      step: member(ALICE, BOB, 'invite', { third_party_invite: signedInvite({ mxid: CAROL, token: 'tok' }) }),
    }),
  ],
  [
    'a third-party invite with an unknown token',
    '4.4.1.5',
    () => ({
      room: thirdPartyRoom(),
      step: member(ALICE, BOB, 'invite', { third_party_invite: signedInvite({ mxid: BOB, token: 'nope' }) }),
    }),
  ],
  [
    'a third-party invite completed by someone other than its sender',
    '4.4.1.6',
    () => ({
      room: thirdPartyRoom(),
      step: member(MOD, BOB, 'invite', { third_party_invite: signedInvite({ mxid: BOB, token: 'tok' }) }),
    }),
  ],
  [
    'a third-party invite signed by the identity server key',
    'ok',
    () => ({
      room: thirdPartyRoom(),
      step: member(ALICE, BOB, 'invite', { third_party_invite: signedInvite({ mxid: BOB, token: 'tok' }) }),
    }),
  ],
  [
    'a third-party invite signed by another key',
    '4.4.1.8',
    () => ({
      room: thirdPartyRoom(),
      step: member(ALICE, BOB, 'invite', {
        third_party_invite: signedInvite(
          { mxid: BOB, token: 'tok' },
          signingKeyFromSeed(new Uint8Array(32), '0'),
        ),
      }),
    }),
  ],
  [
    'an invite from a user who is not joined',
    '4.4.2',
    () => ({ room: baseRoom(), step: member(CAROL, BOB, 'invite') }),
  ],
  [
    'an invite of a user already joined',
    '4.4.3',
    () => ({ room: baseRoom().add(join(BOB)), step: member(ALICE, BOB, 'invite') }),
  ],
  [
    'an invite of a banned user',
    '4.4.3',
    () => ({ room: baseRoom().add(member(ALICE, BOB, 'ban')), step: member(ALICE, BOB, 'invite') }),
  ],
  [
    'an invite by a member at the invite level',
    'ok',
    () => ({ room: baseRoom().add(join(CAROL)), step: member(CAROL, BOB, 'invite') }),
  ],
  [
    'an invite by a member below the invite level',
    '4.4.5',
    () => ({
      room: baseRoom('public', { ...DEFAULT_LEVELS, invite: 50 }).add(join(CAROL)),
      step: member(CAROL, BOB, 'invite'),
    }),
  ],
  // 4.5 leave
  ['leaving when joined', 'ok', () => ({ room: baseRoom().add(join(BOB)), step: member(BOB, BOB, 'leave') })],
  [
    'rejecting an invite',
    'ok',
    () => ({ room: baseRoom().add(member(ALICE, BOB, 'invite')), step: member(BOB, BOB, 'leave') }),
  ],
  ['leaving a room never joined', '4.5.1', () => ({ room: baseRoom(), step: member(BOB, BOB, 'leave') })],
  [
    'a banned user unbanning themself',
    '4.5.1',
    () => ({ room: baseRoom().add(member(ALICE, BOB, 'ban')), step: member(BOB, BOB, 'leave') }),
  ],
  [
    'a kick by a user who is not joined',
    '4.5.2',
    () => ({ room: baseRoom().add(join(BOB)), step: member(CAROL, BOB, 'leave') }),
  ],
  [
    'an unban by a user below the ban level',
    '4.5.3',
    () => ({
      room: baseRoom('public', { ...DEFAULT_LEVELS, ban: 40 })
        .add(member(MOD, BOB, 'ban'))
        .add({
          type: 'm.room.power_levels',
          sender: ALICE,
          state_key: '',
          content: { ...DEFAULT_LEVELS, ban: 60 },
        }),
      step: member(MOD, BOB, 'leave'),
    }),
  ],
  [
    'an unban by a user at the ban and kick levels',
    'ok',
    () => ({ room: baseRoom().add(member(ALICE, BOB, 'ban')), step: member(MOD, BOB, 'leave') }),
  ],
  [
    'a kick by a user at the kick level',
    'ok',
    () => ({ room: baseRoom().add(join(BOB)), step: member(MOD, BOB, 'leave') }),
  ],
  [
    'a kick by a user below the kick level',
    '4.5.5',
    () => ({ room: baseRoom().add(join(BOB), join(CAROL)), step: member(CAROL, BOB, 'leave') }),
  ],
  [
    'a kick of a user with a higher level',
    '4.5.5',
    () => ({ room: baseRoom(), step: member(MOD, ALICE, 'leave') }),
  ],
  // 4.6 ban
  [
    'a ban by a user who is not joined',
    '4.6.1',
    () => ({ room: baseRoom(), step: member(CAROL, BOB, 'ban') }),
  ],
  ['a ban by a user at the ban level', 'ok', () => ({ room: baseRoom(), step: member(MOD, BOB, 'ban') })],
  [
    'a ban of a user with an equal level',
    '4.6.3',
    () => ({ room: baseRoom(), step: member(MOD, MOD, 'ban') }),
  ],
  [
    'a ban by a user below the ban level',
    '4.6.3',
    () => ({ room: baseRoom().add(join(CAROL)), step: member(CAROL, BOB, 'ban') }),
  ],
  // 4.7 knock
  [
    'knocking on a public room',
    '4.7.1',
    () => ({ room: baseRoom('public'), step: member(BOB, BOB, 'knock') }),
  ],
  [
    'knocking on behalf of another user',
    '4.7.2',
    () => ({ room: baseRoom('knock'), step: member(ALICE, BOB, 'knock') }),
  ],
  ['knocking on a knock room', 'ok', () => ({ room: baseRoom('knock'), step: member(BOB, BOB, 'knock') })],
  [
    'knocking on a knock_restricted room',
    'ok',
    () => ({ room: baseRoom('knock_restricted'), step: member(BOB, BOB, 'knock') }),
  ],
  [
    'knocking when already invited',
    '4.7.4',
    () => ({ room: baseRoom('knock').add(member(ALICE, BOB, 'invite')), step: member(BOB, BOB, 'knock') }),
  ],
  [
    'leaving (retracting) a knock',
    'ok',
    () => ({ room: baseRoom('knock').add(member(BOB, BOB, 'knock')), step: member(BOB, BOB, 'leave') }),
  ],
  // 4.8
  ['an unknown membership', '4.8', () => ({ room: baseRoom(), step: member(BOB, BOB, 'dance') })],
];

describe('authorizeEvent: m.room.member (room v11 rule 4)', () => {
  it.each(CASES)('%s → %s', (_what, expected, setup) => {
    const { room, step, options } = setup();
    const { event } = room.build(step);
    const result = authorizeEvent(event, room.state, options);
    expect(result.ok ? 'ok' : result.rule).toBe(expected);
    if (!result.ok) expect(result.reason.length).toBeGreaterThan(0);
  });
});
