/**
 * Test support for the authorization tests (not exported): builds a room of real, signed v11
 * events step by step, checking every step against the rules so that fixtures cannot drift into
 * states the rules would never produce.
 */
import { authorizeEvent } from './authorize.js';
import { buildEvent } from './build-event.js';
import type { JsonObject } from './json.js';
import type { PDU } from './pdu.js';
import { type StateEntry, stateKey } from './room-state.js';
import { type SigningKey, signingKeyFromSeed } from './signing.js';

/** The fields of an event a test chooses. */
export interface TestStep {
  type: string;
  sender: string;
  content: JsonObject;
  state_key?: string;
}

const KEY: SigningKey = signingKeyFromSeed(new Uint8Array(32).fill(7), '1');

/** A room under construction: its state and its single forward extremity. */
export class TestRoom {
  readonly roomId: string;
  readonly state = new Map<string, StateEntry>();
  #last: { eventId: string; depth: number } | undefined;
  #ts = 1_000;

  constructor(roomId: string) {
    this.roomId = roomId;
  }

  /** Builds the next event on top of the room without adding it. */
  build(step: TestStep, prevEvents = this.#last ? [this.#last] : []): { event: PDU; eventId: string } {
    const proto = { ...step, room_id: this.roomId };
    return buildEvent(proto, {
      state: this.state,
      prevEvents,
      originServerTs: this.#ts++,
      origin: 'a.org',
      key: KEY,
    });
  }

  /** Builds, authorises (throwing on rejection) and applies the next event. */
  add(...steps: TestStep[]): this {
    for (const step of steps) {
      const built = this.build(step);
      const result = authorizeEvent(built.event, this.state, { verifyServerSignature: () => true });
      if (!result.ok) throw new Error(`fixture step ${step.type} rejected: ${result.rule} ${result.reason}`);
      this.#last = { eventId: built.eventId, depth: built.event.depth };
      if (built.event.state_key !== undefined) {
        this.state.set(stateKey(built.event.type, built.event.state_key), built);
      }
    }
    return this;
  }
}

export const ALICE = '@alice:a.org'; // the creator, power 100
export const MOD = '@mod:a.org'; // power 50
export const BOB = '@bob:b.org';
export const CAROL = '@carol:a.org';

export const create = (content: JsonObject = { room_version: '11' }): TestStep => ({
  type: 'm.room.create',
  sender: ALICE,
  state_key: '',
  content,
});
export const member = (
  sender: string,
  target: string,
  membership: string,
  extra: JsonObject = {},
): TestStep => ({
  type: 'm.room.member',
  sender,
  state_key: target,
  content: { membership, ...extra },
});
export const join = (user: string): TestStep => member(user, user, 'join');
export const joinRules = (joinRule: string, sender = ALICE): TestStep => ({
  type: 'm.room.join_rules',
  sender,
  state_key: '',
  content: { join_rule: joinRule },
});
export const DEFAULT_LEVELS: JsonObject = {
  ban: 50,
  events: { 'm.room.name': 50, 'm.room.power_levels': 100 },
  events_default: 0,
  invite: 0,
  kick: 50,
  redact: 50,
  state_default: 50,
  users: { [ALICE]: 100, [MOD]: 50 },
  users_default: 0,
};
export const powerLevels = (content: JsonObject = DEFAULT_LEVELS, sender = ALICE): TestStep => ({
  type: 'm.room.power_levels',
  sender,
  state_key: '',
  content,
});

/** create, Alice joins, power levels, join rule, MOD joins (via invite when not public). */
export function baseRoom(joinRule = 'public', levels: JsonObject = DEFAULT_LEVELS): TestRoom {
  const room = new TestRoom('!room:a.org').add(
    create(),
    join(ALICE),
    powerLevels(levels),
    joinRules(joinRule),
  );
  if (joinRule !== 'public') room.add(member(ALICE, MOD, 'invite'));
  return room.add(join(MOD));
}
