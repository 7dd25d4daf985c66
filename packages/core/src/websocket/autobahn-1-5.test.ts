// Autobahn testsuite categories 1-5 (framing, ping/pong, reserved bits, opcodes, fragmentation),
// replayed against the server-role codec. Each row runs at every chop size and receive level.
import { describe, expect, it } from 'vitest';
import { checkCase, concat, frame, type WsCase } from './ws-test-helpers.js';

const T = 1;
const B = 2;
const CLOSE = 8;
const PING = 9;
const PONG = 10;
const star = (n: number) => '*'.repeat(n);
const fe = (n: number) => new Uint8Array(n).fill(0xfe);
const fnvName = (n: number, text: boolean) => {
  // Large payloads are named by length and hash in event strings (see ws-test-helpers).
  const b = text ? new TextEncoder().encode(star(n)) : fe(n);
  let h = 0x811c9dc5;
  for (const x of b) h = Math.imul(h ^ x, 0x01000193) >>> 0;
  return `len=${n}:h=${h.toString(16)}`;
};
const textEvent = (n: number) => (n > 64 ? `text:${fnvName(n, true)}` : `text:${JSON.stringify(star(n))}`);
const binEvent = (n: number) => (n > 64 ? `binary:${fnvName(n, false)}` : `binary:${'fe'.repeat(n)}`);
const failed = (code: number) => [`error:${code}`, `close:${code}:dirty`];
const hexOf = (s: string) =>
  Array.from(new TextEncoder().encode(s), (x) => x.toString(16).padStart(2, '0')).join('');

const cases: WsCase[] = [];
const add = (id: string, title: string, frames: Uint8Array[], events: string[], out: string[] = []) =>
  cases.push({ id, title, stream: concat(...frames), events, out });

// 1: framing. Lengths around the 7-bit / 16-bit / 64-bit encodings.
[0, 125, 126, 127, 128, 65535, 65536].forEach((n, i) => {
  add(`1.1.${i + 1}`, `text message of ${n} bytes`, [frame({ opcode: T, payload: star(n) })], [textEvent(n)]);
  add(`1.2.${i + 1}`, `binary message of ${n} bytes`, [frame({ opcode: B, payload: fe(n) })], [binEvent(n)]);
});
add(
  '1.3.1',
  'non-minimal 64-bit length for a short payload',
  [frame({ opcode: T, payload: 'hi', lengthBits: 64 })],
  ['text:"hi"'],
);
add('1.3.2', 'unmasked client frame', [frame({ opcode: T, payload: 'x', mask: null })], failed(1002), [
  'close:1002',
]);
add(
  '1.3.3',
  '64-bit length with the most significant bit set',
  [frame({ opcode: B, payload: '', length: 1n << 63n, lengthBits: 64 })],
  failed(1002),
  ['close:1002'],
);

// 2: ping/pong.
add('2.1', 'ping without payload', [frame({ opcode: PING })], ['ping:'], ['pong:']);
add(
  '2.2',
  'ping with text payload',
  [frame({ opcode: PING, payload: 'Hello, world!' })],
  [`ping:${hexOf('Hello, world!')}`],
  [`pong:${hexOf('Hello, world!')}`],
);
add(
  '2.3',
  'ping with binary payload',
  [frame({ opcode: PING, payload: new Uint8Array([0, 0xff, 0xfe, 0xfd, 0xfc]) })],
  ['ping:00fffefdfc'],
  ['pong:00fffefdfc'],
);
add(
  '2.4',
  'ping with 125-byte payload',
  [frame({ opcode: PING, payload: fe(125) })],
  [`ping:${'fe'.repeat(125)}`],
  [`pong:${'fe'.repeat(125)}`],
);
add('2.5', 'ping with 126-byte payload', [frame({ opcode: PING, payload: fe(126) })], failed(1002), [
  'close:1002',
]);
add('2.7', 'unsolicited pong without payload', [frame({ opcode: PONG })], ['pong:']);
add(
  '2.8',
  'unsolicited pong with payload',
  [frame({ opcode: PONG, payload: 'unsolicited pong payload' })],
  [`pong:${hexOf('unsolicited pong payload')}`],
);
add(
  '2.9',
  'unsolicited pong, then ping',
  [
    frame({ opcode: PONG, payload: 'unsolicited pong payload' }),
    frame({ opcode: PING, payload: 'ping payload' }),
  ],
  [`pong:${hexOf('unsolicited pong payload')}`, `ping:${hexOf('ping payload')}`],
  [`pong:${hexOf('ping payload')}`],
);
{
  const pings = Array.from({ length: 10 }, (_, i) => frame({ opcode: PING, payload: `payload-${i}` }));
  add(
    '2.10',
    '10 pings in a row',
    pings,
    pings.map((_, i) => `ping:${hexOf(`payload-${i}`)}`),
    pings.map((_, i) => `pong:${hexOf(`payload-${i}`)}`),
  );
}

// 3: reserved bits.
const rsvFrame = (rsv: number, opcode: number, payload?: string) => frame({ opcode, rsv, payload });
add('3.1', 'text with RSV=1', [rsvFrame(1, T, 'Hello, world!')], failed(1002), ['close:1002']);
add(
  '3.2',
  'text, then text with RSV=2, then ping',
  [frame({ opcode: T, payload: 'Hello, world!' }), rsvFrame(2, T, 'Hello, world!'), frame({ opcode: PING })],
  ['text:"Hello, world!"', ...failed(1002)],
  ['close:1002'],
);
add(
  '3.3',
  'text, then text with RSV=3, then ping',
  [frame({ opcode: T, payload: 'Hello' }), rsvFrame(3, T, 'Hello'), frame({ opcode: PING })],
  ['text:"Hello"', ...failed(1002)],
  ['close:1002'],
);
add(
  '3.4',
  'text, then text with RSV=4, then ping',
  [frame({ opcode: T, payload: 'Hello' }), rsvFrame(4, T, 'Hello'), frame({ opcode: PING })],
  ['text:"Hello"', ...failed(1002)],
  ['close:1002'],
);
add('3.5', 'binary with RSV=5', [rsvFrame(5, B, 'abc')], failed(1002), ['close:1002']);
add('3.6', 'ping with RSV=6', [rsvFrame(6, PING, 'abc')], failed(1002), ['close:1002']);
add(
  '3.7',
  'close with RSV=7',
  [frame({ opcode: CLOSE, rsv: 7, payload: new Uint8Array([3, 0xe8]) })],
  failed(1002),
  ['close:1002'],
);

// 4: opcodes. Reserved data opcodes 3-7 and control opcodes 11-15.
[3, 4, 5, 6, 7].forEach((op, i) => {
  add(
    `4.1.${i + 1}`,
    `reserved data opcode ${op}`,
    [frame({ opcode: op, payload: i % 2 ? 'reserved' : '' })],
    failed(1002),
    ['close:1002'],
  );
  add(
    `4.1.${i + 1}b`,
    `text, reserved data opcode ${op}, ping`,
    [frame({ opcode: T, payload: 'Hello' }), frame({ opcode: op, payload: 'r' }), frame({ opcode: PING })],
    ['text:"Hello"', ...failed(1002)],
    ['close:1002'],
  );
});
[11, 12, 13, 14, 15].forEach((op, i) => {
  add(
    `4.2.${i + 1}`,
    `reserved control opcode ${op}`,
    [frame({ opcode: op, payload: i % 2 ? 'reserved' : '' })],
    failed(1002),
    ['close:1002'],
  );
  add(
    `4.2.${i + 1}b`,
    `text, reserved control opcode ${op}, ping`,
    [frame({ opcode: T, payload: 'Hello' }), frame({ opcode: op }), frame({ opcode: PING })],
    ['text:"Hello"', ...failed(1002)],
    ['close:1002'],
  );
});

// 5: fragmentation.
const frag = (opcode: number, payload: string, fin: boolean) => frame({ opcode, payload, fin });
add('5.1', 'fragmented ping', [frag(PING, 'fragment1', false), frag(0, 'fragment2', true)], failed(1002), [
  'close:1002',
]);
add('5.2', 'fragmented pong', [frag(PONG, 'fragment1', false), frag(0, 'fragment2', true)], failed(1002), [
  'close:1002',
]);
add(
  '5.3',
  'text in two fragments',
  [frag(T, 'fragment1', false), frag(0, 'fragment2', true)],
  ['text:"fragment1fragment2"'],
);
add(
  '5.6',
  'text in two fragments with a ping between',
  [frag(T, 'fragment1', false), frame({ opcode: PING, payload: 'pongme!' }), frag(0, 'fragment2', true)],
  [`ping:${hexOf('pongme!')}`, 'text:"fragment1fragment2"'],
  [`pong:${hexOf('pongme!')}`],
);
add(
  '5.9',
  'final continuation without a message, then a message',
  [frag(0, 'non-continuation payload', true), frag(T, 'Hello, world!', true)],
  failed(1002),
  ['close:1002'],
);
add(
  '5.12',
  'non-final continuation without a message',
  [frag(0, 'non-continuation payload', false), frag(T, 'Hello, world!', true)],
  failed(1002),
  ['close:1002'],
);
add(
  '5.15',
  'text in two fragments, then continuation, continuation, text',
  [
    frag(T, 'fragment1', false),
    frag(0, 'fragment2', true),
    frag(0, 'fragment3', false),
    frag(T, 'fragment4', true),
  ],
  ['text:"fragment1fragment2"', ...failed(1002)],
  ['close:1002'],
);
add(
  '5.16',
  'continuation, continuation, text (twice)',
  [frag(0, 'fragment1', false), frag(T, 'fragment2', false), frag(0, 'fragment3', true)],
  failed(1002),
  ['close:1002'],
);
add(
  '5.18',
  'text start, then another text start',
  [frag(T, 'fragment1', false), frag(T, 'fragment2', true)],
  failed(1002),
  ['close:1002'],
);
add(
  '5.19',
  'five fragments with two pings between them',
  [
    frag(T, 'fragment1', false),
    frag(0, 'fragment2', false),
    frame({ opcode: PING, payload: 'pongme 1!' }),
    frag(0, 'fragment3', false),
    frag(0, 'fragment4', false),
    frame({ opcode: PING, payload: 'pongme 2!' }),
    frag(0, 'fragment5', true),
  ],
  [
    `ping:${hexOf('pongme 1!')}`,
    `ping:${hexOf('pongme 2!')}`,
    'text:"fragment1fragment2fragment3fragment4fragment5"',
  ],
  [`pong:${hexOf('pongme 1!')}`, `pong:${hexOf('pongme 2!')}`],
);
add(
  '5.21',
  'binary in three fragments, the middle one empty',
  [
    frame({ opcode: B, payload: fe(3), fin: false }),
    frame({ opcode: 0, fin: false }),
    frame({ opcode: 0, payload: fe(2) }),
  ],
  ['binary:fefefefefe'],
);
add(
  '5.22',
  'unmasked continuation inside a masked message',
  [frag(T, 'a', false), frame({ opcode: 0, payload: 'b', mask: null })],
  failed(1002),
  ['close:1002'],
);

describe('Autobahn-style cases 1-5 at every chop size and receive level', () => {
  it.each(cases.map((c) => [`${c.id} ${c.title}`, c] as const))(
    '%s',
    (_name, c) => {
      expect(checkCase(c)).toBeUndefined();
    },
    60_000,
  );
});
