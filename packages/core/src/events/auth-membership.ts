import { ALLOW, type AuthorizeOptions, type AuthResult, reject } from './auth-result.js';
import { decodeBase64 } from './base64.js';
import { isJsonObject, type JsonObject } from './json.js';
import { domainOf, isUserId, type PDU } from './pdu.js';
import {
  getStateEvent,
  joinRuleOf,
  membershipOf,
  namedPowerLevel,
  powerLevelOfUser,
  type RoomState,
  type StateEntry,
} from './room-state.js';
import { verifyJsonSignature } from './signing.js';

/** Rule 4 of room version 11: `m.room.member` events. */
export function authorizeMembership(
  event: PDU,
  state: RoomState,
  create: StateEntry,
  options: AuthorizeOptions,
): AuthResult {
  const target = event.state_key;
  const membership = event.content.membership;
  if (typeof target !== 'string' || typeof membership !== 'string') {
    return reject('4.1', 'a member event needs a state_key and a string content.membership');
  }
  const authoriser = event.content.join_authorised_via_users_server;
  if (authoriser !== undefined) {
    if (!isUserId(authoriser)) return reject('4.2', 'join_authorised_via_users_server is not a user id');
    const verify = options.verifyServerSignature;
    if (verify === undefined) {
      return reject(
        '4.2',
        'cannot check the signature of join_authorised_via_users_server: no verifier given',
      );
    }
    if (!verify(event, domainOf(authoriser))) {
      return reject('4.2', `event is not signed by ${domainOf(authoriser)}, the authorising user's server`);
    }
  }
  switch (membership) {
    case 'join':
      return authorizeJoin(event, target, state, create);
    case 'invite':
      return authorizeInvite(event, target, state);
    case 'leave':
      return authorizeLeave(event, target, state);
    case 'ban':
      return authorizeBan(event, target, state);
    case 'knock':
      return authorizeKnock(event, target, state);
    default:
      return reject('4.8', `unknown membership ${JSON.stringify(membership)}`);
  }
}

function authorizeJoin(event: PDU, target: string, state: RoomState, create: StateEntry): AuthResult {
  // The creator's own first join, right after the create event. Room v11 names the creator by
  // the create event's sender (there is no content.creator any more).
  if (
    event.prev_events.length === 1 &&
    event.prev_events[0] === create.eventId &&
    target === create.event.sender &&
    event.sender === target
  ) {
    return ALLOW; // 4.3.1
  }
  if (event.sender !== target) return reject('4.3.2', 'a user can only join on their own behalf');
  const current = membershipOf(target, state);
  if (current === 'ban') return reject('4.3.3', `${target} is banned`);
  const rule = joinRuleOf(state);
  if (rule === 'invite' || rule === 'knock') {
    if (current === 'invite' || current === 'join') return ALLOW; // 4.3.4
    return reject('4.3.4', `join rule is "${rule}" and ${target} is not invited`);
  }
  if (rule === 'restricted' || rule === 'knock_restricted') {
    if (current === 'invite' || current === 'join') return ALLOW; // 4.3.5.1
    const authoriser = event.content.join_authorised_via_users_server;
    if (!isUserId(authoriser)) {
      return reject('4.3.5.2', `join rule is "${rule}" and the join names no authorising user`);
    }
    // As Synapse does: the authorising user must be in the room to vouch for the joiner.
    if (membershipOf(authoriser, state) !== 'join') {
      return reject('4.3.5.2', `authorising user ${authoriser} is not joined`);
    }
    if (powerLevelOfUser(authoriser, state) < namedPowerLevel('invite', state)) {
      return reject('4.3.5.2', `authorising user ${authoriser} may not invite`);
    }
    return ALLOW; // 4.3.5.3
  }
  if (rule === 'public') return ALLOW; // 4.3.6
  return reject('4.3.7', `join rule ${rule === undefined ? 'is missing' : `"${rule}" does not admit joins`}`);
}

function authorizeInvite(event: PDU, target: string, state: RoomState): AuthResult {
  const tpi = event.content.third_party_invite;
  if (tpi !== undefined) return authorizeThirdPartyInvite(event, target, state, tpi);
  if (membershipOf(event.sender, state) !== 'join') return reject('4.4.2', `${event.sender} is not joined`);
  const current = membershipOf(target, state);
  if (current === 'join' || current === 'ban')
    return reject('4.4.3', `${target} is already ${current === 'join' ? 'joined' : 'banned'}`);
  if (powerLevelOfUser(event.sender, state) >= namedPowerLevel('invite', state)) return ALLOW; // 4.4.4
  return reject('4.4.5', `${event.sender} is below the invite level`);
}

function authorizeThirdPartyInvite(
  event: PDU,
  target: string,
  state: RoomState,
  tpi: JsonObject[string],
): AuthResult {
  if (membershipOf(target, state) === 'ban') return reject('4.4.1.1', `${target} is banned`);
  const signed = isJsonObject(tpi) ? tpi.signed : undefined;
  if (!isJsonObject(signed)) return reject('4.4.1.2', 'third_party_invite has no "signed" object');
  const { mxid, token } = signed;
  if (typeof mxid !== 'string' || typeof token !== 'string') {
    return reject('4.4.1.3', 'third_party_invite.signed needs string "mxid" and "token"');
  }
  if (mxid !== target)
    return reject('4.4.1.4', 'third_party_invite.signed.mxid does not match the state_key');
  const invite = getStateEvent(state, 'm.room.third_party_invite', token);
  if (invite === undefined) return reject('4.4.1.5', 'no m.room.third_party_invite for this token');
  if (invite.sender !== event.sender) {
    return reject('4.4.1.6', 'sender differs from the sender of the m.room.third_party_invite');
  }
  const keys = publicKeysOf(invite.content);
  const signatures = signed.signatures;
  if (isJsonObject(signatures)) {
    for (const [server, byKey] of Object.entries(signatures)) {
      if (!isJsonObject(byKey)) continue;
      for (const keyId of Object.keys(byKey)) {
        if (!keyId.startsWith('ed25519:')) continue;
        for (const key of keys) if (verifyJsonSignature(signed, server, keyId, key)) return ALLOW; // 4.4.1.7
      }
    }
  }
  return reject('4.4.1.8', 'no signature in third_party_invite.signed matches a key of the invite');
}

function publicKeysOf(content: JsonObject): Uint8Array[] {
  const encoded: string[] = [];
  if (typeof content.public_key === 'string') encoded.push(content.public_key);
  if (Array.isArray(content.public_keys)) {
    for (const entry of content.public_keys) {
      if (isJsonObject(entry) && typeof entry.public_key === 'string') encoded.push(entry.public_key);
    }
  }
  const keys: Uint8Array[] = [];
  for (const text of encoded) {
    try {
      keys.push(decodeBase64(text));
    } catch {
      // A malformed key matches no signature; the other keys may still do.
    }
  }
  return keys;
}

function authorizeLeave(event: PDU, target: string, state: RoomState): AuthResult {
  const current = membershipOf(target, state);
  if (event.sender === target) {
    if (current === 'invite' || current === 'join' || current === 'knock') return ALLOW; // 4.5.1
    return reject('4.5.1', `${target} cannot leave from membership ${current ?? 'none'}`);
  }
  if (membershipOf(event.sender, state) !== 'join') return reject('4.5.2', `${event.sender} is not joined`);
  const senderLevel = powerLevelOfUser(event.sender, state);
  if (current === 'ban' && senderLevel < namedPowerLevel('ban', state)) {
    return reject('4.5.3', `${event.sender} is below the ban level and cannot unban`);
  }
  if (senderLevel >= namedPowerLevel('kick', state) && powerLevelOfUser(target, state) < senderLevel) {
    return ALLOW; // 4.5.4
  }
  return reject('4.5.5', `${event.sender} may not kick ${target}`);
}

function authorizeBan(event: PDU, target: string, state: RoomState): AuthResult {
  if (membershipOf(event.sender, state) !== 'join') return reject('4.6.1', `${event.sender} is not joined`);
  const senderLevel = powerLevelOfUser(event.sender, state);
  if (senderLevel >= namedPowerLevel('ban', state) && powerLevelOfUser(target, state) < senderLevel) {
    return ALLOW; // 4.6.2
  }
  return reject('4.6.3', `${event.sender} may not ban ${target}`);
}

function authorizeKnock(event: PDU, target: string, state: RoomState): AuthResult {
  const rule = joinRuleOf(state);
  if (rule !== 'knock' && rule !== 'knock_restricted') {
    return reject(
      '4.7.1',
      `join rule ${rule === undefined ? 'is missing' : `"${rule}"`} does not allow knocking`,
    );
  }
  if (event.sender !== target) return reject('4.7.2', 'a user can only knock on their own behalf');
  const current = membershipOf(event.sender, state);
  if (current !== 'ban' && current !== 'invite' && current !== 'join') return ALLOW; // 4.7.3
  return reject('4.7.4', `${event.sender} cannot knock with membership ${current}`);
}
