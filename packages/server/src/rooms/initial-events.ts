import type { EventProto, JsonObject } from '@parley/core';

/** The room presets of Matrix's `createRoom`. */
export type RoomPreset = 'private_chat' | 'public_chat' | 'trusted_private_chat';

/** The presets this server knows. */
export const ROOM_PRESETS: readonly RoomPreset[] = ['private_chat', 'public_chat', 'trusted_private_chat'];

/** What a room is created with. */
export interface NewRoomSpec {
  roomId: string;
  creator: string;
  roomVersion: string;
  preset: RoomPreset;
  name?: string;
  topic?: string;
  invite: readonly string[];
}

function powerLevels(spec: NewRoomSpec): JsonObject {
  const users: JsonObject = { [spec.creator]: 100 };
  // trusted_private_chat: invitees are equals of the creator (Matrix's preset table).
  if (spec.preset === 'trusted_private_chat') for (const u of spec.invite) users[u] = 100;
  return {
    users,
    users_default: 0,
    events: {
      'm.room.name': 50,
      'm.room.topic': 50,
      'm.room.avatar': 50,
      'm.room.canonical_alias': 50,
      'm.room.power_levels': 100,
      'm.room.history_visibility': 100,
      'm.room.tombstone': 100,
      'm.room.server_acl': 100,
      'm.room.encryption': 100,
    },
    events_default: 0,
    state_default: 50,
    ban: 50,
    kick: 50,
    redact: 50,
    invite: 0,
  };
}

/**
 * The events that make a new room, in order: `m.room.create`, the creator's join,
 * `m.room.power_levels`, `m.room.join_rules`, `m.room.history_visibility`, the name and topic if
 * given, then one invite per invitee (the order Synapse uses, so every event is authorised by
 * the ones before it).
 */
export function initialEventProtos(spec: NewRoomSpec): EventProto[] {
  const base = { sender: spec.creator, room_id: spec.roomId };
  const state = (type: string, content: JsonObject, stateKey = ''): EventProto => ({
    ...base,
    type,
    content,
    state_key: stateKey,
  });
  const protos: EventProto[] = [
    state('m.room.create', { room_version: spec.roomVersion }),
    state('m.room.member', { membership: 'join' }, spec.creator),
    state('m.room.power_levels', powerLevels(spec)),
    state('m.room.join_rules', { join_rule: spec.preset === 'public_chat' ? 'public' : 'invite' }),
    state('m.room.history_visibility', { history_visibility: 'shared' }),
  ];
  if (spec.name !== undefined) protos.push(state('m.room.name', { name: spec.name }));
  if (spec.topic !== undefined) protos.push(state('m.room.topic', { topic: spec.topic }));
  for (const u of spec.invite) protos.push(state('m.room.member', { membership: 'invite' }, u));
  return protos;
}
