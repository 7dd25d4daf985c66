import { describe, expect, it } from 'vitest';
import { computeEventId, referenceHash } from './hashing.js';
import type { JsonObject } from './json.js';
import type { PDU } from './pdu.js';
import { redactEvent } from './redaction.js';
import { signEvent, signingKeyFromSeed } from './signing.js';

const base = {
  auth_events: [],
  depth: 2,
  event_id: '$legacy',
  hashes: { sha256: 'h' },
  origin: 'example.org',
  origin_server_ts: 5,
  prev_events: [],
  prev_state: [],
  membership: 'join',
  room_id: '!r:example.org',
  sender: '@a:example.org',
  signatures: { 'example.org': { 'ed25519:1': 's' } },
  unsigned: { age: 1 },
  age_ts: 3,
  redacts: '$other',
  custom: 'x',
};

const kept = {
  auth_events: [],
  depth: 2,
  event_id: '$legacy',
  hashes: { sha256: 'h' },
  origin_server_ts: 5,
  prev_events: [],
  room_id: '!r:example.org',
  sender: '@a:example.org',
  signatures: { 'example.org': { 'ed25519:1': 's' } },
};

describe('redactEvent (room version 11)', () => {
  it.each<[string, string | undefined, JsonObject, JsonObject]>([
    ['m.room.message keeps no content', undefined, { body: 'hi', msgtype: 'm.text' }, {}],
    [
      'm.room.member keeps membership, join_authorised_via_users_server, third_party_invite.signed',
      '@b:example.org',
      {
        membership: 'join',
        displayname: 'B',
        join_authorised_via_users_server: '@c:example.org',
        third_party_invite: { display_name: 'b', signed: { mxid: '@b:example.org', token: 't' } },
      },
      {
        membership: 'join',
        join_authorised_via_users_server: '@c:example.org',
        third_party_invite: { signed: { mxid: '@b:example.org', token: 't' } },
      },
    ],
    [
      'm.room.member keeps an empty third_party_invite when it has no signed (as Synapse)',
      '@b:example.org',
      { membership: 'invite', third_party_invite: { display_name: 'b' } },
      { membership: 'invite', third_party_invite: {} },
    ],
    [
      'm.room.create keeps all content',
      '',
      { room_version: '11', 'm.federate': false, predecessor: { room_id: '!o:x' } },
      { room_version: '11', 'm.federate': false, predecessor: { room_id: '!o:x' } },
    ],
    [
      'm.room.join_rules keeps join_rule and allow',
      '',
      { join_rule: 'restricted', allow: [{ type: 'm.room_membership', room_id: '!s:x' }], extra: 1 },
      { join_rule: 'restricted', allow: [{ type: 'm.room_membership', room_id: '!s:x' }] },
    ],
    [
      'm.room.power_levels keeps the levels, including invite, but not notifications',
      '',
      {
        ban: 50,
        events: { 'm.room.name': 50 },
        events_default: 0,
        invite: 0,
        kick: 50,
        redact: 50,
        state_default: 50,
        users: { '@a:example.org': 100 },
        users_default: 0,
        notifications: { room: 50 },
      },
      {
        ban: 50,
        events: { 'm.room.name': 50 },
        events_default: 0,
        invite: 0,
        kick: 50,
        redact: 50,
        state_default: 50,
        users: { '@a:example.org': 100 },
        users_default: 0,
      },
    ],
    [
      'm.room.history_visibility keeps history_visibility',
      '',
      { history_visibility: 'shared', x: 1 },
      { history_visibility: 'shared' },
    ],
    [
      'm.room.redaction keeps content.redacts',
      undefined,
      { redacts: '$e', reason: 'spam' },
      { redacts: '$e' },
    ],
    ['m.room.topic keeps nothing', '', { topic: 't' }, {}],
  ])('%s', (title, stateKey, content, expectedContent) => {
    const type = title.split(' ')[0] as string;
    const event: JsonObject = { ...base, type, content };
    if (stateKey !== undefined) event.state_key = stateKey;
    const expected: JsonObject = { ...kept, type, content: expectedContent };
    if (stateKey !== undefined) expected.state_key = stateKey;
    expect(redactEvent(event)).toEqual(expected);
  });

  it('does not change its input and is idempotent', () => {
    const event: JsonObject = { ...base, type: 'm.room.message', content: { body: 'x' } };
    const copy = structuredClone(event);
    const once = redactEvent(event);
    expect(event).toEqual(copy);
    expect(redactEvent(once)).toEqual(once);
  });

  it('replaces non-object content with {}', () => {
    expect(redactEvent({ type: 'm.room.create', content: 'x' }).content).toEqual({});
  });
});

describe('reference hash and event id', () => {
  const key = signingKeyFromSeed(new Uint8Array(32).fill(1), '1');
  const event = signEvent(
    {
      auth_events: [],
      content: { body: 'hello' },
      depth: 4,
      origin_server_ts: 1,
      prev_events: [],
      room_id: '!r:example.org',
      sender: '@a:example.org',
      type: 'm.room.message',
    },
    'example.org',
    key,
  );

  it('is $ + 43 URL-safe base64 characters of a 32-byte sha256', () => {
    expect(referenceHash(event)).toHaveLength(32);
    expect(computeEventId(event)).toMatch(/^\$[A-Za-z0-9_-]{43}$/);
  });

  it('ignores signatures, unsigned and redactable content, but not the content hash', () => {
    const id = computeEventId(event);
    expect(computeEventId({ ...event, signatures: {}, unsigned: { age: 9 } })).toBe(id);
    expect(computeEventId(redactEvent(event) as PDU)).toBe(id);
    expect(computeEventId({ ...event, hashes: { sha256: 'x' } })).not.toBe(id);
    expect(computeEventId({ ...event, depth: 5 })).not.toBe(id);
  });
});
