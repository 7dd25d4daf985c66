import { authorizeMembership } from './auth-membership.js';
import { authorizePowerLevels } from './auth-power-levels.js';
import { ALLOW, type AuthorizeOptions, type AuthResult, reject } from './auth-result.js';
import { domainOf, type PDU } from './pdu.js';
import {
  membershipOf,
  namedPowerLevel,
  powerLevelOfUser,
  type RoomState,
  requiredPowerLevel,
  stateKey,
} from './room-state.js';

/** Room versions whose `m.room.create` rule 1.3 recognises; Parley implements v11 only. */
const RECOGNISED_ROOM_VERSIONS: ReadonlySet<string> = new Set(['11']);

/**
 * The room version 11 authorization rules: may `event` happen given `authState`?
 *
 * `authState` is the state the event is checked against: the state built from its auth events
 * ({@link authStateFromAuthEvents}, which also applies rule 2), the state before the event, or
 * the current state (soft-fail check). The function is pure; it does not check the event's own
 * hashes or signatures (do that first with {@link checkContentHash} and
 * {@link verifyEventSignature}).
 *
 * Supported: `m.room.create`, `m.room.member` (join with public / invite / knock / restricted /
 * knock_restricted join rules, invite including third-party invites, leave, kick, ban, unban,
 * knock), `m.room.third_party_invite`, `m.room.power_levels` (all of rule 9), `m.room.join_rules`
 * and every other type through the generic rules 5, 7 and 8. A rejection names the spec rule.
 */
export function authorizeEvent(event: PDU, authState: RoomState, options: AuthorizeOptions = {}): AuthResult {
  if (event.type === 'm.room.create') return authorizeCreate(event);

  const create = authState.get(stateKey('m.room.create', ''));
  if (create === undefined) return reject('2.4', 'no m.room.create event in the auth state');
  if (create.event.room_id !== event.room_id) {
    return reject(
      '2',
      `the m.room.create of ${create.event.room_id} cannot authorise an event of ${event.room_id}`,
    );
  }
  if (
    create.event.content['m.federate'] === false &&
    domainOf(event.sender) !== domainOf(create.event.sender)
  ) {
    return reject('3', 'the room does not federate and the sender is from another server');
  }

  if (event.type === 'm.room.member') return authorizeMembership(event, authState, create, options);

  if (membershipOf(event.sender, authState) !== 'join') return reject('5', `${event.sender} is not joined`);

  const senderLevel = powerLevelOfUser(event.sender, authState);
  if (event.type === 'm.room.third_party_invite') {
    if (senderLevel >= namedPowerLevel('invite', authState)) return ALLOW; // 6.1
    return reject('6.1', `${event.sender} is below the invite level`);
  }

  const required = requiredPowerLevel(event.type, event.state_key !== undefined, authState);
  if (required > senderLevel) {
    return reject(
      '7',
      `sending ${event.type} needs power level ${required}; ${event.sender} has ${senderLevel}`,
    );
  }
  if (
    typeof event.state_key === 'string' &&
    event.state_key.startsWith('@') &&
    event.state_key !== event.sender
  ) {
    return reject('8', 'a state_key starting with "@" must be the sender');
  }
  if (event.type === 'm.room.power_levels') return authorizePowerLevels(event, authState);
  return ALLOW; // 10
}

function authorizeCreate(event: PDU): AuthResult {
  if (event.prev_events.length > 0) return reject('1.1', 'm.room.create must have no prev_events');
  if (domainOf(event.room_id) !== domainOf(event.sender)) {
    return reject('1.2', 'the room id and the sender of m.room.create must share a server name');
  }
  const version = event.content.room_version;
  if (version !== undefined && !(typeof version === 'string' && RECOGNISED_ROOM_VERSIONS.has(version))) {
    return reject('1.3', `room version ${JSON.stringify(version)} is not supported (only "11")`);
  }
  return ALLOW; // 1.4
}
